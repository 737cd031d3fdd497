import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import { Redis, type RedisOptions } from 'ioredis'
import type { RedisConfig } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis connection when REDIS_URL is set. */
    redis: Redis | undefined
  }
}

/** The URL without its credentials, for log lines. */
export function redisTarget (url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
  } catch {
    return 'REDIS_URL'
  }
}

export type RedisRole = 'commands' | 'subscriber'

// Commands fail at once while Redis is away (no offline queue) and time out
// when it hangs, so a request waits on Redis at most COMMAND_TIMEOUT_MS and
// the rate limiter's failure mode decides. A subscriber queues its SUBSCRIBE
// until Redis is back and never gives it up.
const COMMAND_TIMEOUT_MS = 1000
const CONNECT_TIMEOUT_MS = 2000
const RECONNECT_MAX_DELAY_MS = 2000

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  commands: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS },
  subscriber: { enableOfflineQueue: true, maxRetriesPerRequest: null }
}

/**
 * A connection that never crashes the process: it retries for ever with a
 * capped backoff and logs the first failure of each outage (without the URL's
 * password) and the recovery. Connecting starts at once; `ready` settles with
 * the first outcome (true: connected) so start-up neither hangs on a missing
 * Redis nor races a present one.
 */
export function connectRedis (url: string, role: RedisRole, log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug'>): { client: Redis, ready: Promise<boolean> } {
  const redis = redisTarget(url)
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    connectionName: `smm-gateway-${role}`,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS),
    ...ROLE_OPTIONS[role]
  })
  let up: boolean | undefined
  client.on('error', (err: Error & { code?: string }) => {
    if (up !== false) log.warn({ redis, role, err: { message: err.message, code: err.code } }, 'Redis unreachable; retrying')
    else log.debug({ redis, role, err: { message: err.message, code: err.code } }, 'Redis still unreachable')
    up = false
  })
  client.on('ready', () => {
    log.info({ redis, role }, up === false ? 'Redis reachable again' : 'Redis connected')
    up = true
  })
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => { resolve(false) }, CONNECT_TIMEOUT_MS)
    timer.unref()
    client.once('ready', () => { clearTimeout(timer); resolve(true) })
    client.once('error', () => { clearTimeout(timer); resolve(false) })
    client.once('end', () => { clearTimeout(timer); resolve(false) })
  })
  // Failures surface as 'error' events (logged above) and reconnects.
  client.connect().catch(() => {})
  return { client, ready }
}

/** Closes gracefully when connected, else at once (QUIT would wait for a Redis that is not there). */
export async function closeRedis (client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {}
  }
  client.disconnect()
}

/**
 * Redis as the plugins that keep shared state in it take it: the command
 * connection (`app.redis`) and the prefix of every key and channel.
 */
export interface SharedRedis {
  client: Redis
  keyPrefix: string
}

/** `app.redis`: one shared command connection, or undefined without REDIS_URL. */
export default fp<Pick<RedisConfig, 'url'>>(async (app, options) => {
  if (options.url === undefined) {
    app.decorate('redis', undefined)
    return
  }
  const { client, ready } = connectRedis(options.url, 'commands', app.log)
  app.decorate('redis', client)
  app.addHook('onClose', async () => { await closeRedis(client) })
  await ready
}, { name: 'redis' })
