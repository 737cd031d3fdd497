import { GatewayError } from '../problems/errors.js'
import type { Store, StoredOrder } from '../store/types.js'
import type { ItemResult, PanelOrderStatus } from '../upstream/types.js'
import type { OrderView } from './types.js'
import type { StatusLookup } from './status-lookup.js'
import { statusEvents } from './order-events.js'
import { isFinal, orderStatusOf, type OrderStatus } from './status.js'

const NOT_YOURS = (id: number): GatewayError => new GatewayError('not_found', `Order ${id} does not exist`)

export function fromStore (order: StoredOrder, live?: PanelOrderStatus): OrderView {
  const upstreamStatus = live?.status ?? order.upstreamStatus
  const status: OrderStatus = order.state === 'unknown'
    ? 'unknown'
    : upstreamStatus === null ? (order.status as OrderStatus | null ?? 'pending') : orderStatusOf(upstreamStatus)
  return {
    id: order.id,
    panelOrderId: order.panelOrderId,
    service: order.service,
    status,
    upstreamStatus,
    charge: live === undefined ? order.charge : live.charge,
    startCount: live === undefined ? order.startCount : live.startCount,
    remains: live === undefined ? order.remains : live.remains,
    currency: live === undefined ? order.currency : live.currency,
    ...(live?.runs === undefined ? {} : { runs: live.runs }),
    ...(live?.posts === undefined ? {} : { posts: live.posts }),
    ...(live?.orders === undefined ? {} : { panelChildOrders: live.orders }),
    quantity: order.quantity,
    estimatedCharge: order.estimatedCharge,
    createdAt: order.createdAt.toISOString()
  }
}

/**
 * Whether the panel can still tell us about this order: placed there, not
 * final, and its panel id not handed out again since (nor on another panel).
 */
function askable (order: StoredOrder, panel: string): order is StoredOrder & { panelOrderId: number } {
  return order.state === 'placed' && !order.final && order.panelOrderId !== null && !order.panelSuperseded && order.panel === panel
}

/**
 * Stores what the panel said of an order, and the events of the change, in
 * one transaction: every reader (a tenant's lookup, the tracker) records
 * through here, so a change is announced once, by whichever sees it first.
 * `nextPollAt`: the tracker's next poll (a final status ends it anyway).
 */
export async function recordStatus (store: Store, order: StoredOrder, s: PanelOrderStatus, nextPollAt?: Date | null): Promise<StoredOrder | undefined> {
  const status = orderStatusOf(s.status)
  return await store.updateOrderStatus(order.tenantId, order.localId, {
    status,
    upstreamStatus: s.status,
    charge: s.charge,
    startCount: s.startCount,
    remains: s.remains,
    currency: s.currency,
    final: isFinal(status)
  }, statusEvents, nextPollAt)
}

/**
 * Live status of a tenant's orders, by the gateway's ids. Another tenant's id
 * answers exactly like an unknown one. Final statuses, unknown outcomes and
 * orders the panel can no longer be asked about come from the store; the rest
 * go through the batching lookup by their panel ids, and what it learns is
 * stored (the reported charge corrects the spend).
 */
export async function orderStatuses (deps: { store: Store, statuses: StatusLookup, ledger: { panel: string } }, tenantId: number, ids: number[]): Promise<Map<number, ItemResult<OrderView>>> {
  const owned = await deps.store.getOrders(tenantId, ids)
  const results = new Map<number, ItemResult<OrderView>>()
  const live: Array<StoredOrder & { panelOrderId: number }> = []
  for (const id of ids) {
    const order = owned.get(id)
    if (order === undefined || (order.state !== 'placed' && order.state !== 'unknown')) results.set(id, { ok: false, error: NOT_YOURS(id) })
    else if (askable(order, deps.ledger.panel)) live.push(order)
    else results.set(id, { ok: true, value: fromStore(order) })
  }
  const fetched = await deps.statuses.many(live.map((order) => order.panelOrderId), tenantId)
  await Promise.all(live.map(async (order) => {
    const result = fetched.get(order.panelOrderId)
    if (result === undefined || !result.ok) {
      results.set(order.id, result ?? { ok: false, error: new GatewayError('upstream_invalid_response') })
      return
    }
    const s = result.value
    await recordStatus(deps.store, order, s)
    results.set(order.id, { ok: true, value: fromStore(order, s) })
  }))
  return results
}
