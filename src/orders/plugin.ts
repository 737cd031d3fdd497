import fp from 'fastify-plugin'
import { StatusLookup } from './status-lookup.js'

declare module 'fastify' {
  interface FastifyInstance {
    statuses: StatusLookup
  }
}

export default fp<{ windowMs: number }>(async (app, { windowMs }) => {
  const statuses = new StatusLookup(app.panel, { windowMs, onBatch: (size) => { app.metrics.statusBatchSize.observe(size) } })
  app.decorate('statuses', statuses)
  app.addHook('onClose', async () => { statuses.close() })
}, { name: 'statuses', dependencies: ['panel'] })
