import type { NewEvent, StoredOrder, StoredRefill } from '../store/types.js'
import { fromUnits, toUnits } from '../store/money.js'
import { fromStore } from './lookup.js'
import type { OrderStatus } from './status.js'

/** What an order event carries: the order exactly as GET /orders/:id shows it. */
function event (type: string, order: StoredOrder, extra: Record<string, unknown> = {}): NewEvent {
  return { type, tenantId: order.tenantId, data: { order: fromStore(order), ...extra } }
}

/** An order the panel took: `order.created`. */
export function placedEvents (order: StoredOrder): NewEvent[] {
  return order.state === 'placed' ? [event('order.created', order)] : []
}

/** An order whose outcome became unknown: `order.unknown`. */
export function unknownEvents (order: StoredOrder): NewEvent[] {
  return order.state === 'unknown' ? [event('order.unknown', order)] : []
}

function refundOf (before: string | null, after: string | null): string | null {
  if (before === null || after === null) return null
  return fromUnits(toUnits(before) - toUnits(after))
}

const FINAL_EVENT: Partial<Record<OrderStatus, string>> = {
  completed: 'order.completed',
  partial: 'order.partial',
  canceled: 'order.canceled',
  refunded: 'order.canceled'
}

/** A status write: `order.status_changed` when the normalised status moved, and the final one's own event. */
export function statusEvents (before: StoredOrder, after: StoredOrder): NewEvent[] {
  const was = fromStore(before).status
  const now = fromStore(after).status
  if (was === now) return []
  const events = [event('order.status_changed', after, { previous: { status: was, remains: before.remains, charge: before.charge } })]
  const final = after.final ? FINAL_EVENT[now] : undefined
  if (final === 'order.partial') events.push(event(final, after, { refund: refundOf(before.charge, after.charge) }))
  else if (final !== undefined) events.push(event(final, after))
  return events
}

/** A refill as GET /refills/:id shows it. */
export function refillView (refill: StoredRefill) {
  return { id: refill.id, order: refill.orderId, panelRefillId: refill.panelRefillId, status: refill.status, upstreamStatus: refill.upstreamStatus }
}

/** `refill.status_changed` when the normalised status moved. */
export function refillStatusEvents (before: StoredRefill, after: StoredRefill): NewEvent[] {
  if (before.status === after.status) return []
  return [{ type: 'refill.status_changed', tenantId: after.tenantId, data: { refill: refillView(after), previous: { status: before.status } } }]
}
