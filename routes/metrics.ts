import type { FastifyPluginAsync } from 'fastify'

/**
 * GET /metrics on the main port (src/plugins/metrics.ts answers it). Public to
 * auth, so a scrape is counted by IP like any caller without a key
 * (RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE): declared here, after the rate
 * limiter, so its limit covers it as it does every route.
 */
const metrics: FastifyPluginAsync = async (app) => {
  app.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (request, reply) => await app.scrapeMetrics(request, reply))
}

export default metrics
