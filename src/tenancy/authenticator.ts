import { LRUCache } from 'lru-cache'
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
}

const UNKNOWN: Entry = { principal: null, tenantId: null, keyId: null, expiresAt: null }

/**
 * Key → tenant, with the answer cached by the key's hash so the hot path costs
 * no query. Revoking a key or changing a tenant drops its entries at once;
 * `ttlMs` bounds how long another instance's revocation can go unseen.
 */
export class Authenticator {
  readonly #store: Store
  readonly #cache: LRUCache<string, Entry>

  constructor (store: Store, options: { ttlMs: number, max?: number }) {
    this.#store = store
    this.#cache = new LRUCache({ max: options.max ?? 10_000, ttl: Math.max(1, options.ttlMs) })
  }

  async authenticate (key: string, now = Date.now()): Promise<Principal | undefined> {
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
    return entry.principal
  }

  async #load (prefix: string, hash: string): Promise<Entry> {
    const record = await this.#store.findKeyByPrefix(prefix)
    if (record === undefined || record.revokedAt !== null || !sameHash(record.hash, hash)) return UNKNOWN
    const tenant = await this.#store.getTenant(record.tenantId)
    const known = { tenantId: record.tenantId, keyId: record.id, expiresAt: record.expiresAt?.getTime() ?? null }
    if (tenant === undefined || tenant.disabled) return { principal: null, ...known }
    return { principal: { tenant, keyId: record.id }, ...known }
  }

  invalidateKey (keyId: number): void {
    for (const [hash, entry] of this.#cache.entries()) {
      if (entry.keyId === keyId) this.#cache.delete(hash)
    }
  }

  invalidateTenant (tenantId: number): void {
    for (const [hash, entry] of this.#cache.entries()) {
      if (entry.tenantId === tenantId) this.#cache.delete(hash)
    }
  }

  clear (): void {
    this.#cache.clear()
  }
}
