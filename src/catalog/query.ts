import { hash } from 'node:crypto'
import type { Tenant } from '../store/types.js'
import { serviceAllowed } from '../tenancy/allowlist.js'
import { canonicalType, typeKey } from '../upstream/service-types.js'
import type { PanelService } from '../upstream/types.js'
import type { CatalogSnapshot } from './catalog.js'

/** A search of the catalog: every filter optional, a page by offset. */
export interface ServiceQuery {
  category?: string
  type?: string
  q?: string
  refill?: boolean
  cancel?: boolean
  limit: number
  offset: number
}

export interface ServicesAnswer {
  /** `{ items, total }`, serialised: bytes ready for the socket. */
  body: Buffer
  etag: string
}

const MEMO_LIMIT = 64

/**
 * A type as the filter compares it: the key of its canonical name when the
 * gateway knows it (`subscription` and `Subscriptions` alike), else its
 * letters; a type without any Latin letter is compared as it is written.
 */
function typeFold (type: string): string {
  const key = typeKey(canonicalType(type) ?? type)
  return key === '' ? type.trim().toLowerCase() : key
}

function matches (service: PanelService, query: ServiceQuery, type: string | undefined, words: string[]): boolean {
  if (query.category !== undefined && service.category.toLowerCase() !== query.category.toLowerCase()) return false
  if (type !== undefined && typeFold(service.type) !== type && typeFold(service.panelType) !== type) return false
  // Only a stated flag matches: null (the panel does not say) is neither true nor false.
  if (query.refill !== undefined && service.refill !== query.refill) return false
  if (query.cancel !== undefined && service.cancel !== query.cancel) return false
  if (words.length > 0) {
    const name = service.name.toLowerCase()
    if (!words.every((w) => name.includes(w))) return false
  }
  return true
}

/** The services a tenant may see (its allowlist applied). */
export function visibleServices (snap: CatalogSnapshot, tenant: Tenant): PanelService[] {
  return tenant.allowedServices === null ? snap.services : snap.services.filter((s) => serviceAllowed(tenant, s))
}

/** The categories a tenant sees, with how many of its services each holds. */
export function visibleCategories (snap: CatalogSnapshot, tenant: Tenant): Array<{ name: string, serviceCount: number }> {
  if (tenant.allowedServices === null) return snap.categories
  const counts = new Map<string, number>()
  for (const s of visibleServices(snap, tenant)) counts.set(s.category, (counts.get(s.category) ?? 0) + 1)
  return [...counts].map(([name, serviceCount]) => ({ name, serviceCount }))
}

function render (snap: CatalogSnapshot, tenant: Tenant, query: ServiceQuery, type: string | undefined): string {
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '')
  const found = visibleServices(snap, tenant).filter((s) => matches(s, query, type, words))
  return JSON.stringify({ items: found.slice(query.offset, query.offset + query.limit), total: found.length })
}

/** The answer to a query, serialised once per catalog snapshot (a bounded memo the snapshot carries), with its ETag. */
export function searchServices (snap: CatalogSnapshot, tenant: Tenant, query: ServiceQuery): ServicesAnswer {
  // Tenants with an allowlist see their own catalog; the rest share one.
  const audience = tenant.allowedServices === null ? 'all' : `${tenant.id}@${tenant.updatedAt.getTime()}`
  // Spellings of one type share one answer and one ETag.
  const type = query.type === undefined ? undefined : typeFold(query.type)
  const memoKey = JSON.stringify([audience, query.category, type, query.q, query.refill, query.cancel, query.limit, query.offset])
  const memo = snap.serialised.get(memoKey)
  if (memo !== undefined) return memo
  const fresh = {
    body: Buffer.from(render(snap, tenant, query, type)),
    etag: snap.etag.slice(0, -1) + '.' + hash('sha1', memoKey, 'base64url').slice(0, 10) + '"'
  }
  if (snap.serialised.size < MEMO_LIMIT) snap.serialised.set(memoKey, fresh)
  return fresh
}

/** Whether an `If-None-Match` header names this tag (weak or strong, or `*`). */
export function notModified (ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === 'W/' + etag
  })
}
