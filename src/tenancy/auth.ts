import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type { Clock } from '../clock.js'
import type { AuthConfig } from '../config.js'
import { GatewayError } from '../problems/errors.js'
import type { Scope } from '../store/types.js'
import { Authenticator, type Principal } from './authenticator.js'
import { bearerToken, secretMatcher } from './bearer.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a key (health, docs, spec). */
    public?: boolean
    /** Needs the ADMIN_TOKEN instead of a tenant key. */
    admin?: boolean
    /** The scope a tenant key needs for this route. */
    scope?: Scope
  }
  interface FastifyRequest {
    /** The calling tenant and key, once authenticated. */
    principal: Principal | undefined
    /** The request carried the valid ADMIN_TOKEN. */
    isAdmin: boolean
  }
  interface FastifyInstance {
    authenticator: Authenticator
  }
}

/** The key a client sent: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') return bearerToken(header)
  const apiKey = request.headers['x-api-key']
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined
}

/**
 * Authentication in two steps around the rate limiter: `onRequest` finds who
 * is calling (so the limiter can count per tenant, or per IP for strangers),
 * `preParsing` refuses, before any body is read, who may not call the route.
 */
export default fp<AuthConfig & { clock?: Clock }>(async (app, options) => {
  const authenticator = new Authenticator(app.store, {
    ttlMs: options.cacheSeconds * 1000,
    failedLookupsPerMinute: options.failedLookupsPerMinute,
    clock: options.clock,
    onLookup: (result) => { app.metrics.keyLookups.inc({ result }) }
  })
  const isAdminToken = secretMatcher(options.adminToken)
  app.decorate('authenticator', authenticator)
  app.decorateRequest('principal', undefined)
  app.decorateRequest('isAdmin', false)

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    if (config.public === true || request.is404) return
    const key = presentedKey(request)
    if (key === undefined) return
    if (config.admin === true) {
      request.isAdmin = isAdminToken(key)
    } else {
      // request.ip is the client's address behind TRUST_PROXY's proxies, the socket's otherwise.
      request.principal = await authenticator.authenticate(key, request.ip)
    }
  })

  app.addHook('preParsing', async (request) => {
    const config = request.routeOptions.config
    if (config.public === true || request.is404) return
    if (config.admin === true) {
      if (!request.isAdmin) throw new GatewayError('unauthorized', 'Admin routes need "Authorization: Bearer <ADMIN_TOKEN>"')
      return
    }
    const principal = request.principal
    if (principal === undefined) {
      throw new GatewayError('unauthorized', presentedKey(request) === undefined
        ? 'Send your key as "Authorization: Bearer <key>" or "X-API-Key: <key>"'
        : 'The key is not valid (unknown, revoked or expired)')
    }
    if (config.scope !== undefined && !principal.tenant.scopes.includes(config.scope)) {
      throw new GatewayError('forbidden', `This key's tenant lacks the scope "${config.scope}"`)
    }
  })

  app.addHook('onClose', async () => { authenticator.clear() })
}, { name: 'auth', dependencies: ['store', 'metrics'] })

/** The authenticated principal of a tenant route (the preParsing hook guarantees it). */
export function principalOf (request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new GatewayError('unauthorized')
  return request.principal
}
