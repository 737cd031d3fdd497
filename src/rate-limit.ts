import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { GatewayError } from './errors.js'

export interface RateLimitOptions {
  /** Tenants without a limit of their own, and the admin. */
  perMinute: number
  /** Callers without a valid key, by IP. */
  unauthenticatedPerMinute: number
}

/**
 * Per-tenant limits (the tenant's `rateLimitPerMinute`, else the default);
 * callers without a valid key are counted by IP. Runs after the auth
 * plugin's onRequest hook has found the tenant.
 */
export default fp<RateLimitOptions>(async (app, options) => {
  function key (request: FastifyRequest): string {
    if (request.principal !== undefined) return `tenant:${request.principal.tenant.id}`
    if (request.isAdmin) return 'admin'
    return `ip:${request.ip}`
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: 60_000,
    enableDraftSpec: true,
    keyGenerator: key,
    max: async (request) => {
      if (request.principal !== undefined) return request.principal.tenant.rateLimitPerMinute ?? options.perMinute
      return request.isAdmin ? options.perMinute : options.unauthenticatedPerMinute
    },
    errorResponseBuilder: (_request, context) => new GatewayError('rate_limited',
      `Limit of ${context.max} requests a minute reached; retry in ${context.after}`,
      { retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)) })
  })
}, { name: 'rate-limit', dependencies: ['auth'] })
