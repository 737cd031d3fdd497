import fp from 'fastify-plugin'
import type { Clock } from '../clock.js'
import type { CatalogConfig } from '../config.js'
import { Catalog } from './catalog.js'

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
    onRead: (result) => { app.metrics.catalogReads.inc({ result }) }
  })
  app.decorate('catalog', catalog)
  app.addHook('onClose', async () => { catalog.clear() })
}, { name: 'catalog', dependencies: ['panel'] })
