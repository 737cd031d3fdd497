import fp from 'fastify-plugin'
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'
import cors from '@fastify/cors'
import type { ServerConfig } from '../config.js'

/** The server slice: its browser origins allowed cross-origin (exact match); empty: no CORS at all. */
export type EdgesOptions = Pick<ServerConfig, 'corsOrigins'>

// The API only ever answers JSON: nothing it serves may load, run or be framed.
const API_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"]
}

/**
 * Swagger UI's CSP (given to @fastify/swagger-ui as `staticCSP`, which sets it
 * on every /docs response). Its page has no inline script, so 'self'
 * suffices; images and fonts come as data: URLs from its CSS. Unlike the
 * plugin's `staticCSP: true` there is no `upgrade-insecure-requests` (a
 * gateway reached over plain HTTP inside a network would have "Try it out"
 * upgraded to an https:// that does not answer) and no remote origins.
 */
export const DOCS_CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  // The one inline <style>: inside the Swagger logo SVG in swagger-ui-bundle.js (test/e2e/swagger-ui.test.ts sees a new one).
  'style-src': ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"]
}

export const CORS_ALLOWED_HEADERS = ['Authorization', 'X-API-Key', 'Idempotency-Key', 'Content-Type', 'X-Request-Id', 'If-None-Match']
export const CORS_EXPOSED_HEADERS = ['Location', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id', 'Idempotent-Replayed', 'ETag']

/**
 * The headers helmet sets, worked out once: they depend on nothing in the
 * request, and @fastify/helmet would build the whole helmet middleware chain
 * again on every request (a tenth of a cached GET /services).
 */
export function securityHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const capture = {
    setHeader: (name: string, value: string | number | readonly string[]) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  helmet(options)({} as IncomingMessage, capture as unknown as ServerResponse, (err?: unknown) => { if (err !== undefined) throw err })
  return headers
}

/**
 * What every answer gets before any route runs: security headers, CORS for
 * the configured origins, and JSON as the only body type. Registered before
 * auth and the rate limiter, so an allowed preflight (which carries no key)
 * is answered here.
 */
export default fp<EdgesOptions>(async (app, options) => {
  const security = securityHeaders({ contentSecurityPolicy: { useDefaults: false, directives: API_CSP } })
  app.addHook('onRequest', async (_request, reply) => { reply.headers(security) })

  if (options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins)
    // @fastify/cors's OPTIONS route answers refused preflights with a 404; it needs no key.
    app.addHook('onRoute', (route) => {
      if (route.method === 'OPTIONS' && route.url === '*') route.config = { ...route.config, public: true }
    })
    await app.register(cors, {
      // false (not an allowlist array): a refused origin gets no CORS headers and its preflight a 404, instead of a 204 without Allow-Origin.
      origin: (origin, callback) => { callback(null, origin !== undefined && allowed.has(origin)) },
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
      // A bare OPTIONS from an allowed origin gets the preflight answer rather than a text/plain 400.
      strictPreflight: false
    })
  }

  // Fastify parses text/plain by default; the API takes JSON only (415 unsupported_media_type otherwise).
  app.removeContentTypeParser('text/plain')
}, { name: 'edges' })
