import { GatewayError } from '../errors.js'
import type { Store, StoredOrder } from '../store/types.js'
import type { ItemResult, PanelOrderStatus } from '../upstream/types.js'
import type { OrderT } from '../../schemas/orders.js'
import type { StatusLookup } from './status-lookup.js'
import { isFinal, normaliseOrderStatus, type OrderStatus } from './status.js'

const NOT_YOURS = (id: number): GatewayError => new GatewayError('not_found', `Order ${id} does not exist`)

export function fromStore (order: StoredOrder, live?: PanelOrderStatus): OrderT {
  const upstreamStatus = live?.status ?? order.upstreamStatus
  return {
    id: order.id as number,
    service: order.service,
    status: upstreamStatus === null ? (order.status as OrderStatus | null ?? 'pending') : normaliseOrderStatus(upstreamStatus),
    upstreamStatus,
    charge: live === undefined ? order.charge : live.charge,
    startCount: live === undefined ? order.startCount : live.startCount,
    remains: live === undefined ? order.remains : live.remains,
    currency: live === undefined ? order.currency : live.currency,
    ...(live?.runs === undefined ? {} : { runs: live.runs }),
    ...(live?.posts === undefined ? {} : { posts: live.posts }),
    ...(live?.orders === undefined ? {} : { orders: live.orders }),
    quantity: order.quantity,
    estimatedCharge: order.estimatedCharge,
    createdAt: order.createdAt.toISOString()
  }
}

/**
 * Live status of a tenant's orders. Another tenant's id answers exactly like
 * an unknown one. Final statuses come from the store without a panel call;
 * the rest go through the batching lookup, and what it learns is stored (the
 * reported charge corrects the spend).
 */
export async function orderStatuses (deps: { store: Store, statuses: StatusLookup }, tenantId: number, ids: number[]): Promise<Map<number, ItemResult<OrderT>>> {
  const owned = await deps.store.getOrders(tenantId, ids)
  const results = new Map<number, ItemResult<OrderT>>()
  const live: number[] = []
  for (const id of ids) {
    const order = owned.get(id)
    if (order === undefined) results.set(id, { ok: false, error: NOT_YOURS(id) })
    else if (order.final) results.set(id, { ok: true, value: fromStore(order) })
    else live.push(id)
  }
  const fetched = await deps.statuses.many(live)
  await Promise.all(live.map(async (id) => {
    const result = fetched.get(id)
    const order = owned.get(id) as StoredOrder
    if (result === undefined || !result.ok) {
      results.set(id, result ?? { ok: false, error: new GatewayError('upstream_invalid_response') })
      return
    }
    const s = result.value
    const status = normaliseOrderStatus(s.status)
    await deps.store.updateOrderStatus(tenantId, order.localId, {
      status,
      upstreamStatus: s.status,
      charge: s.charge,
      startCount: s.startCount,
      remains: s.remains,
      currency: s.currency,
      final: isFinal(status)
    })
    results.set(id, { ok: true, value: fromStore(order, s) })
  }))
  return results
}
