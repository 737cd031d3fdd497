import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { feedPage } from '../src/events/feed.js'
import { listAdminEventsSchema } from '../schemas/events.js'

/** Every event, for operators, behind ADMIN_TOKEN. */
const adminEvents: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/admin/events', { schema: listAdminEventsSchema, config: { admin: true } }, async (request) => {
    return await feedPage(app.store, 'admin-events', undefined, request.query)
  })
}

export default adminEvents
