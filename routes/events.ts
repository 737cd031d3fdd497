import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { feedPage } from '../src/events/feed.js'
import { listEventsSchema } from '../schemas/events.js'

/** The tenant's event feed. */
const events: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/events', { schema: listEventsSchema, config: { scope: 'orders:read' } }, async (request) => {
    return await feedPage(app.store, 'events', principalOf(request).tenant, request.query)
  })
}

export default events
