import { LRUCache } from 'lru-cache'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import { GatewayError } from '../problems/errors.js'
import type { Store, Tenant } from '../store/types.js'
import { FailedLookups, type Charge } from './failed-lookups.js'
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

/** What a lookup that reached the store found. */
export type LookupResult = 'valid' | 'unknown' | 'wrong_secret' | 'revoked' | 'disabled'

// An unknown key is remembered briefly, so a client retrying a bad key costs a
// query every few seconds rather than one a request. Longer buys little (the
// failed-lookup limit already bounds what a client costs the store) and would
// only stretch the time another instance, which cannot be told of a new key,
// might refuse a key whose hash it saw before the key was issued.
const NEGATIVE_TTL_MS = 5_000

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
  /** Entries of keys found in the store (valid, or of a disabled tenant). */
  max?: number
  /** How long an unknown, wrongly completed or revoked key is remembered; default the lesser of 5 s and ttlMs. */
  negativeTtlMs?: number
  /** Unknown keys remembered, in a cache of their own: a flood of random keys never evicts a valid one. */
  negativeMax?: number
  /** Failed key lookups a client (by address) may make a minute; default no limit. */
  failedLookupsPerMinute?: number
  /** Wall time for key expiry and last use, monotonic time for the caches' TTL and the failure windows; default the system's. */
  clock?: Clock
  /** Told of every lookup that reached the store, with what it found (a metric). */
  onLookup?: (result: LookupResult) => void
}

export class Authenticator {
  readonly #store: Store
  readonly #cache: LRUCache<string, Entry>
  /** Hashes of keys the store does not know (or knows revoked); apart, so they cannot evict the others. */
  readonly #unknown: LRUCache<string, true>
  readonly #failures: FailedLookups | undefined
  /** Hashes of keys found valid here, kept past the cache's TTL (no secret: a hash of a key this instance was shown). */
  readonly #wasValid: LRUCache<string, true>
  /** Lookups on their way to the store, by key hash. */
  readonly #loading = new Map<string, Promise<Entry>>()
  readonly #now: () => number
  readonly #onLookup: (result: LookupResult) => void
  #channel: InvalidationChannel | undefined

