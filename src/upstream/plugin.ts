import fp from 'fastify-plugin'
import type { PanelClient } from './types.js'
import { meteredClient } from './metered.js'
import type { BreakerState } from './breaker.js'
import { isResilient, type ResilienceState } from './resilient.js'

declare module 'fastify' {
  interface FastifyInstance {
    panel: PanelClient
    /** Breaker and limiter state; undefined when the panel client has none (one passed in by the caller). */
    panelHealth: () => ResilienceState | undefined
  }
}

export interface PanelPluginOptions {
  client: PanelClient
  /** Close the client with the app (false when the caller owns it). */
  owned: boolean
}

const GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 }

export default fp<PanelPluginOptions>(async (app, { client, owned }) => {
  const resilience = isResilient(client) ? client : undefined
  app.decorate('panel', meteredClient(client, (action, outcome, seconds) => {
    app.metrics.upstreamCalls.inc({ action, outcome })
    app.metrics.upstreamDuration.observe({ action, outcome }, seconds)
  }))
  app.decorate('panelHealth', () => resilience?.state())
  if (resilience !== undefined) {
    app.metrics.breakerState.set(GAUGE[resilience.state().breaker.state])
    const unsubscribe = resilience.onStateChange((to, from) => {
      app.metrics.breakerState.set(GAUGE[to])
      if (to === 'open') app.log.warn({ from, to }, 'panel circuit opened: calls fail fast')
      else app.log.info({ from, to }, 'panel circuit state changed')
    })
    app.addHook('onClose', async () => { unsubscribe() })
  }
  if (owned) app.addHook('onClose', async () => { await client.close() })
}, { name: 'panel', dependencies: ['metrics'] })
