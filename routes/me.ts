import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RateLimitConfig } from '../src/config.js'
import { principalOf } from '../src/tenancy/auth.js'
import { meSchema } from '../schemas/admin.js'

/** The rate-limit slice: `perMinute` is the limit of a tenant without one of its own. */
const me: FastifyPluginAsyncTypebox<Pick<RateLimitConfig, 'perMinute'>> = async (app, options) => {
  app.get('/me', { schema: meSchema }, async (request) => {
    const { tenant, keyId } = principalOf(request)
    return {
      tenant: { id: tenant.id, name: tenant.name },
      keyId,
      scopes: tenant.scopes,
      rateLimitPerMinute: tenant.rateLimitPerMinute ?? options.perMinute,
      dailyBudget: tenant.dailyBudget,
      monthlyBudget: tenant.monthlyBudget,
      spend: await app.store.spend(tenant.id),
      allowedServices: tenant.allowedServices
    }
  })
}

export default me
