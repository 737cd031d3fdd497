import type { Metrics } from '../plugins/metrics.js'
import type { Store } from '../store/types.js'
import type { ItemResult, PanelOrderStatus } from '../upstream/types.js'
import type { PanelClient } from '../upstream/types.js'
import { chunked } from './chunked.js'
import { recordRefillStatus } from './refill-status.js'
import { orderStatusOf, refillStatusOf } from './status.js'
import type { StatusLookup } from './status-lookup.js'
import { recordStatus } from './lookup.js'

export interface TrackerDeps {
  store: Store
  statuses: StatusLookup
  metrics: Metrics
  panel: string
  now: () => number
  /** how long a claimed poll is held from other instances */
  leaseMs: number
  minIntervalMs: number
  maxIntervalMs: number
  batch: number
}

/** The fair-share slot every background poll shares, so tenants' own lookups are never starved. */
export const TRACKER_SLOT = 'tracker'

/** The gap before the next poll: doubles with every poll without a change, up to the max. */
export function nextGapMs (polls: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(Math.max(polls, 0), 30))
}

/**
 * One round: claims the orders due a poll, asks the panel through the shared
 * batching lookup, records what changed (with its events) and schedules the
 * next poll. A failed poll is retried after the same backoff.
 */
export async function trackOrders (deps: TrackerDeps): Promise<number> {
  const now = deps.now()
  const claimed = await deps.store.claimDueOrders({
    now: new Date(now),
    limit: deps.batch,
    leaseUntil: new Date(now + deps.leaseMs),
    panel: deps.panel
  })
  if (claimed.length === 0) return 0
  for (const order of claimed) deps.metrics.trackerLag.observe(Math.max(0, now - order.dueAt.getTime()) / 1000)
  let fetched: Map<number, ItemResult<PanelOrderStatus>>
  try {
    fetched = await deps.statuses.many(claimed.flatMap((o) => o.panelOrderId === null ? [] : [o.panelOrderId]), TRACKER_SLOT)
  } catch {
    fetched = new Map()
  }
  await Promise.all(claimed.map(async (order) => {
    const result = order.panelOrderId === null ? undefined : fetched.get(order.panelOrderId)
    const after = deps.now()
    if (result === undefined || !result.ok) {
      deps.metrics.trackerPolls.inc({ kind: 'order', result: 'error' })
      await deps.store.scheduleOrder(order.localId, new Date(after + nextGapMs(order.polls, deps.minIntervalMs, deps.maxIntervalMs)))
      return
    }
    deps.metrics.trackerPolls.inc({ kind: 'order', result: 'ok' })
    // A change resets the count (in the same write): the gap is back to the minimum.
    const polls = orderStatusOf(result.value.status) === order.status ? order.polls : 0
    await recordStatus(deps.store, order, result.value, new Date(after + nextGapMs(polls, deps.minIntervalMs, deps.maxIntervalMs)))
  }))
  return claimed.length
}

export interface RefillTrackerDeps extends Omit<TrackerDeps, 'statuses'> {
  panelClient: PanelClient
}

/** One round for refills: like orders, through the panel's multi refill status; a panel without it ends their tracking. */
export async function trackRefills (deps: RefillTrackerDeps): Promise<number> {
  const now = deps.now()
  const claimed = await deps.store.claimDueRefills({ now: new Date(now), limit: deps.batch, leaseUntil: new Date(now + deps.leaseMs), panel: deps.panel })
  if (claimed.length === 0) return 0
  for (const refill of claimed) deps.metrics.trackerLag.observe(Math.max(0, now - refill.dueAt.getTime()) / 1000)
  const panel = deps.panelClient.forTenant(TRACKER_SLOT)
  const answers = await chunked(claimed.map((r) => r.panelRefillId), async (chunk) => await panel.refillStatusMany(chunk))
  await Promise.all(claimed.map(async (refill) => {
    const result = answers.get(refill.panelRefillId)
    const after = deps.now()
    if (result === undefined || !result.ok) {
      deps.metrics.trackerPolls.inc({ kind: 'refill', result: 'error' })
      const unsupported = result?.ok === false && result.error.code === 'upstream_action_unsupported'
      await deps.store.scheduleRefill(refill.id, unsupported ? null : new Date(after + nextGapMs(refill.polls, deps.minIntervalMs, deps.maxIntervalMs)))
      return
    }
    deps.metrics.trackerPolls.inc({ kind: 'refill', result: 'ok' })
    const polls = refillStatusOf(result.value.status) === refill.status ? refill.polls : 0
    await recordRefillStatus(deps.store, refill, result.value.status, new Date(after + nextGapMs(polls, deps.minIntervalMs, deps.maxIntervalMs)))
  }))
  return claimed.length
}
