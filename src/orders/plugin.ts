import fp from 'fastify-plugin'
import type { StatusesConfig } from '../config.js'
import { StatusLookup } from './status-lookup.js'

declare module 'fastify' {
  interface FastifyInstance {
    statuses: StatusLookup
  }
}

export default fp<StatusesConfig>(async (app, { batchWindowMs }) => {
  const statuses = new StatusLookup(app.panel, { windowMs: batchWindowMs, onBatch: (size) => { app.metrics.statusBatchSize.observe(size) } })
  app.decorate('statuses', statuses)
  app.addHook('onClose', async () => { statuses.close() })
}, { name: 'statuses', dependencies: ['panel'] })
