/** The gateway's order statuses; `unknown`: the panel may or may not have placed it. */
export const ORDER_STATUSES = ['pending', 'in_progress', 'processing', 'completed', 'partial', 'canceled', 'refunded', 'failed', 'unknown'] as const
export const REFILL_STATUSES = ['pending', 'in_progress', 'completed', 'rejected', 'failed'] as const

export type OrderStatus = typeof ORDER_STATUSES[number]
export type RefillStatus = typeof REFILL_STATUSES[number]

// Panels spell statuses many ways ("In progress", "Inprogress", "IN_PROGRESS",
// "In progess", "Cancelled", "PARTIALLY"); fold case and separators, then look
// the word up; a word not in the table is read by its stem ("Partially
// completed", "Canceled and refunded").
function fold (status: string): string {
  return status.slice(0, 200).toLowerCase().replace(/[^a-z]/g, '')
}

const ORDER: Record<string, OrderStatus> = {
  pending: 'pending',
  new: 'pending',
  awaiting: 'pending',
  waiting: 'pending',
  queued: 'pending',
  inqueue: 'pending',
  inprogress: 'in_progress',
  inprogess: 'in_progress',
  progress: 'in_progress',
  running: 'in_progress',
  started: 'in_progress',
  // Subscriptions: Active/Paused are running, Expired/Completed are over.
  active: 'in_progress',
  paused: 'in_progress',
  processing: 'processing',
  completed: 'completed',
  complete: 'completed',
  success: 'completed',
  finished: 'completed',
  done: 'completed',
  delivered: 'completed',
  expired: 'completed',
  partial: 'partial',
  partially: 'partial',
  partiallycompleted: 'partial',
  canceled: 'canceled',
  cancelled: 'canceled',
  cancel: 'canceled',
  refunded: 'refunded',
  refund: 'refunded',
  error: 'failed',
  fail: 'failed',
  failed: 'failed'
}

// Stems for spellings the table does not hold, most specific first. A final
// status is stored and never asked again, so only a word that says the order
// is over reads as final ("Canceled and refunded"), not one still on the way
// there ("Cancelling", "Completing": the order is still tracked).
const ORDER_STEMS: ReadonlyArray<[string, OrderStatus]> = [
  ['partial', 'partial'],
  ['refunded', 'refunded'],
  ['canceled', 'canceled'],
  ['cancelled', 'canceled'],
  ['completed', 'completed'],
  ['inprog', 'in_progress'],
  ['pend', 'pending'],
  ['process', 'processing'],
  ['fail', 'failed'],
  ['error', 'failed']
]

const FINAL: ReadonlySet<OrderStatus> = new Set(['completed', 'partial', 'canceled', 'refunded'])

/** Unknown spellings count as `processing`: the order exists and is not final. */
export function orderStatusOf (upstream: string): OrderStatus {
  const key = fold(upstream)
  return ORDER[key] ?? ORDER_STEMS.find(([stem]) => key.startsWith(stem))?.[1] ?? 'processing'
}

export function isFinal (status: OrderStatus): boolean {
  return FINAL.has(status)
}

const REFILL: Record<string, RefillStatus> = {
  pending: 'pending',
  new: 'pending',
  awaiting: 'pending',
  waiting: 'pending',
  queued: 'pending',
  inprogress: 'in_progress',
  inprogess: 'in_progress',
  processing: 'in_progress',
  running: 'in_progress',
  active: 'in_progress',
  completed: 'completed',
  complete: 'completed',
  success: 'completed',
  done: 'completed',
  finished: 'completed',
  rejected: 'rejected',
  canceled: 'rejected',
  cancelled: 'rejected',
  refunded: 'rejected',
  error: 'failed',
  fail: 'failed',
  failed: 'failed'
}

const REFILL_STEMS: ReadonlyArray<[string, RefillStatus]> = [
  ['reject', 'rejected'],
  ['cancel', 'rejected'],
  ['complet', 'completed'],
  ['inprog', 'in_progress'],
  ['pend', 'pending'],
  ['fail', 'failed'],
  ['error', 'failed']
]

/** Unknown spellings count as `in_progress`: the refill exists and is not final. */
export function refillStatusOf (upstream: string): RefillStatus {
  const key = fold(upstream)
  return REFILL[key] ?? REFILL_STEMS.find(([stem]) => key.startsWith(stem))?.[1] ?? 'in_progress'
}
