import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { getBalanceSchema } from '../schemas/balance.js'

const balance: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/balance', { schema: getBalanceSchema, config: { scope: 'balance:read' } }, async () => {
    return await app.panel.balance()
  })
}

export default balance
