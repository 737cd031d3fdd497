import fp from 'fastify-plugin'
import type { PanelClient } from './types.js'
import { meteredClient } from './metered.js'

declare module 'fastify' {
  interface FastifyInstance {
    panel: PanelClient
  }
}

export interface PanelPluginOptions {
  client: PanelClient
  /** Close the client with the app (false when the caller owns it). */
  owned: boolean
}

export default fp<PanelPluginOptions>(async (app, { client, owned }) => {
  app.decorate('panel', meteredClient(client, (action, outcome, seconds) => {
    app.metrics.upstreamCalls.inc({ action, outcome })
    app.metrics.upstreamDuration.observe({ action, outcome }, seconds)
  }))
  if (owned) app.addHook('onClose', async () => { await client.close() })
}, { name: 'panel', dependencies: ['metrics'] })
