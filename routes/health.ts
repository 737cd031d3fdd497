import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SYSTEM_CLOCK, type Clock } from '../src/clock.js'
import { GatewayError } from '../src/problems/errors.js'
import { isStoreUnavailable } from '../src/store/errors.js'
import { healthSchema, readySchema } from '../schemas/health.js'

// Readiness asks the panel at most this often, so probes never flood it.
const PROBE_EVERY_MS = 10_000
// A store slower than this to answer `select 1` is as good as down for requests.
const STORE_PING_TIMEOUT_MS = 1000

interface Check { ok: boolean, detail?: string }

export interface HealthOptions {
  /** Redis is part of readiness: rate limits fail closed without it. */
  redisRequired: boolean
  /** The wall clock a panel probe's age is read on. */
  clock?: Clock
}

/** Settles with the check, or a failed one after `ms`; a hung ping is left to the driver's own timeouts. */
async function within (ms: number, work: Promise<Check>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Check>((resolve) => { timer = setTimeout(() => { resolve({ ok: false, detail: `no answer within ${ms} ms` }) }, ms) })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

const health: FastifyPluginAsyncTypebox<HealthOptions> = async (app, options) => {
  const clock = options.clock ?? SYSTEM_CLOCK
  let probe: { at: number, breaker: string, result: Promise<Check> } | undefined
  // One ping in flight at a time however many probes arrive, so a hung store does not pile them up.
  let storePing: Promise<Check> | undefined

  async function upstreamCheck (breaker: string): Promise<Check> {
    // A breaker transition since the last probe makes its answer old news.
    if (probe === undefined || clock.now() - probe.at > PROBE_EVERY_MS || probe.breaker !== breaker) {
      probe = {
        at: clock.now(),
        breaker,
        result: app.panel.balance().then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, detail: err instanceof GatewayError ? err.code : 'internal_error' })
        )
      }
    }
    return await probe.result
  }

  async function storeCheck (): Promise<Check> {
    storePing ??= app.store.ping().then(
      () => ({ ok: true }),
      (err: unknown) => ({ ok: false, detail: isStoreUnavailable(err) ? 'store_unavailable' : 'internal_error' })
    ).finally(() => { storePing = undefined })
    return await within(STORE_PING_TIMEOUT_MS, storePing)
  }

  async function redisCheck (): Promise<Check | undefined> {
    const redis = app.redis
    if (!options.redisRequired || redis === undefined) return undefined
    // The command connection fails at once while disconnected and times out when Redis hangs.
    return await redis.ping().then(() => ({ ok: true }), (err: Error) => ({ ok: false, detail: err.message }))
  }

  app.get('/health', { schema: { ...healthSchema, security: [] }, config: { public: true, rateLimit: false } }, async () => ({ status: 'ok' as const }))

  app.get('/ready', { schema: { ...readySchema, security: [] }, config: { public: true, rateLimit: false } }, async (_request, reply) => {
    const breaker = app.panelHealth().breaker
    const [upstream, store, redis] = await Promise.all([
      // While the circuit is open the panel is not asked: that is the breaker's point.
      breaker?.state === 'open'
        ? { ok: false, detail: `not probed while the circuit is open (${breaker.reason ?? 'panel failures'})` }
        : upstreamCheck(`${breaker.state}:${breaker.opened}`),
      storeCheck(),
      redisCheck()
    ])
    const checks: { upstream: Check, store: Check, breaker?: Check, redis?: Check } = {
      upstream,
      store,
      breaker: { ok: breaker.state !== 'open', detail: breaker.reason === undefined ? breaker.state : `${breaker.state}: ${breaker.reason}` }
    }
    if (redis !== undefined) checks.redis = redis
    const ready = Object.values(checks).every((check) => check.ok)
    return await reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
  })
}

export default health
