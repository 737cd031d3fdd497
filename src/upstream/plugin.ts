import fp from 'fastify-plugin'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { PanelConfig } from '../config.js'
import type { SharedRedis } from '../plugins/redis.js'
import type { CapabilitySnapshot } from './capabilities.js'
import type { BreakerState } from './breaker.js'
import { createPanelApi } from './client.js'
import { createHttpTransport } from './http-transport.js'
import { withMetrics } from './metered.js'
import { withResilience, type ResilienceState } from './resilient.js'
import { redisRateGate } from './shared-rate.js'
import type { PanelClient } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The panel; `app.panel.forTenant(id)` for calls made on a tenant's behalf (its fair share). */
    panel: PanelClient
    /** Breaker, limiter and what the panel showed it can do. */
    panelHealth: () => ResilienceState & { capabilities: CapabilitySnapshot }
  }
}

export interface PanelPluginOptions extends PanelConfig {
  /** Shares PANEL_MAX_RPS with the other instances when set. */
  redis?: SharedRedis | undefined
  /** Queue deadlines, the breaker's cool-down and the limiter's windows (monotonic); what the panel lacks, relearned by the wall clock. */
  clock?: Clock
}

const GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 }

// One call path, wrapped from the inside out: HTTP → breaker and fair limiter → metrics → typed actions.
export default fp<PanelPluginOptions>(async (app, options) => {
  const clock = options.clock ?? SYSTEM_CLOCK
  const resilient = withResilience(createHttpTransport({
    url: options.url,
    key: options.key,
    timeoutMs: options.timeoutMs,
    connections: options.connections,
    logger: app.log
  }), {
    queueTimeoutMs: options.queueTimeoutMs,
    breaker: options.breaker,
    limiter: options.limiter,
    now: clock.monotonic,
    ...(options.redis === undefined
      ? {}
      : { rateGate: redisRateGate({ redis: options.redis.client, keyPrefix: options.redis.keyPrefix, maxPerSecond: options.limiter.maxPerSecond, log: app.log, now: clock.monotonic }) })
  })
  const metered = withMetrics(resilient, (action, outcome, seconds) => {
    app.metrics.upstreamCalls.inc({ action, outcome })
    app.metrics.upstreamDuration.observe({ action, outcome }, seconds)
  })
  const api = createPanelApi(metered, { logger: app.log, now: clock.now })
  app.decorate('panel', api)
  app.decorate('panelHealth', () => ({ ...resilient.state(), capabilities: api.capabilities() }))

  app.metrics.breakerState.set(GAUGE[resilient.state().breaker.state])
  const unsubscribe = resilient.onStateChange((to, from) => {
    app.metrics.breakerState.set(GAUGE[to])
    if (to === 'open') app.log.warn({ from, to, reason: resilient.state().breaker.reason }, 'panel circuit opened: calls fail fast')
    else app.log.info({ from, to }, 'panel circuit state changed')
  })
  app.addHook('onClose', async () => {
    unsubscribe()
    await api.close()
  })
}, { name: 'panel', dependencies: ['metrics'] })
