import { GatewayError } from '../problems/errors.js'
import type { PanelAction, PanelCall, PanelTransport } from './types.js'

export type ObserveCall = (action: PanelAction, outcome: string, seconds: number) => void

/** The transport, each call reported with its action, outcome (ok or error code) and duration. */
export function withMetrics<T extends PanelTransport> (inner: T, observe: ObserveCall): T {
  const call: PanelCall = async (action, form, parse, options) => {
    const started = performance.now()
    let outcome = 'ok'
    try {
      return await inner.call(action, form, parse, options)
    } catch (err) {
      outcome = err instanceof GatewayError ? err.code : 'internal_error'
      throw err
    } finally {
      observe(action, outcome, (performance.now() - started) / 1000)
    }
  }
  return { ...inner, call }
}
