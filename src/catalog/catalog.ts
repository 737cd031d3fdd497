import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { PanelClient, PanelService } from '../upstream/types.js'

export interface CatalogSnapshot {
  services: PanelService[]
  byId: Map<number, PanelService>
  categories: Array<{ name: string, serviceCount: number }>
  /** Strong validator of the catalog's content: unchanged content, same tag. */
  etag: string
  fetchedAt: number
  /** Per-snapshot memo of hot answers (e.g. the unfiltered first page): bytes ready for the socket, and their tag. */
  serialised: Map<string, { body: Buffer, etag: string }>
}

export interface CatalogOptions {
  ttlMs: number
  /** How long past the TTL a snapshot may still be served while the panel fails. */
  staleMs: number
  onRefreshError?: (err: unknown, servingStale: boolean) => void
  /** Each read: from cache, fetched from the panel, or stale because the panel failed. */
  onRead?: (result: 'hit' | 'miss' | 'stale') => void
  /** Wall time stamps snapshots and bounds the stale window and the failure hold; the cache's TTL runs on monotonic time. Default the system's. */
  clock?: Clock
  /** After each successful fetch from the panel (catalog change events); a rejection is the callback's to log. */
  onSnapshot?: (snapshot: CatalogSnapshot) => Promise<void> | void
}

function snapshot (services: PanelService[], fetchedAt: number): CatalogSnapshot {
  const sorted = [...services].sort((a, b) => a.id - b.id)
  const counts = new Map<string, number>()
  for (const s of sorted) counts.set(s.category, (counts.get(s.category) ?? 0) + 1)
  const json = JSON.stringify(sorted)
  return {
    services: sorted,
    byId: new Map(sorted.map((s) => [s.id, s])),
    categories: [...counts].map(([name, serviceCount]) => ({ name, serviceCount })),
    etag: '"' + createHash('sha256').update(json).digest('base64url').slice(0, 27) + '"',
    fetchedAt,
    serialised: new Map()
  }
}

// How long a failed refresh answers for the panel when there is nothing to serve.
const FAILURE_HOLD_MS = 1000

/**
 * The service list, cached: fresh for `ttlMs`; after that the next read still
 * gets the old snapshot while one upstream call (lru-cache's fetch is single
 * flight) refreshes it. While refreshes fail the old snapshot is served for
 * `staleMs` more; then, and on a cold start, reads wait for the panel.
 */
export class Catalog {
  readonly #cache: LRUCache<'catalog', CatalogSnapshot>
  readonly #staleMs: number
  readonly #ttlMs: number
  readonly #onRead: CatalogOptions['onRead']
  readonly #now: () => number
  #lastError: unknown
  #failedAt: number | undefined
  #snapshotDone: Promise<void> = Promise.resolve()

  constructor (panel: PanelClient, options: CatalogOptions) {
    this.#ttlMs = options.ttlMs
    this.#onRead = options.onRead
    this.#staleMs = options.staleMs
    const clock = options.clock ?? SYSTEM_CLOCK
    this.#now = clock.now
    this.#cache = new LRUCache<'catalog', CatalogSnapshot>({
      max: 1,
      ttl: Math.max(1, options.ttlMs),
      // The clock is read on every check: lru-cache's default 1 ms memo of the time would outlive a fake clock's jump.
      perf: { now: clock.monotonic },
      ttlResolution: 0,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      fetchMethod: async (_key, stale) => {
        try {
          const fresh = snapshot(await panel.services(), this.#now())
          this.#failedAt = undefined
          const onSnapshot = options.onSnapshot
          if (onSnapshot !== undefined) this.#snapshotDone = Promise.resolve().then(async () => { await onSnapshot(fresh) }).catch(() => {})
          return fresh
        } catch (err) {
          this.#lastError = err
          this.#failedAt = this.#now()
          options.onRefreshError?.(err, stale !== undefined && this.#usable(stale))
          throw err
        }
      }
    })
  }

  async get (): Promise<CatalogSnapshot> {
    const current = this.#cache.peek('catalog', { allowStale: true })
    const usable = current !== undefined && this.#usable(current)
    // With nothing to serve, a panel that just failed is not asked again at once
    // (a crowd of cold requests would each make a call the failure answers).
    if (!usable && this.#failedAt !== undefined && this.#now() - this.#failedAt < FAILURE_HOLD_MS) throw this.#lastError
    const status: LRUCache.Status<'catalog', CatalogSnapshot> = {}
    // A usable snapshot answers at once, even past its TTL, while one refresh
    // runs in the background: an order never waits for the catalog and then
    // for the panel again.
    const value = await this.#cache.fetch('catalog', { status, allowStale: usable })
    // When the refresh failed lru-cache resolves the stale snapshot, or
    // undefined when there is none; past the stale window it is no answer.
    if (value === undefined || !this.#usable(value)) throw this.#lastError ?? new Error('catalog unavailable')
    this.#onRead?.(status.fetch === 'stale' || status.fetchError !== undefined ? 'stale' : status.fetch === 'hit' ? 'hit' : 'miss')
    return value
  }

  #usable (snap: CatalogSnapshot): boolean {
    return this.#now() - snap.fetchedAt <= this.#ttlMs + this.#staleMs
  }

  async service (id: number): Promise<PanelService | undefined> {
    return (await this.get()).byId.get(id)
  }

  /** Fetches the catalog from the panel now, and waits for its onSnapshot. */
  async refresh (): Promise<CatalogSnapshot> {
    const value = await this.#cache.fetch('catalog', { forceRefresh: true })
    if (value === undefined) throw this.#lastError ?? new Error('catalog unavailable')
    await this.#snapshotDone
    return value
  }

  clear (): void {
    this.#cache.clear()
  }
}
