import fp from 'fastify-plugin'
import type { Clock } from '../clock.js'
import type { EventsConfig } from '../config.js'
import type { StoredEvent } from '../store/types.js'
import { checkBalance } from './balance.js'

declare module 'fastify' {
  interface FastifyInstance {
    eventWatch: EventWatch
  }
}

export interface EventWatch {
  /** Retention: deletes events older than retentionDays; returns how many. */
  purge: () => Promise<number>
  /** Reads the panel balance; the balance.low event when it just crossed into low. */
  checkBalance: () => Promise<StoredEvent | undefined>
  /** Fetches the catalog from the panel now; its changes are recorded by the catalog plugin's onSnapshot. */
  checkCatalog: () => Promise<void>
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
  const balance = async (): Promise<StoredEvent | undefined> => await checkBalance(app.panel, app.store, options, new Date(clock.now()))
  const checkCatalog = async (): Promise<void> => { await app.catalog.refresh() }
  app.decorate('eventWatch', { purge, checkBalance: balance, checkCatalog })

  if (options.tickMs <= 0) return
  const timers: NodeJS.Timeout[] = []
  const running = new Set<Promise<void>>()
  const every = (ms: number, what: string, job: () => Promise<unknown>): void => {
    if (ms <= 0) return
    let current: Promise<void> | undefined
    const timer = setInterval(() => {
      if (current !== undefined) return
      current = job()
        .then(() => undefined, (err: unknown) => { app.log.warn({ err }, `${what} failed`) })
        .finally(() => { if (current !== undefined) running.delete(current); current = undefined })
      running.add(current)
    }, ms)
    timer.unref()
    timers.push(timer)
  }
  every(PURGE_EVERY_MS, 'event retention purge', async () => {
    const n = await purge()
    if (n > 0) app.log.info({ purged: n }, 'events past retention purged')
  })
  every(options.balanceCheckMs, 'balance check', balance)
  every(options.catalogWatchMs, 'catalog watch', checkCatalog)
  app.addHook('onClose', async () => {
    for (const timer of timers) clearInterval(timer)
    await Promise.all(running)
  })
}, { name: 'event-watch', dependencies: ['store', 'panel', 'catalog'] })
