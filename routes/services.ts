import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { GatewayError } from '../src/problems/errors.js'
import { serviceAllowed } from '../src/tenancy/allowlist.js'
import { notModified, searchServices, visibleCategories } from '../src/catalog/query.js'
import { getServiceSchema, listCategoriesSchema, listServicesSchema } from '../schemas/services.js'

const services: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/services', { schema: listServicesSchema, config: { scope: 'services:read' } }, async (request, reply) => {
    const { body, etag } = searchServices(await app.catalog.get(), principalOf(request).tenant, request.query)
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
    return { items: visibleCategories(await app.catalog.get(), principalOf(request).tenant) }
  })
}

export default services
