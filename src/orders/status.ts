import type { ORDER_STATUSES } from '../../schemas/orders.js'
import type { REFILL_STATUSES } from '../../schemas/refills.js'

export type OrderStatus = typeof ORDER_STATUSES[number]
export type RefillStatus = typeof REFILL_STATUSES[number]

// Panels spell statuses many ways ("In progress", "IN_PROGRESS", "Cancelled",
// "PARTIALLY"); fold case and separators, then look the word up.
function fold (status: string): string {
  return status.toLowerCase().replace(/[^a-z]/g, '')
}

const ORDER: Record<string, OrderStatus> = {
  pending: 'pending',
  new: 'pending',
  awaiting: 'pending',
  inprogress: 'in_progress',
  inprogess: 'in_progress',
  active: 'in_progress',
  processing: 'processing',
  completed: 'completed',
  complete: 'completed',
  success: 'completed',
  partial: 'partial',
  partially: 'partial',
  partiallycompleted: 'partial',
  canceled: 'canceled',
  cancelled: 'canceled',
  refunded: 'refunded',
  error: 'failed',
  fail: 'failed',
  failed: 'failed'
}

const FINAL: ReadonlySet<OrderStatus> = new Set(['completed', 'partial', 'canceled', 'refunded'])

/** Unknown spellings count as `processing`: the order exists and is not final. */
export function normaliseOrderStatus (upstream: string): OrderStatus {
  return ORDER[fold(upstream)] ?? 'processing'
}

export function isFinal (status: OrderStatus): boolean {
  return FINAL.has(status)
}

const REFILL: Record<string, RefillStatus> = {
  pending: 'pending',
  inprogress: 'in_progress',
  inprogess: 'in_progress',
  processing: 'in_progress',
  completed: 'completed',
  complete: 'completed',
  rejected: 'rejected',
  canceled: 'rejected',
  cancelled: 'rejected',
  error: 'failed',
  fail: 'failed',
  failed: 'failed'
}

export function normaliseRefillStatus (upstream: string): RefillStatus {
  return REFILL[fold(upstream)] ?? 'in_progress'
}
