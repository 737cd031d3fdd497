import { createHash } from 'node:crypto'
import { unknownEvents } from './order-events.js'
import fp from 'fastify-plugin'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { LedgerConfig, PanelConfig } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    ledger: Ledger
  }
}

export interface Ledger {
  /** Which panel orders are placed on: panel ids are unique per panel, not across panels. */
  panel: string
  /** A claim or order untouched this long belongs to a process that died mid-call. */
  staleAfterMs: number
  /** Now less `staleAfterMs`, on the app's clock: what was last touched before this is stale. */
  staleBefore: () => Date
  /** One sweep: stale sending orders become unknown, stale reservations are released, expired idempotency records purged. */
  sweep: (now?: Date) => Promise<void>
}

/**
 * The ledger slice (a `sweepIntervalMs` of 0: no periodic sweep, claims still
 * resolve stale orders they meet; `staleMarginMs`: the writes around a panel
 * call and clock skew between instances), and the panel whose orders it keeps.
 */
export interface LedgerOptions extends LedgerConfig {
  panel: Pick<PanelConfig, 'url' | 'timeoutMs' | 'queueTimeoutMs'>
  clock?: Clock
}

/** A short stable name for a panel endpoint; never the URL itself, which may carry a secret path. */
export function panelIdentity (url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16)
}

export default fp<LedgerOptions>(async (app, options) => {
  const panel = panelIdentity(options.panel.url)
  // A call may wait its turn before its PANEL_TIMEOUT_MS starts: both bound how long an order stays `sending`.
  const staleAfterMs = options.panel.queueTimeoutMs + options.panel.timeoutMs + options.staleMarginMs
  // Rows from before gateway ids belong to the panel configured now.
  await app.store.adoptPanel(panel)
  const clock = options.clock ?? SYSTEM_CLOCK
  const staleBefore = (): Date => new Date(clock.now() - staleAfterMs)

  async function sweep (now = new Date(clock.now())): Promise<void> {
    const reaped = await app.store.reapStaleOrders(new Date(now.getTime() - staleAfterMs), unknownEvents)
    for (const order of reaped.unknown) {
      app.metrics.ordersUnknown.inc({ reason: 'abandoned' })
      app.log.warn({ order: order.id, tenant: order.tenantId }, 'order left sending by a process that died: outcome unknown, an operator must resolve it')
    }
    if (reaped.released > 0) {
      app.metrics.ordersReleased.inc(reaped.released)
      app.log.info({ released: reaped.released }, 'reservations left by a process that died released')
    }
    await app.store.purgeIdempotency(now)
  }
  app.decorate('ledger', { panel, staleAfterMs, staleBefore, sweep })

  if (options.sweepIntervalMs > 0) {
    let running: Promise<void> | undefined
    const timer = setInterval(() => {
      running ??= sweep().catch((err: unknown) => { app.log.warn({ err }, 'ledger sweep failed') }).finally(() => { running = undefined })
    }, options.sweepIntervalMs)
    timer.unref()
    app.addHook('onClose', async () => {
      clearInterval(timer)
      await running
    })
  }
}, { name: 'ledger', dependencies: ['store', 'metrics'] })
