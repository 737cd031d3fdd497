import fp from 'fastify-plugin'
import type { Clock } from '../clock.js'
import type { EventsConfig } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    eventWatch: EventWatch
  }
}

export interface EventWatch {
  /** Retention: deletes events older than retentionDays; returns how many. */
  purge: () => Promise<number>
}

export interface EventWatchOptions extends EventsConfig {
  /** config.tracker.tickMs: 0 turns the background loops off (tests call the methods) */
  tickMs: number
  clock: Clock
}

const DAY_MS = 86_400_000
const PURGE_EVERY_MS = 3_600_000

/** The gateway's own watches over the event feed: retention, run hourly. */
export default fp<EventWatchOptions>(async (app, options) => {
  const { clock } = options
  const purge = async (): Promise<number> => await app.store.purgeEvents(new Date(clock.now() - options.retentionDays * DAY_MS))
  app.decorate('eventWatch', { purge })

  if (options.tickMs > 0) {
    let running: Promise<void> | undefined
    const timer = setInterval(() => {
      running ??= purge()
        .then((n) => { if (n > 0) app.log.info({ purged: n }, 'events past retention purged') })
        .catch((err: unknown) => { app.log.warn({ err }, 'event retention purge failed') })
        .finally(() => { running = undefined })
    }, PURGE_EVERY_MS)
    timer.unref()
    app.addHook('onClose', async () => {
      clearInterval(timer)
      await running
    })
  }
}, { name: 'event-watch', dependencies: ['store'] })
