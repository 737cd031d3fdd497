import type { Store, StoredRefill } from '../store/types.js'
import { refillStatusEvents } from './order-events.js'
import { refillStatusOf, type RefillStatus } from './status.js'

const FINAL: ReadonlySet<RefillStatus> = new Set(['completed', 'rejected', 'failed'])

/** Stores what the panel said of a refill, and its event, once whichever reader sees a change first. */
export async function recordRefillStatus (store: Store, refill: StoredRefill, upstream: string, nextPollAt?: Date | null): Promise<StoredRefill | undefined> {
  const status = refillStatusOf(upstream)
  return await store.updateRefillStatus(refill.id, { status, upstreamStatus: upstream, final: FINAL.has(status) }, refillStatusEvents, nextPollAt)
}
