import { GatewayError } from '../errors.js'
import type { Catalog } from '../catalog/catalog.js'
import type { Store, Tenant } from '../store/types.js'
import type { PanelClient } from '../upstream/types.js'
import type { NewOrderT } from '../../schemas/orders.js'
import { prepareOrder } from './rules.js'
import { serviceAllowed } from './allowlist.js'

export interface PlacedOrder {
  id: number
  service: number
  status: 'pending'
  quantity: number | null
  estimatedCharge: string | null
}

/**
 * Check → reserve the budget → `add` once → record. The reservation holds the
 * estimated charge while the panel call runs, so concurrent orders cannot
 * overspend; a definite failure releases it, a lost answer keeps it.
 */
export async function placeOrder (deps: { catalog: Catalog, store: Store, panel: PanelClient }, tenant: Tenant, body: NewOrderT): Promise<PlacedOrder> {
  const service = await deps.catalog.service(body.service)
  if (service === undefined || !serviceAllowed(tenant, service)) {
    throw new GatewayError('unknown_service', `Service ${body.service} is not in your catalog`)
  }
  const prepared = prepareOrder(service, body)
  const reservation = await deps.store.reserveOrder({
    tenantId: tenant.id,
    service: service.id,
    request: { ...body },
    quantity: prepared.quantity,
    estimatedCharge: prepared.estimatedCharge,
    dailyBudget: tenant.dailyBudget,
    monthlyBudget: tenant.monthlyBudget
  })
  if (!reservation.ok) {
    throw new GatewayError('budget_exceeded',
      `This order (estimated ${prepared.estimatedCharge ?? '0'}) would exceed the ${reservation.limit} budget of ${reservation.budget}; ${reservation.spent} is spent`,
      { extra: { limit: reservation.limit, budget: reservation.budget, spent: reservation.spent, estimatedCharge: prepared.estimatedCharge } })
  }
  let order: number
  try {
    order = (await deps.panel.add(prepared.fields)).order
  } catch (err) {
    if (err instanceof GatewayError && err.outcomeUnknown) await deps.store.markUnknown(reservation.localId)
    else await deps.store.markFailed(reservation.localId)
    throw err
  }
  await deps.store.markPlaced(reservation.localId, order)
  return { id: order, service: service.id, status: 'pending', quantity: prepared.quantity, estimatedCharge: prepared.estimatedCharge }
}
