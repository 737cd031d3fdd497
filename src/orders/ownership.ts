import { GatewayError } from '../errors.js'
import type { Catalog } from '../catalog/catalog.js'
import type { Store } from '../store/types.js'
import type { ItemResult } from '../upstream/types.js'

export type Action = 'refill' | 'cancel'

const NOT_ALLOWED = {
  refill: (id: number) => new GatewayError('refill_not_allowed', `The service of order ${id} does not offer refills`),
  cancel: (id: number) => new GatewayError('cancel_not_allowed', `The service of order ${id} does not allow cancels`)
}

/**
 * Which of `ids` the tenant may refill or cancel. Another tenant's order
 * answers exactly like an unknown one; a service whose flag forbids the
 * action is refused here, without a panel call.
 */
export async function actionable (deps: { store: Store, catalog: Catalog }, tenantId: number, ids: number[], action: Action): Promise<{ allowed: number[], refused: Map<number, ItemResult<never>> }> {
  const owned = await deps.store.getOrders(tenantId, ids)
  const refused = new Map<number, ItemResult<never>>()
  const allowed: number[] = []
  let catalog: Awaited<ReturnType<Catalog['get']>> | undefined
  try {
    catalog = await deps.catalog.get()
  } catch {
    // Without a catalog the panel's own check decides.
  }
  for (const id of new Set(ids)) {
    const order = owned.get(id)
    if (order === undefined) {
      refused.set(id, { ok: false, error: new GatewayError('not_found', `Order ${id} does not exist`) })
      continue
    }
    const service = catalog?.byId.get(order.service)
    if (service !== undefined && !service[action]) refused.set(id, { ok: false, error: NOT_ALLOWED[action](id) })
    else allowed.push(id)
  }
  return { allowed, refused }
}
