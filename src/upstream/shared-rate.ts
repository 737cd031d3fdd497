import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { GatewayError } from '../problems/errors.js'

const WINDOW_MS = 1000

// A sliding one-second log of call starts in one sorted set, on Redis's own
// clock so instances with skewed clocks still agree. Answers 0 when this call
// may start (and records it), else the ms until the oldest start leaves the
// window.
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`

/** Holds a panel call back until every instance together stays under the panel's rate. */
export interface RateGate {
  /** Resolves when the call may start; `upstream_overloaded` when that would be after `deadline` (on the gate's monotonic clock). */
  wait: (deadline: number) => Promise<void>
}

export interface RedisRateGateOptions {
  redis: Redis
  keyPrefix: string
  maxPerSecond: number
  log: Pick<FastifyBaseLogger, 'warn' | 'info'>
  /** Monotonic clock in ms that deadlines are given on; default performance.now. */
  now?: () => number
}

/**
 * PANEL_MAX_RPS across all instances, in Redis. When Redis does not answer the
 * gate opens (each instance's own limiter still holds its share to
 * PANEL_MAX_RPS): losing Redis must not stop all traffic to the panel.
 */
export function redisRateGate (options: RedisRateGateOptions): RateGate {
  const key = `${options.keyPrefix}panel-rate`
  const instance = randomBytes(6).toString('hex')
  let sequence = 0
  let failing = false
  const now = options.now ?? (() => performance.now())

  async function ask (): Promise<number> {
    try {
      const wait = Number(await options.redis.eval(SCRIPT, 1, key, options.maxPerSecond, WINDOW_MS, `${instance}:${sequence++}`))
      if (failing) options.log.info('shared panel rate guard: Redis answers again')
      failing = false
      return Number.isFinite(wait) ? wait : 0
    } catch (err) {
      if (!failing) options.log.warn({ err: { message: (err as Error).message } }, 'shared panel rate guard: Redis unreachable, each instance limits itself')
      failing = true
      return 0
    }
  }

  return {
    wait: async (deadline) => {
      for (;;) {
        const wait = await ask()
        if (wait === 0) return
        if (now() + wait > deadline) {
          throw new GatewayError('upstream_overloaded', 'The panel\'s request rate, shared by every gateway instance, leaves no room for this call in time', { retryAfter: 1 })
        }
        await sleep(wait)
      }
    }
  }
}
