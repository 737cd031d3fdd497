import fp from 'fastify-plugin'
import type { PanelClient } from './types.js'

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
  app.decorate('panel', client)
  if (owned) app.addHook('onClose', async () => { await client.close() })
}, { name: 'panel' })
