import { GatewayError } from '../problems/errors.js'
import type { Catalog } from '../catalog/catalog.js'
import type { Store, StoredOrder } from '../store/types.js'
import type { ItemResult } from '../upstream/types.js'
import { chunked } from './chunked.js'

export type Action = 'refill' | 'cancel'

const NOT_ALLOWED = {
  refill: (id: number) => new GatewayError('refill_not_allowed', `The service of order ${id} does not offer refills`),
  cancel: (id: number) => new GatewayError('cancel_not_allowed', `The service of order ${id} does not allow cancels`)
}

export type PanelOrder = StoredOrder & { panelOrderId: number }

export interface Actionable {
  /** gateway id → its order, with the panel id to send */
  allowed: Map<number, PanelOrder>
  refused: Map<number, ItemResult<never>>
}

/**
 * Which of `ids` (the gateway's) the tenant may refill or cancel. Another
 * tenant's order answers exactly like an unknown one; an order whose outcome
 * is unknown, whose panel id was handed out again, or whose service's flag
 * forbids the action is refused here, without a panel call.
 */
export async function actionable (deps: { store: Store, catalog: Catalog, ledger: { panel: string } }, tenantId: number, ids: number[], action: Action): Promise<Actionable> {
  const owned = await deps.store.getOrders(tenantId, ids)
  const refused = new Map<number, ItemResult<never>>()
  const allowed = new Map<number, PanelOrder>()
  let catalog: Awaited<ReturnType<Catalog['get']>> | undefined
  try {
    catalog = await deps.catalog.get()
  } catch {
    // Without a catalog the panel's own check decides.
  }
  for (const id of new Set(ids)) {
    const order = owned.get(id)
    const refuse = (error: GatewayError): void => { refused.set(id, { ok: false, error }) }
    if (order === undefined || (order.state !== 'placed' && order.state !== 'unknown')) {
      refuse(new GatewayError('not_found', `Order ${id} does not exist`))
    } else if (order.state === 'unknown' || order.panelOrderId === null) {
      refuse(new GatewayError('order_outcome_unknown', `Whether order ${id} was placed is not known yet; an operator resolves it`))
    } else if (order.panelSuperseded || order.panel !== deps.ledger.panel) {
      refuse(new GatewayError('order_not_on_panel', `The panel no longer knows order ${id} by its id (it was reset or replaced)`))
    } else {
      const service = catalog?.byId.get(order.service)
      if (service?.[action] === false) refuse(NOT_ALLOWED[action](id))
      else allowed.set(id, order as PanelOrder)
    }
  }
  return { allowed, refused }
}

/**
 * One panel multi call over `orders` by their panel ids (100 at a time, see
 * `chunked`), its answers keyed by the gateway's ids again.
 */
export async function onPanel<T> (orders: Map<number, PanelOrder>, call: (panelIds: number[]) => Promise<Map<number, ItemResult<T>>>): Promise<Map<number, ItemResult<T>>> {
  const answers = await chunked([...orders.values()].map((order) => order.panelOrderId), call)
  const mapped = new Map<number, ItemResult<T>>()
  for (const [id, order] of orders) {
    const answer = answers.get(order.panelOrderId)
    if (answer !== undefined) mapped.set(id, answer)
  }
  return mapped
}
