import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { principalOf } from '../src/tenancy/auth.js'
import { newSecret } from '../src/events/signing.js'
import { decodeCursor, deliveryJson, encodeCursor, endpointOr404, endpointView, eventFilter, notFound } from '../src/events/endpoints.js'
import {
  createWebhookSchema, deleteWebhookSchema, getWebhookSchema, listDeliveriesSchema, listWebhooksSchema, patchWebhookSchema, replaySchema, rotateSecretSchema
} from '../schemas/webhooks.js'

export interface WebhookRoutesOptions {
  /** '' for a tenant's, '/admin' for the operator's */
  under: string
  routeConfig: Record<string, unknown>
  /** whose endpoints: the tenant's id, or null (the operator: all of them; new ones receive every event) */
  owner: (request: FastifyRequest) => number | null
}

/** Webhook endpoints and their deliveries: the same routes for a tenant (its own) and, under /admin, for the operator. */
export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRoutesOptions> = async (app, { under, routeConfig: config, owner }) => {
  const base = `${under}/webhooks`

  app.post(base, { schema: createWebhookSchema, config }, async (request, reply) => {
    const events = eventFilter(request.body.events)
    await app.webhooks.checkTarget(request.body.url)
    const secret = newSecret()
    const endpoint = await app.store.createEndpoint({ tenantId: owner(request), url: request.body.url, events, secret }, app.webhooks.now())
    request.log.info({ webhook: endpoint.id, tenant: endpoint.tenantId }, 'webhook endpoint created')
    return await reply.code(201).header('location', `${base}/${endpoint.id}`).send({ ...endpointView(endpoint), secret })
  })

  app.get(base, { schema: listWebhooksSchema, config }, async (request) => {
    return { items: (await app.store.listEndpoints(owner(request))).map(endpointView) }
  })

  app.get(`${base}/:id`, { schema: getWebhookSchema, config }, async (request) => {
    return endpointView(endpointOr404(await app.store.getEndpoint(owner(request), request.params.id), request.params.id))
  })

  app.patch(`${base}/:id`, { schema: patchWebhookSchema, config }, async (request) => {
    const { id } = request.params
    endpointOr404(await app.store.getEndpoint(owner(request), id), id)
    const events = request.body.events === undefined ? undefined : eventFilter(request.body.events)
    if (request.body.url !== undefined) await app.webhooks.checkTarget(request.body.url)
    const patch = { url: request.body.url, events, enabled: request.body.enabled }
    const endpoint = endpointOr404(await app.store.updateEndpoint(owner(request), id, patch, app.webhooks.now()), id)
    request.log.info({ webhook: id, fields: Object.keys(request.body) }, 'webhook endpoint changed')
    return endpointView(endpoint)
  })

  app.delete(`${base}/:id`, { schema: deleteWebhookSchema, config }, async (request, reply) => {
    if (!await app.store.deleteEndpoint(owner(request), request.params.id)) throw notFound(request.params.id)
    request.log.info({ webhook: request.params.id }, 'webhook endpoint deleted')
    return await reply.code(204).send(null)
  })

  app.post(`${base}/:id/rotate-secret`, { schema: rotateSecretSchema, config }, async (request) => {
    const { id } = request.params
    const now = app.webhooks.now()
    const until = new Date(now.getTime() + app.webhooks.secretOverlapMs)
    const secret = newSecret()
    endpointOr404(await app.store.rotateSecret(owner(request), id, secret, until, now), id)
    request.log.info({ webhook: id, previousSecretExpiresAt: until.toISOString() }, 'webhook secret rotated')
    return { secret, previousSecretExpiresAt: until.toISOString() }
  })

  app.get(`${base}/:id/deliveries`, { schema: listDeliveriesSchema, config }, async (request) => {
    const { id } = request.params
    const cursor = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor)
    const page = await app.store.listDeliveries(owner(request), id, { limit: request.query.limit, cursor })
    if (page === undefined) throw notFound(id)
    return { items: page.items.map(deliveryJson), nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) }
  })

  app.post(`${base}/:id/replay`, { schema: replaySchema, config }, async (request) => {
    const { id } = request.params
    const replayed = await app.store.replayDeliveries(owner(request), id, new Date(request.query.since), app.webhooks.now())
    if (replayed === undefined) throw notFound(id)
    request.log.info({ webhook: id, replayed }, 'webhook deliveries replayed')
    return { replayed }
  })
}

/** A tenant's own webhook endpoints. */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(webhookRoutes, { under: '', routeConfig: { scope: 'orders:read' }, owner: (request) => principalOf(request).tenant.id })
}

export default webhooks
