import { GatewayError } from '../errors.js'
import type { PanelAction, PanelClient } from './types.js'

export type ObserveCall = (action: PanelAction, outcome: string, seconds: number) => void

/** A PanelClient that reports each call's action, outcome (ok or error code) and duration. */
export function meteredClient (inner: PanelClient, observe: ObserveCall): PanelClient {
  function wrap<A extends unknown[], R> (action: PanelAction, call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      const started = performance.now()
      let outcome = 'ok'
      try {
        return await call(...args)
      } catch (err) {
        outcome = err instanceof GatewayError ? err.code : 'internal_error'
        throw err
      } finally {
        observe(action, outcome, (performance.now() - started) / 1000)
      }
    }
  }
  return {
    services: wrap('services', async () => await inner.services()),
    add: wrap('add', async (fields) => await inner.add(fields)),
    status: wrap('status', async (order) => await inner.status(order)),
    statusMany: wrap('status', async (orders) => await inner.statusMany(orders)),
    refill: wrap('refill', async (order) => await inner.refill(order)),
    refillMany: wrap('refill', async (orders) => await inner.refillMany(orders)),
    refillStatus: wrap('refill_status', async (refill) => await inner.refillStatus(refill)),
    refillStatusMany: wrap('refill_status', async (refills) => await inner.refillStatusMany(refills)),
    cancel: wrap('cancel', async (orders) => await inner.cancel(orders)),
    balance: wrap('balance', async () => await inner.balance()),
    close: async () => { await inner.close() }
  }
}
