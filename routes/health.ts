import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../src/errors.js'
import { healthSchema, readySchema } from '../schemas/health.js'

// Readiness asks the panel at most this often, so probes never flood it.
const PROBE_EVERY_MS = 10_000

interface Check { ok: boolean, detail?: string }

const health: FastifyPluginAsyncTypebox = async (app) => {
  let probe: { at: number, breaker: string, result: Promise<Check> } | undefined

  async function upstreamCheck (breaker: string): Promise<Check> {
    // A breaker transition since the last probe makes its answer old news.
    if (probe === undefined || Date.now() - probe.at > PROBE_EVERY_MS || probe.breaker !== breaker) {
      probe = {
        at: Date.now(),
        breaker,
        result: app.panel.balance().then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, detail: err instanceof GatewayError ? err.code : 'internal_error' })
        )
      }
    }
    return await probe.result
  }

  app.get('/health', { schema: { ...healthSchema, security: [] }, config: { public: true, rateLimit: false } }, async () => ({ status: 'ok' as const }))

  app.get('/ready', { schema: { ...readySchema, security: [] }, config: { public: true, rateLimit: false } }, async (_request, reply) => {
    const breaker = app.panelHealth()?.breaker
    const checks: { upstream: Check, breaker?: Check } = {
      // While the circuit is open the panel is not asked: that is the breaker's point.
      upstream: breaker?.state === 'open'
        ? { ok: false, detail: 'not probed while the circuit is open' }
        : await upstreamCheck(breaker === undefined ? 'none' : `${breaker.state}:${breaker.opened}`)
    }
    if (breaker !== undefined) checks.breaker = { ok: breaker.state !== 'open', detail: breaker.state }
    const ready = checks.upstream.ok && (checks.breaker?.ok ?? true)
    return await reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
  })
}

export default health
