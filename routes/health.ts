import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../src/errors.js'
import { healthSchema, readySchema } from '../schemas/health.js'

// Readiness asks the panel at most this often, so probes never flood it.
const PROBE_EVERY_MS = 10_000

const health: FastifyPluginAsyncTypebox = async (app) => {
  let probe: { at: number, result: Promise<{ ok: boolean, detail?: string }> } | undefined

  async function upstreamCheck (): Promise<{ ok: boolean, detail?: string }> {
    if (probe === undefined || Date.now() - probe.at > PROBE_EVERY_MS) {
      probe = {
        at: Date.now(),
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
    const upstream = await upstreamCheck()
    return await reply.code(upstream.ok ? 200 : 503).send({ status: upstream.ok ? 'ready' : 'not_ready', checks: { upstream } })
  })
}

export default health
