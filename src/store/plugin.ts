import fp from 'fastify-plugin'
import type { Store } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

export interface StorePluginOptions {
  store: Store
  /** Close the store with the app (false when the caller owns it). */
  owned: boolean
}

export default fp<StorePluginOptions>(async (app, { store, owned }) => {
  app.decorate('store', store)
  if (owned) app.addHook('onClose', async () => { await store.close() })
}, { name: 'store' })
