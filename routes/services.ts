import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../src/errors.js'
import type { CatalogSnapshot } from '../src/catalog/catalog.js'
import type { PanelService } from '../src/upstream/types.js'
import { getServiceSchema, listCategoriesSchema, listServicesSchema, type ServicesQueryT } from '../schemas/services.js'

const MEMO_LIMIT = 64

function matches (service: PanelService, query: ServicesQueryT, words: string[]): boolean {
  if (query.category !== undefined && service.category.toLowerCase() !== query.category.toLowerCase()) return false
  if (query.type !== undefined && service.type.toLowerCase() !== query.type.toLowerCase()) return false
  if (query.refill !== undefined && service.refill !== query.refill) return false
  if (query.cancel !== undefined && service.cancel !== query.cancel) return false
  if (words.length > 0) {
    const name = service.name.toLowerCase()
    if (!words.every((w) => name.includes(w))) return false
  }
  return true
}

function render (snap: CatalogSnapshot, query: ServicesQueryT): string {
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '')
  const found = snap.services.filter((s) => matches(s, query, words))
  return JSON.stringify({ items: found.slice(query.offset, query.offset + query.limit), total: found.length })
}

/** The answer for a query, serialised once per catalog snapshot (bounded), with its ETag. */
function answer (snap: CatalogSnapshot, query: ServicesQueryT): { body: string, etag: string } {
  const memoKey = JSON.stringify([query.category, query.type, query.q, query.refill, query.cancel, query.limit, query.offset])
  let body = snap.serialised.get(memoKey)
  if (body === undefined) {
    body = render(snap, query)
    if (snap.serialised.size < MEMO_LIMIT) snap.serialised.set(memoKey, body)
  }
  const etag = snap.etag.slice(0, -1) + '.' + createHash('sha1').update(memoKey).digest('base64url').slice(0, 10) + '"'
  return { body, etag }
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
    const { body, etag } = answer(await app.catalog.get(), request.query)
    reply.header('etag', etag).header('cache-control', 'private, no-cache')
    if (notModified(request.headers['if-none-match'], etag)) return await reply.code(304).send(null)
    // Already serialised: a string with a JSON content type goes out as it is.
    return await reply.type('application/json; charset=utf-8').send(body as never)
  })

  app.get('/services/:id', { schema: getServiceSchema, config: { scope: 'services:read' } }, async (request) => {
    const service = await app.catalog.service(request.params.id)
    if (service === undefined) throw new GatewayError('not_found', `Service ${request.params.id} does not exist`)
    return service
  })

  app.get('/categories', { schema: listCategoriesSchema, config: { scope: 'services:read' } }, async () => {
    return { items: (await app.catalog.get()).categories }
  })
}

export default services
