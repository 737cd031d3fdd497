import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { webhookRoutes } from './webhooks.js'

/** The operator's webhook endpoints, behind ADMIN_TOKEN: they receive every event; the operator sees every tenant's too. */
const adminWebhooks: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(webhookRoutes, { under: '/admin', routeConfig: { admin: true }, owner: () => null })
}

export default adminWebhooks
