import { GatewayError } from '../problems/errors.js'
import type { Store, Tenant } from '../store/types.js'
import { decodeEventCursor, encodeEventCursor, invalidEventCursor, type EventCursorScope } from './cursor.js'
import { eventBody, type EventBody } from './wire.js'

export const EVENT_TYPES = [
  'order.created', 'order.status_changed', 'order.completed', 'order.partial', 'order.canceled', 'order.unknown',
  'refill.status_changed', 'service.changed', 'service.added', 'service.removed', 'balance.low', 'webhook.disabled'
] as const

/** The `types` query parameter as a list (undefined: every type); a type not in EVENT_TYPES is a validation error. */
export function parseTypes (types: string | undefined): string[] | undefined {
  if (types === undefined || types.trim() === '') return undefined
  const list = [...new Set(types.split(',').map((t) => t.trim()).filter((t) => t !== ''))]
  const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))
  if (unknown.length > 0) throw new GatewayError('validation_failed', `Unknown event type ${unknown.map((t) => `'${t}'`).join(', ')} in types; known: ${EVENT_TYPES.join(', ')}`)
  return list.length === 0 ? undefined : list.sort()
}

export interface FeedQuery {
  after?: string
  types?: string
  limit: number
}

/**
 * One page of the feed, oldest first. A feed is tailed, so nextCursor is the
 * last item's cursor whenever there are items (polling it later yields what
 * came since), and an empty page echoes the cursor given.
 */
export async function feedPage (store: Store, list: EventCursorScope['list'], tenant: Pick<Tenant, 'id' | 'scopes' | 'allowedServices'> | undefined, q: FeedQuery): Promise<{ items: EventBody[], nextCursor: string | null }> {
  const types = parseTypes(q.types)
  const scope = { list, filter: types?.join(',') ?? '' }
  const after = q.after === undefined ? undefined : decodeEventCursor(scope, q.after)
  const rows = await store.listEvents(tenant, { limit: q.limit, after, types })
  if (rows === undefined) throw invalidEventCursor('The cursor names no event of this listing')
  const last = rows.at(-1)
  return { items: rows.map(eventBody), nextCursor: last === undefined ? (q.after ?? null) : encodeEventCursor(scope, last.id) }
}
