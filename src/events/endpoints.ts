import { GatewayError } from '../problems/errors.js'
import { endpointView } from '../store/webhooks.js'
import type { WebhookDelivery, WebhookEndpoint } from '../store/types.js'

export { endpointView }

/** The event types an endpoint may ask for (or their family, `order.*`). */
export const EVENT_TYPES = [
  'order.created', 'order.status_changed', 'order.completed', 'order.partial', 'order.canceled', 'order.unknown',
  'refill.status_changed', 'service.changed', 'service.added', 'service.removed', 'balance.low', 'webhook.disabled'
]

/** A type filter as given: each entry a known type or a known family; duplicates dropped. */
export function eventFilter (events: string[] | null | undefined): string[] | null {
  if (events === undefined || events === null) return null
  const families = new Set(EVENT_TYPES.map((t) => t.split('.')[0] + '.*'))
  const unknown = events.filter((e) => !EVENT_TYPES.includes(e) && !families.has(e))
  if (unknown.length > 0) {
    throw new GatewayError('validation_failed', `Unknown event type: ${unknown.join(', ')}`, {
      extra: { errors: unknown.map((e) => ({ path: '/events', message: `unknown event type ${JSON.stringify(e)}` })) }
    })
  }
  return [...new Set(events)]
}

export function notFound (id: number): GatewayError {
  return new GatewayError('not_found', `Webhook endpoint ${id} does not exist`)
}

export function endpointOr404 (endpoint: WebhookEndpoint | undefined, id: number): WebhookEndpoint {
  if (endpoint === undefined) throw notFound(id)
  return endpoint
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null

export function deliveryJson (d: WebhookDelivery) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: iso(d.lastAttemptAt),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    attemptsLog: d.attemptsLog.map((a) => ({ ...a, at: a.at.toISOString() }))
  }
}

/** Delivery page cursors: opaque, a delivery's row id. */
export function encodeCursor (localId: number): string {
  return Buffer.from(`d${localId}`).toString('base64url')
}

export function decodeCursor (cursor: string): number {
  const m = /^d(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (m === null) throw new GatewayError('invalid_cursor', 'The cursor is not one of this listing\'s')
  return Number(m[1])
}
