import fp from 'fastify-plugin'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { StatusesConfig } from '../config.js'
import { StatusLookup } from './status-lookup.js'

declare module 'fastify' {
  interface FastifyInstance {
    statuses: StatusLookup
  }
}

export default fp<StatusesConfig & { clock?: Clock }>(async (app, { batchWindowMs, clock = SYSTEM_CLOCK }) => {
  const statuses = new StatusLookup(app.panel, {
    windowMs: batchWindowMs,
    onBatch: (size) => { app.metrics.statusBatchSize.observe(size) },
    now: clock.monotonic
  })
  app.decorate('statuses', statuses)
  app.addHook('onClose', async () => { statuses.close() })
}, { name: 'statuses', dependencies: ['panel'] })
