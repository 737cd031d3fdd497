import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { getBalanceSchema } from '../schemas/balance.js'

const balance: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/balance', { schema: getBalanceSchema, config: { scope: 'balance:read' } }, async (request) => {
    return await app.panel.forTenant(principalOf(request).tenant.id).balance()
  })
}

export default balance
