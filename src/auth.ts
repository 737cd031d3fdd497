import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { GatewayError } from './errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a key (health, docs, spec). */
    public?: boolean
    /** The scope a key needs for this route. */
    scope?: string
  }
}

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** The key a client sent: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match?.[1]
  }
  const apiKey = request.headers['x-api-key']
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined
}

/**
 * The one authentication hook. Until tenants exist it accepts the keys of
 * API_KEYS; comparing SHA-256 digests in constant time leaks neither the keys
 * nor their lengths.
 */
export default fp<{ apiKeys: string[] }>(async (app, { apiKeys }) => {
  const accepted = apiKeys.map(digest)
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || request.is404) return
    const key = presentedKey(request)
    if (key === undefined) throw new GatewayError('unauthorized', 'Send your key as "Authorization: Bearer <key>" or "X-API-Key: <key>"')
    const presented = digest(key)
    let ok = false
    for (const candidate of accepted) ok = timingSafeEqual(candidate, presented) || ok
    if (!ok) throw new GatewayError('unauthorized', 'The key is not valid')
  })
}, { name: 'auth' })
