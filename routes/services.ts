import { hash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { GatewayError } from '../src/problems/errors.js'
import { serviceAllowed } from '../src/tenancy/allowlist.js'
import type { Tenant } from '../src/store/types.js'
import type { CatalogSnapshot } from '../src/catalog/catalog.js'
import { canonicalType, typeKey } from '../src/upstream/service-types.js'
import type { PanelService } from '../src/upstream/types.js'
import { getServiceSchema, listCategoriesSchema, listServicesSchema, type ServicesQueryT } from '../schemas/services.js'

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

function matches (service: PanelService, query: ServicesQueryT, type: string | undefined, words: string[]): boolean {
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

function visible (snap: CatalogSnapshot, tenant: Tenant): PanelService[] {
  return tenant.allowedServices === null ? snap.services : snap.services.filter((s) => serviceAllowed(tenant, s))
}

function render (snap: CatalogSnapshot, tenant: Tenant, query: ServicesQueryT, type: string | undefined): string {
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '')
  const found = visible(snap, tenant).filter((s) => matches(s, query, type, words))
  return JSON.stringify({ items: found.slice(query.offset, query.offset + query.limit), total: found.length })
}

/** The answer for a query, serialised once per catalog snapshot (bounded), with its ETag. */
function answer (snap: CatalogSnapshot, tenant: Tenant, query: ServicesQueryT): { body: Buffer, etag: string } {
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

function notModified (ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === 'W/' + etag
  })
}

const services: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/services', { schema: listServicesSchema, config: { scope: 'services:read' } }, async (request, reply) => {
    const { body, etag } = answer(await app.catalog.get(), principalOf(request).tenant, request.query)
    reply.header('etag', etag).header('cache-control', 'private, no-cache')
    if (notModified(request.headers['if-none-match'], etag)) return await reply.code(304).send(null)
    // Already serialised: bytes with a JSON content type go out as they are.
    return await reply.type('application/json; charset=utf-8').send(body as never)
  })

  app.get('/services/:id', { schema: getServiceSchema, config: { scope: 'services:read' } }, async (request) => {
    const service = await app.catalog.service(request.params.id)
    if (service === undefined || !serviceAllowed(principalOf(request).tenant, service)) throw new GatewayError('not_found', `Service ${request.params.id} does not exist`)
    return service
  })

  app.get('/categories', { schema: listCategoriesSchema, config: { scope: 'services:read' } }, async (request) => {
    const snap = await app.catalog.get()
    const tenant = principalOf(request).tenant
    if (tenant.allowedServices === null) return { items: snap.categories }
    const counts = new Map<string, number>()
    for (const s of visible(snap, tenant)) counts.set(s.category, (counts.get(s.category) ?? 0) + 1)
    return { items: [...counts].map(([name, serviceCount]) => ({ name, serviceCount })) }
  })
}

export default services
