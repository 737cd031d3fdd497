import { GatewayError } from '../problems/errors.js'
import { placedEvents } from './order-events.js'
import type { Resolution, Store, StoredOrder } from '../store/types.js'

/**
 * An operator's finding for an order whose `add` answer was lost: placed
 * (it is then tracked like any other) or not placed (its budget is released
 * and a retry with its Idempotency-Key sends it afresh).
 */
export async function resolveUnknownOrder (store: Store, id: number, resolution: Resolution, nextPollAt: Date = new Date()): Promise<StoredOrder> {
  const result = await store.resolveOrder(id, resolution, placedEvents, nextPollAt)
  if (result.ok) return result.order
  switch (result.reason) {
    case 'not_found':
      throw new GatewayError('not_found', `Order ${id} does not exist`)
    case 'not_unknown':
      throw new GatewayError('order_not_unknown', `Order ${id} is ${result.order?.state ?? 'not unknown'}; only unknown outcomes are resolved`)
    case 'panel_id_taken':
      throw new GatewayError('panel_order_id_taken', `Another order already holds panel order ${resolution.outcome === 'placed' ? resolution.panelOrderId : ''}`)
  }
}

export function ledgerJson (order: StoredOrder) {
  return {
    id: order.id,
    tenantId: order.tenantId,
    state: order.state,
    panelOrderId: order.panelOrderId,
    service: order.service,
    request: order.request,
    quantity: order.quantity,
    estimatedCharge: order.estimatedCharge,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString()
  }
}