  constructor (store: Store, options: AuthenticatorOptions) {
    this.#store = store
    const clock = options.clock ?? SYSTEM_CLOCK
    this.#now = clock.now
    this.#onLookup = options.onLookup ?? (() => {})
    // The clock is read on every check: lru-cache's default 1 ms memo of the time would outlive a fake clock's jump.
    const time = { perf: { now: clock.monotonic }, ttlResolution: 0 }
    this.#cache = new LRUCache({ max: options.max ?? 10_000, ttl: Math.max(1, options.ttlMs), ...time })
    this.#wasValid = new LRUCache({ max: options.max ?? 10_000 })
    this.#unknown = new LRUCache({
      max: options.negativeMax ?? 10_000,
      ttl: Math.max(1, options.negativeTtlMs ?? Math.min(NEGATIVE_TTL_MS, options.ttlMs)),
      ...time
    })
    this.#failures = options.failedLookupsPerMinute === undefined
      ? undefined
      : new FailedLookups({ perMinute: options.failedLookupsPerMinute, monotonic: clock.monotonic })
  }

  /**
   * The principal of `key`, or undefined when the key is not valid. `client`
   * (the caller's address) is refused with `rate_limited` once it has
   * presented too many keys that were not valid this minute, unless this key
   * is cached as valid: no store query for it, and none for its neighbours.
   */
  async authenticate (key: string, client?: string): Promise<Principal | undefined> {
    const prefix = keyPrefix(key)
    if (prefix === undefined) return undefined
    const hash = hashKey(key)
    const now = this.#now()
    const cached = this.#cache.get(hash)
    if (cached !== undefined && usable(cached, now)) return this.#use(cached, now)

    const known = cached ?? (this.#unknown.has(hash) ? UNKNOWN : undefined)
    if (known === undefined) return await this.#lookUp(prefix, hash, client, now)
    // Known and refused (unknown, revoked, expired, a disabled tenant): no query, but a failure all the same.
    const charge = this.#charge(client)
    if (!usable(known, now)) return undefined
    charge?.refund()
    return this.#use(known, now)
  }

  /**
   * One store query per key however many requests present it at once (a cold
   * start, a burst from one app): the first is charged and looks it up, the
   * others wait for its answer, and count as failures only if it is no key.
   */
  async #lookUp (prefix: string, hash: string, client: string | undefined, now: number): Promise<Principal | undefined> {
    const pending = this.#loading.get(hash)
    if (pending !== undefined) {
      const entry = await pending
      if (!usable(entry, now)) {
        if (client !== undefined) this.#failures?.charge(client)
        return undefined
      }
      return this.#use(entry, now)
    }
    // A key this instance found valid before is looked up again (its cache entry expired, or an
    // invalidation dropped it) whatever else its address sent: an attacker sharing an app's
    // address cannot lock the app out, and no one can guess a key that was valid.
    const charge = this.#wasValid.has(hash) ? undefined : this.#charge(client)
    const loading = this.#load(prefix, hash).then((entry) => {
      if (entry === UNKNOWN) {
        this.#unknown.set(hash, true)
        this.#wasValid.delete(hash)
      } else {
        this.#cache.set(hash, entry)
        if (entry.principal !== null) this.#wasValid.set(hash, true)
      }
      return entry
    }).finally(() => { this.#loading.delete(hash) })
    this.#loading.set(hash, loading)
    let entry: Entry
    try {
      entry = await loading
    } catch (error) {
      charge?.refund() // the store failed, not the key
      throw error
    }
    if (!usable(entry, now)) return undefined
    charge?.refund()
    return this.#use(entry, now)
  }

  /** A key just issued: forgotten if its hash was remembered as unknown, so it works at once. */
  admit (key: string): void {
    this.#unknown.delete(hashKey(key))
  }

  /** Counts the lookup against `client` until the key proves valid; refuses it if the client is over its limit. */
  #charge (client: string | undefined): Charge | undefined {
    if (client === undefined || this.#failures === undefined) return undefined
    const wait = this.#failures.refusedFor(client)
    if (wait !== undefined) {
      throw new GatewayError('rate_limited', `Too many keys that are not valid from this address; try again in ${wait} s`, { retryAfter: wait })
    }
    return this.#failures.charge(client)
  }

  #use (entry: Entry & { principal: Principal }, now: number): Principal {
    if (now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
      entry.touchedAt = now
      // Best effort: a failed write only leaves lastUsedAt older than it is.
      this.#store.touchKey(entry.principal.keyId, new Date(now)).catch(() => {})
    }
    return entry.principal
  }

  async #load (prefix: string, hash: string): Promise<Entry> {
    const record = await this.#store.findKeyByPrefix(prefix)
    if (record === undefined) return this.#refused('unknown')
    if (!sameHash(record.hash, hash)) return this.#refused('wrong_secret')
    if (record.revokedAt !== null) return this.#refused('revoked')
    const tenant = await this.#store.getTenant(record.tenantId)
    const known = { tenantId: record.tenantId, keyId: record.id, expiresAt: record.expiresAt?.getTime() ?? null, touchedAt: record.lastUsedAt?.getTime() ?? 0 }
    if (tenant === undefined || tenant.disabled) {
      this.#onLookup('disabled')
      return { principal: null, ...known }
    }
    this.#onLookup('valid')
    return { principal: { tenant, keyId: record.id }, ...known }
  }

  #refused (result: LookupResult): Entry {
    this.#onLookup(result)
    return UNKNOWN
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
    this.#unknown.clear()
    this.#failures?.clear()
  }
}

function usable (entry: Entry, now: number): entry is Entry & { principal: Principal } {
  return entry.principal !== null && (entry.expiresAt === null || entry.expiresAt > now)
}
