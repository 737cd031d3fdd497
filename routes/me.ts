import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { meSchema } from '../schemas/admin.js'

const me: FastifyPluginAsyncTypebox<{ defaultRateLimit: number }> = async (app, options) => {
  app.get('/me', { schema: meSchema }, async (request) => {
    const { tenant, keyId } = principalOf(request)
    return {
      tenant: { id: tenant.id, name: tenant.name },
      keyId,
      scopes: tenant.scopes,
      rateLimitPerMinute: tenant.rateLimitPerMinute ?? options.defaultRateLimit,
      dailyBudget: tenant.dailyBudget,
      monthlyBudget: tenant.monthlyBudget,
      spend: await app.store.spend(tenant.id),
      allowedServices: tenant.allowedServices
    }
  })
}

export default me
