import { LRUCache } from 'lru-cache'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { Store, Tenant } from '../store/types.js'
import { hashKey, keyPrefix, sameHash } from './keys.js'

export interface Principal {
  tenant: Tenant
  keyId: number
}

interface Entry {
  principal: Principal | null
  /** Known even when refused (a disabled tenant), so enabling it again clears the entry. */
  tenantId: number | null
  keyId: number | null
  expiresAt: number | null
  /** When this instance last recorded the key's use (ms). */
  touchedAt: number
}

const UNKNOWN: Entry = { principal: null, tenantId: null, keyId: null, expiresAt: null, touchedAt: 0 }

// A key's last use is for people rotating keys ("is the old one still used?"):
// a write per key a minute is plenty, and never one per request.
const TOUCH_INTERVAL_MS = 60_000

/** A cache entry to drop: a revoked key, or a changed or disabled tenant. */
export type Invalidation = { key: number } | { tenant: number }

/** Carries this instance's invalidations to the others (Redis pub/sub when REDIS_URL is set). */
export interface InvalidationChannel {
  publish: (invalidation: Invalidation) => void
}

/**
 * Key → tenant, with the answer cached by the key's hash so the hot path costs
 * no query. Revoking a key or changing a tenant drops its entries at once and
 * tells the other instances through the channel, if any; `ttlMs` bounds how
 * long a revocation can go unseen when no signal arrives.
 */
export interface AuthenticatorOptions {
  ttlMs: number
  max?: number
  /** Wall time for key expiry and last use, monotonic time for the cache's TTL; default the system's. */
  clock?: Clock
}

export class Authenticator {
  readonly #store: Store
  readonly #cache: LRUCache<string, Entry>
  readonly #now: () => number
  #channel: InvalidationChannel | undefined

  constructor (store: Store, options: AuthenticatorOptions) {
    this.#store = store
    const clock = options.clock ?? SYSTEM_CLOCK
    this.#now = clock.now
    this.#cache = new LRUCache({
      max: options.max ?? 10_000,
      ttl: Math.max(1, options.ttlMs),
      // The clock is read on every check: lru-cache's default 1 ms memo of the time would outlive a fake clock's jump.
      perf: { now: clock.monotonic },
      ttlResolution: 0
    })
  }

  async authenticate (key: string, now = this.#now()): Promise<Principal | undefined> {
    const prefix = keyPrefix(key)
    if (prefix === undefined) return undefined
    const hash = hashKey(key)
    let entry = this.#cache.get(hash)
    if (entry === undefined) {
      entry = await this.#load(prefix, hash)
      this.#cache.set(hash, entry)
    }
    if (entry.principal === null) return undefined
    if (entry.expiresAt !== null && entry.expiresAt <= now) return undefined
    if (now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
      entry.touchedAt = now
      // Best effort: a failed write only leaves lastUsedAt older than it is.
      this.#store.touchKey(entry.principal.keyId, new Date(now)).catch(() => {})
    }
    return entry.principal
  }

  async #load (prefix: string, hash: string): Promise<Entry> {
    const record = await this.#store.findKeyByPrefix(prefix)
    if (record === undefined || record.revokedAt !== null || !sameHash(record.hash, hash)) return UNKNOWN
    const tenant = await this.#store.getTenant(record.tenantId)
    const known = { tenantId: record.tenantId, keyId: record.id, expiresAt: record.expiresAt?.getTime() ?? null, touchedAt: record.lastUsedAt?.getTime() ?? 0 }
    if (tenant === undefined || tenant.disabled) return { principal: null, ...known }
    return { principal: { tenant, keyId: record.id }, ...known }
  }

  invalidateKey (keyId: number): void {
    this.#drop({ key: keyId })
    this.#channel?.publish({ key: keyId })
  }

  invalidateTenant (tenantId: number): void {
    this.#drop({ tenant: tenantId })
    this.#channel?.publish({ tenant: tenantId })
  }

  /** An invalidation another instance sent: applied here, not sent on. */
  receive (invalidation: Invalidation): void {
    this.#drop(invalidation)
  }

  /** Where invalidations made here are sent from now on. */
  broadcastTo (channel: InvalidationChannel | undefined): void {
    this.#channel = channel
  }

  #drop (invalidation: Invalidation): void {
    const matches = 'key' in invalidation
      ? (entry: Entry) => entry.keyId === invalidation.key
      : (entry: Entry) => entry.tenantId === invalidation.tenant
    for (const [hash, entry] of this.#cache.entries()) {
      if (matches(entry)) this.#cache.delete(hash)
    }
  }

  clear (): void {
    this.#cache.clear()
  }
}
