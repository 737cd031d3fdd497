import type { IncomingMessage, ServerResponse } from 'node:http'
import { send } from './http-util.js'
import { MESSAGES } from './messages.js'
import { BAD_GATEWAY_PAGE, CHALLENGE_PAGE, LOGIN_PAGE, SERVICE_UNAVAILABLE_PAGE } from './pages.js'

export const FAULTS = [
  'html', 'html-503', 'empty', 'malformed', 'rate-limit', 'server-error',
  'bad-gateway', 'reset', 'reset-after', 'hang', 'wrong-key', 'redirect'
] as const

/**
 * - `html`: 200 + a CDN challenge page ("Just a moment...")
 * - `html-503`: 503 + an HTML error page
 * - `empty`: 200 + an empty body
 * - `malformed`: 200 + application/json with truncated JSON
 * - `rate-limit`: 429 + `Retry-After: 1` + `X-RateLimit-*`, `{"error":"Too many requests"}`
 * - `server-error`: 500 + a short text body (SmartPanel: its database down, 500 + `\n`)
 * - `bad-gateway`: 502 + an HTML page
 * - `reset`: the socket is reset without an answer (ECONNRESET at the client)
 * - `reset-after`: the call is carried out (an `add` places its order), then the
 *   socket is reset instead of answering: the answer is lost on the way back
 * - `hang`: never answered until the simulator closes
 * - `wrong-key`: the dialect's answer to a wrong key (standard: `{"error":"Invalid API key"}`)
 * - `redirect`: 302 to an HTML login page (SmartPanel: its maintenance mode, 303 to `/maintenance`)
 */
export type Fault = typeof FAULTS[number]

export interface FaultOptions {
  /** Apply to the next N matching calls only, then clear; default: until cleared. */
  times?: number
  /** Only for these actions; default all. */
  actions?: string[]
}

export function isFault (value: unknown): value is Fault {
  return typeof value === 'string' && (FAULTS as readonly string[]).includes(value)
}

/** The fault in force, if any, and which calls it hits. */
export class FaultSwitch {
  #fault: Fault | null = null
  #times: number | undefined
  #actions: ReadonlySet<string> | undefined

  set (fault: Fault | null, options: FaultOptions = {}): void {
    if (fault !== null && !isFault(fault)) throw new RangeError(`unknown fault: ${String(fault)}`)
    const { times, actions } = options
    if (times !== undefined && (!Number.isSafeInteger(times) || times < 1)) throw new RangeError('times must be a positive integer')
    if (actions !== undefined && (!Array.isArray(actions) || actions.some((a) => typeof a !== 'string'))) {
      throw new RangeError('actions must be an array of action names')
    }
    this.#fault = fault
    this.#times = fault === null ? undefined : times
    this.#actions = fault === null || actions === undefined ? undefined : new Set(actions)
  }

  /** The fault for a call of `action`, counting it against `times`; null when none applies. */
  take (action: string): Fault | null {
    const fault = this.#fault
    if (fault === null || (this.#actions !== undefined && !this.#actions.has(action))) return null
    if (this.#times !== undefined && --this.#times <= 0) this.set(null)
    return fault
  }
}

const HTML = 'text/html; charset=UTF-8'
const JSON_TYPE = 'application/json'

/** Misbehaves as `fault` says; `hang` hands the request to `onHang` to be ended on close; `now` (ms since the epoch) dates the rate-limit reset. */
export function sendFault (fault: Fault, req: IncomingMessage, res: ServerResponse, onHang: (req: IncomingMessage) => void, now: number): void {
  switch (fault) {
    case 'html':
      return send(res, 200, HTML, CHALLENGE_PAGE, { server: 'cloudflare', 'cf-ray': '8c2f3b1e9a7d4e21-FRA', 'cache-control': 'no-cache' })
    case 'html-503':
      return send(res, 503, HTML, SERVICE_UNAVAILABLE_PAGE, { server: 'nginx' })
    case 'empty':
      return send(res, 200, JSON_TYPE, '')
    case 'malformed':
      return send(res, 200, JSON_TYPE, '{"charge":"0.27819","start_count":"3572","status":"Partial","rem')
    case 'rate-limit':
      return send(res, 429, JSON_TYPE, JSON.stringify({ error: MESSAGES.tooManyRequests }), {
        'retry-after': '1',
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(now / 1000) + 1)
      })
    case 'server-error':
      return send(res, 500, 'text/plain; charset=UTF-8', 'Internal Server Error')
    case 'bad-gateway':
      return send(res, 502, HTML, BAD_GATEWAY_PAGE, { server: 'nginx' })
    case 'reset':
    case 'reset-after':
      // An RST, not a FIN: the client sees ECONNRESET, as with a proxy dropping the connection.
      req.socket.resetAndDestroy()
      return
    case 'hang':
      return onHang(req)
    case 'wrong-key':
      return send(res, 200, JSON_TYPE, JSON.stringify({ error: MESSAGES.invalidKey }))
    case 'redirect':
      return send(res, 302, HTML, LOGIN_PAGE, { location: '/login' })
  }
}
