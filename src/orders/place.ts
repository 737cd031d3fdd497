import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { GatewayError } from '../problems/errors.js'
import type { Catalog } from '../catalog/catalog.js'
import type { Metrics } from '../plugins/metrics.js'
import type { Store, StoredOrder, Tenant } from '../store/types.js'
import type { PanelClient } from '../upstream/types.js'
import type { OrderRequest } from './types.js'
import type { Ledger } from './ledger-plugin.js'
import { AmountOutOfRangeError } from '../store/money.js'
import { placedEvents, unknownEvents } from './order-events.js'
import { prepareOrder, requireBound } from './rules.js'
import { serviceAllowed } from '../tenancy/allowlist.js'

export interface PlacedOrder {
  id: number
  panelOrderId: number
  service: number
  status: 'pending'
  quantity: number | null
  estimatedCharge: string | null
}

export interface PlaceDeps {
  catalog: Catalog
  store: Store
  panel: PanelClient
  ledger: Ledger
  metrics: Metrics
  /** when a new order is first polled by the tracker; absent: not tracked */
  tracker?: { firstPoll: () => Date }
}

// Codes for calls that never left the gateway (or the panel answered "not now"): nothing was placed.
const NOT_SENT = new Set(['upstream_unavailable', 'upstream_overloaded', 'upstream_timeout', 'upstream_rate_limited'])
// After the panel answered, the write that records it is tried this often before the answer is given up as unknown.
const RECORD_DELAYS_MS = [0, 100, 400, 1500]

export function placedBody (order: StoredOrder): PlacedOrder {
  return {
    id: order.id,
    panelOrderId: order.panelOrderId as number,
    service: order.service,
    status: 'pending',
    quantity: order.quantity,
    estimatedCharge: order.estimatedCharge
  }
}

export function outcomeUnknown (orderId: number, cause?: unknown): GatewayError {
  return new GatewayError('upstream_outcome_unknown',
    `The panel may have placed order ${orderId} but its answer was lost. It is listed by GET /orders with status "unknown" until an operator resolves it; do not place it again`,
    { cause, outcomeUnknown: true, extra: { orderId } })
}

/**
 * The money path, a state machine written down before and after the one
 * `add`: reserve the budget → `sending` (durable before the call leaves) →
 * placed | rejected | failed | unknown. Once `sending` is written no failure
 * here leads to a second `add`: what cannot be recorded is answered as
 * `upstream_outcome_unknown` and left for the sweep and an operator.
 */
export async function placeOrder (deps: PlaceDeps, requestLog: FastifyBaseLogger, tenant: Tenant, body: OrderRequest, idempotencyKey?: string): Promise<PlacedOrder> {
  const service = await deps.catalog.service(body.service)
  if (service === undefined || !serviceAllowed(tenant, service)) {
    throw new GatewayError('unknown_service', `Service ${body.service} is not in your catalog`)
  }
  const prepared = prepareOrder(service, body)
  requireBound(prepared, tenant)
  const reservation = await deps.store.reserveOrder({
    tenantId: tenant.id,
    panel: deps.ledger.panel,
    service: service.id,
    request: { ...body },
    quantity: prepared.quantity,
    estimatedCharge: prepared.estimatedCharge,
    dailyBudget: tenant.dailyBudget,
    monthlyBudget: tenant.monthlyBudget,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey })
  }).catch((err: unknown) => {
    if (err instanceof AmountOutOfRangeError) throw new GatewayError('charge_unbounded', `This order could be charged up to ${err.amount}, more than the gateway can account for`)
    throw err
  })
  if (!reservation.ok) {
    throw new GatewayError('budget_exceeded',
      `This order (at most ${prepared.estimatedCharge ?? '0'}) would exceed the ${reservation.limit} budget of ${reservation.budget}; ${reservation.spent} is spent`,
      { extra: { limit: reservation.limit, budget: reservation.budget, spent: reservation.spent, estimatedCharge: prepared.estimatedCharge } })
  }
  const { localId, id } = reservation
  const log = requestLog.child({ order: id, tenant: tenant.id })

  let sending: boolean
  try {
    sending = await deps.store.markSending(localId)
  } catch (err) {
    await settle(log, 'failed', deps.store.markFailed(localId))
    throw err
  }
  if (!sending) {
    // A retry found the reservation stale and released it: that retry sends, not this one.
    throw new GatewayError('idempotency_in_flight', 'A retry with this Idempotency-Key took this order over', { retryAfter: 1 })
  }

  let panelOrderId: number
  try {
    panelOrderId = (await deps.panel.forTenant(tenant.id).add(prepared.fields)).order
  } catch (err) {
    if (!(err instanceof GatewayError) || err.outcomeUnknown) {
      deps.metrics.ordersUnknown.inc({ reason: 'answer_lost' })
      await settle(log, 'unknown', deps.store.markUnknown(localId, unknownEvents))
      throw outcomeUnknown(id, err)
    }
    await settle(log, NOT_SENT.has(err.code) ? 'failed' : 'rejected',
      NOT_SENT.has(err.code) ? deps.store.markFailed(localId) : deps.store.markRejected(localId))
    throw err
  }

  const recorded = await recordPlaced(deps.store, localId, deps.ledger.panel, panelOrderId, deps.tracker?.firstPoll())
  if (recorded instanceof Error || !recorded.placed) {
    // The panel has the order; only the record is missing. The operator's log says which.
    log.error({ panelOrderId, err: recorded instanceof Error ? recorded : undefined }, 'order placed on the panel but not recorded: resolve it with this panel order id')
    deps.metrics.ordersUnknown.inc({ reason: 'record_failed' })
    await settle(log, 'unknown', deps.store.markUnknown(localId, unknownEvents))
    throw outcomeUnknown(id, recorded instanceof Error ? recorded : undefined)
  }
  if (recorded.superseded > 0) {
    deps.metrics.panelIdReused.inc(recorded.superseded)
    log.warn({ panelOrderId, superseded: recorded.superseded }, 'the panel handed out an order id it had given before (reset or replaced?): the older order is no longer looked up')
  }
  return { id, panelOrderId, service: service.id, status: 'pending', quantity: prepared.quantity, estimatedCharge: prepared.estimatedCharge }
}

async function recordPlaced (store: Store, localId: number, panel: string, panelOrderId: number, nextPollAt?: Date): Promise<{ placed: boolean, superseded: number } | Error> {
  let last: Error = new Error('not recorded')
  for (const delay of RECORD_DELAYS_MS) {
    if (delay > 0) await sleep(delay)
    try {
      return await store.markPlaced(localId, panel, panelOrderId, placedEvents, nextPollAt)
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err))
    }
  }
  return last
}

/** A state written after the call: when it fails the order stays `sending`, which the sweep turns into `unknown`. */
async function settle (log: FastifyBaseLogger, state: string, write: Promise<boolean>): Promise<void> {
  try {
    await write
  } catch (err) {
    log.warn({ err, state }, 'order state not recorded; the sweep will mark it unknown')
  }
}
