import fp from 'fastify-plugin'
import type { Clock } from '../clock.js'
import type { CatalogConfig } from '../config.js'
import { Catalog } from './catalog.js'
import { recordSnapshot } from './changes.js'

// The catalog_services rows of this gateway's one panel.
export const CATALOG_PANEL = 'default'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: Catalog
  }
}

export default fp<CatalogConfig & { clock?: Clock }>(async (app, options) => {
  const catalog = new Catalog(app.panel, {
    ttlMs: options.ttlSeconds * 1000,
    staleMs: options.staleSeconds * 1000,
    clock: options.clock,
    onRefreshError: (err, servingStale) => {
      app.log.warn({ err, servingStale }, 'catalog refresh failed')
    },
    onRead: (result) => { app.metrics.catalogReads.inc({ result }) },
    onSnapshot: async (snapshot) => {
      try {
        await recordSnapshot(app.store, CATALOG_PANEL, snapshot, new Date(options.clock?.now() ?? Date.now()))
      } catch (err) {
        app.log.warn({ err }, 'catalog changes not recorded')
      }
    }
  })
  app.decorate('catalog', catalog)
  app.addHook('onClose', async () => { catalog.clear() })
}, { name: 'catalog', dependencies: ['panel', 'store'] })
