import { createRequire } from 'node:module'
import fp from 'fastify-plugin'
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { RateLimitConfig } from '../config.js'
import { GatewayError } from '../problems/errors.js'
import type { SharedRedis } from './redis.js'

export interface RateLimitOptions extends RateLimitConfig {
  /** Counters shared by every instance (atomic INCR in a Lua script); undefined: in-process. */
  redis?: SharedRedis | undefined
  /** The wall clock that spaces the Redis failure warnings. */
  clock?: Clock
}

type StoreCallback = Parameters<FastifyRateLimitStore['incr']>[1]

/**
 * The library's Redis store, with its failures turned into
 * `rate_limit_unavailable` so that, failing closed, the client gets a 503 it
 * can retry rather than a 500.
 */
function guarded (inner: FastifyRateLimitStore, report: (error: Error) => void): FastifyRateLimitStore {
  const translate = (callback: StoreCallback): StoreCallback => (error, result) => {
    if (error === null) {
      callback(null, result)
      return
    }
    report(error)
    callback(new GatewayError('rate_limit_unavailable', 'Rate limits cannot be checked right now; retry shortly', { cause: error, retryAfter: 1 }))
  }
  return {
    incr: (key, callback, timeWindow, max) => { inner.incr(key, translate(callback), timeWindow, max) },
    child: (routeOptions) => guarded(inner.child(routeOptions), report)
  }
}

// The library's Redis store (its INCR + PEXPIRE Lua script), which the package
// builds only from its `redis` option; required directly so it can be wrapped.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as
  new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => FastifyRateLimitStore

function redisStore (redis: Redis, nameSpace: string, report: (error: Error) => void): FastifyRateLimitStoreCtor {
  return class {
    constructor () {
      return guarded(new RedisStore(false, false, redis, nameSpace), report)
    }
  } as unknown as FastifyRateLimitStoreCtor
}

const REPORT_EVERY_MS = 30_000

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
  const failOpen = options.onRedisError !== 'closed'
  const clock = options.clock ?? SYSTEM_CLOCK
  let reportedAt = -Infinity
  // One line per outage window, not one per request.
  function report (error: Error): void {
    if (clock.now() - reportedAt < REPORT_EVERY_MS) return
    reportedAt = clock.now()
    app.log.warn({ err: { message: error.message }, failOpen }, failOpen
      ? 'rate limits unchecked: Redis fails, requests pass uncounted (RATE_LIMIT_ON_REDIS_ERROR=open)'
      : 'rate limits unchecked: Redis fails, requests are refused (RATE_LIMIT_ON_REDIS_ERROR=closed)')
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: 60_000,
    enableDraftSpec: true,
    keyGenerator: key,
    ...(options.redis === undefined
      ? {}
      : { store: redisStore(options.redis.client, `${options.redis.keyPrefix}rate-limit:`, report), skipOnError: failOpen }),
    max: async (request) => {
      if (request.principal !== undefined) return request.principal.tenant.rateLimitPerMinute ?? options.perMinute
      return request.isAdmin ? options.perMinute : options.unauthenticatedPerMinute
    },
    errorResponseBuilder: (_request, context) => new GatewayError('rate_limited',
      `Limit of ${context.max} requests a minute reached; retry in ${context.after}`,
      { retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)) })
  })
}, { name: 'rate-limit', dependencies: ['auth'] })
