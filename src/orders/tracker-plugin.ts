import fp from 'fastify-plugin'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { TrackerConfig } from '../config.js'
import { trackOrders, trackRefills } from './tracker.js'

declare module 'fastify' {
  interface FastifyInstance {
    tracker: Tracker
  }
}

export interface Tracker {
  /** One round of background polling; what it polled. */
  tick: () => Promise<{ orders: number, refills: number }>
  /** When an order placed now is first polled. */
  firstPoll: () => Date
  /** Stops the loop, after the running round. */
  close: () => Promise<void>
}

export interface TrackerOptions extends TrackerConfig {
  clock?: Clock
}

/**
 * Polls the panel for orders nobody asks about, so their status changes
 * (and the spend their charge corrects) are recorded and announced anyway.
 * Every instance runs it; a claim leases each order to one of them.
 */
export default fp<TrackerOptions>(async (app, options) => {
  const clock = options.clock ?? SYSTEM_CLOCK
  let running: Promise<{ orders: number, refills: number }> | undefined

  async function round (): Promise<{ orders: number, refills: number }> {
    const common = {
      store: app.store,
      metrics: app.metrics,
      panel: app.ledger.panel,
      now: () => clock.now(),
      leaseMs: app.ledger.staleAfterMs,
      minIntervalMs: options.minIntervalMs,
      maxIntervalMs: options.maxIntervalMs,
      batch: options.batch
    }
    const [orders, refills] = await Promise.all([
      trackOrders({ ...common, statuses: app.statuses }),
      trackRefills({ ...common, panelClient: app.panel })
    ])
    const tracked = await app.store.countTracked()
    app.metrics.trackerTracked.set(tracked.orders + tracked.refills)
    return { orders, refills }
  }

  async function tick (): Promise<{ orders: number, refills: number }> {
    // One round at a time: a slow round is not overlapped by the next.
    if (running !== undefined) return await running
    running = round().finally(() => { running = undefined })
    return await running
  }

  let timer: NodeJS.Timeout | undefined
  if (options.tickMs > 0) {
    timer = setInterval(() => {
      if (running !== undefined) return
      tick().catch((err: unknown) => { app.log.warn({ err }, 'tracker round failed; the next one retries') })
    }, options.tickMs)
    timer.unref()
  }

  async function close (): Promise<void> {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
    await running?.catch(() => undefined)
  }

  app.decorate('tracker', { tick, close, firstPoll: () => new Date(clock.now() + options.minIntervalMs) })
  app.addHook('onClose', close)
}, { name: 'tracker', dependencies: ['store', 'metrics', 'panel', 'statuses', 'ledger'] })
