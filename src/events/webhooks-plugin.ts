import fp from 'fastify-plugin'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { WebhooksConfig } from '../config.js'
import { Deliverer } from './delivery.js'
import { TargetPolicy } from './targets.js'

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks
  }
}

export interface Webhooks {
  /** Delivers what is due now (one pass at a time per instance); how many attempts were made. */
  tick: () => Promise<number>
  /** After a secret rotation the old secret still signs this long (ms). */
  secretOverlapMs: number
  /** Refuses a receiver URL that is not public https (nor allowed by WEBHOOK_ALLOWED_TARGETS): webhook_target_forbidden. */
  checkTarget: (url: string) => Promise<void>
  /** The app's wall clock (due times, rotation overlaps). */
  now: () => Date
}

export interface WebhooksOptions extends WebhooksConfig {
  /** 0: no background delivery (tests call tick) */
  tickMs: number
  clock?: Clock
}

export default fp<WebhooksOptions>(async (app, options) => {
  const deliverer = new Deliverer({
    store: app.store,
    clock: options.clock ?? SYSTEM_CLOCK,
    log: app.log,
    allowedTargets: options.allowedTargets,
    timeoutMs: options.timeoutMs,
    disableAfterMs: options.disableAfterMs,
    concurrency: options.concurrency
  })
  let running: Promise<number> | undefined
  const tick = async (): Promise<number> => {
    // A pass already under way is joined, then one more runs: what became due meanwhile is not left for the next tick.
    for (let pass = running; pass !== undefined; pass = running) await pass.catch(() => 0)
    running = deliverer.deliverDue().finally(() => { running = undefined })
    return await running
  }
  let timer: NodeJS.Timeout | undefined
  if (options.tickMs > 0) {
    timer = setInterval(() => {
      if (running !== undefined) return
      tick().catch((error: unknown) => { app.log.error({ err: error }, 'webhook delivery pass failed') })
    }, options.tickMs)
    timer.unref()
  }
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running?.catch(() => 0)
    await deliverer.close()
  })
  const policy = new TargetPolicy(options.allowedTargets)
  const clock = options.clock ?? SYSTEM_CLOCK
  app.decorate('webhooks', {
    tick,
    secretOverlapMs: options.secretOverlapMs,
    checkTarget: async (url: string) => { await policy.check(url) },
    now: () => new Date(clock.now())
  })
}, { name: 'webhooks' })
