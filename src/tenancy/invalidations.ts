import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { RedisConfig } from '../config.js'
import type { Invalidation } from './authenticator.js'
import { closeRedis, connectRedis } from '../plugins/redis.js'

/** The pub/sub channel every instance with the same REDIS_KEY_PREFIX listens on. */
export function invalidationChannel (keyPrefix: string): string {
  return `${keyPrefix}auth-invalidations`
}

interface Message {
  /** The sending instance (or `cli`): an instance ignores its own messages. */
  from: string
  invalidation: Invalidation
}

function encode (message: Message): string {
  return JSON.stringify({ from: message.from, ...message.invalidation })
}

function isId (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

export function decodeInvalidation (text: string): Message | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object') return undefined
  const { from, key, tenant } = parsed as Record<string, unknown>
  if (typeof from !== 'string') return undefined
  if (isId(key)) return { from, invalidation: { key } }
  if (isId(tenant)) return { from, invalidation: { tenant } }
  return undefined
}

export async function publishInvalidation (redis: Redis, channel: string, message: Message): Promise<void> {
  await redis.publish(channel, encode(message))
}

const quiet = { info () {}, warn () {}, debug () {} }

/**
 * For the CLI, which changes the store directly: tells the running instances
 * over a connection of its own. False when Redis could not be reached (the
 * instances then see the change within AUTH_CACHE_SECONDS).
 */
export async function announceInvalidation (url: string, keyPrefix: string, invalidation: Invalidation): Promise<boolean> {
  const { client, ready } = connectRedis(url, 'commands', quiet)
  try {
    if (!(await ready)) return false
    await publishInvalidation(client, invalidationChannel(keyPrefix), { from: 'cli', invalidation })
    return true
  } catch {
    return false
  } finally {
    await closeRedis(client)
  }
}

/**
 * With Redis, a key revoked or a tenant changed on one instance is dropped
 * from every instance's auth cache within moments: the authenticator publishes
 * on the shared connection and every instance listens on a second one (a
 * subscribed connection can send nothing else). Signals sent while this
 * instance was cut off are lost, so a reconnect drops the whole cache.
 */
export default fp<RedisConfig>(async (app, options) => {
  const redis = app.redis
  if (options.url === undefined || redis === undefined) return
  const channel = invalidationChannel(options.keyPrefix)
  const self = randomUUID()

  app.authenticator.broadcastTo({
    publish (invalidation) {
      publishInvalidation(redis, channel, { from: self, invalidation }).catch((err: Error) => {
        app.log.warn({ invalidation, err: { message: err.message } }, 'could not tell the other instances; they see it within AUTH_CACHE_SECONDS')
      })
    }
  })

  const subscriber = connectRedis(options.url, 'subscriber', app.log)
  subscriber.client.on('message', (from: string, text: string) => {
    if (from !== channel) return
    const message = decodeInvalidation(text)
    if (message === undefined) {
      app.log.warn({ channel }, 'ignored a malformed invalidation message')
      return
    }
    if (message.from === self) return
    app.authenticator.receive(message.invalidation)
    app.log.debug({ invalidation: message.invalidation, from: message.from }, 'auth cache entry dropped by another instance')
  })
  const subscribed = subscriber.client.subscribe(channel)
  let missed = !(await subscriber.ready)
  if (missed) subscribed.catch(() => {})
  else await subscribed
  subscriber.client.on('close', () => { missed = true })
  subscriber.client.on('ready', () => {
    if (!missed) return
    missed = false
    app.authenticator.clear()
    app.log.info('auth cache dropped after the invalidation channel reconnected')
  })

  app.addHook('onClose', async () => {
    app.authenticator.broadcastTo(undefined)
    await closeRedis(subscriber.client)
  })
}, { name: 'auth-invalidations', dependencies: ['auth', 'redis'] })
