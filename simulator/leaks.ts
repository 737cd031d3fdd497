import type { ServerResponse } from 'node:http'
import { send, type Reply } from './http-util.js'
import { LOGIN_PAGE } from './pages.js'

export const LEAKS = ['error', 'redirect', 'answer'] as const

/**
 * A panel that echoes what it should not: the key the call carried, and where
 * the panel's own parts live (the gateway must keep both from tenants).
 *
 * - `error`: 200 + `{"error":"cURL error 7: Failed to connect to 10.20.30.40 port 8080 (http://10.20.30.40:8080/provider/api/v2?key=<key, URL-encoded>) for key <key>"}`
 * - `redirect`: 302 to `https://admin.panel.internal:8443/login?next=%2Fapi%2Fv2&key=<key, URL-encoded>`
 * - `answer`: the dialect's own answer, every `currency` member the key, every
 *   service `name` and `category` ending in it
 */
export type Leak = typeof LEAKS[number]

export const LEAK_URL = 'http://10.20.30.40:8080/provider/api/v2'
export const LEAK_REDIRECT = 'https://admin.panel.internal:8443/login'

export function isLeak (value: unknown): value is Leak {
  return typeof value === 'string' && (LEAKS as readonly string[]).includes(value)
}

/** The leak in force, if any, and which actions it hits. */
export class LeakSwitch {
  #leak: Leak | null = null
  #actions: ReadonlySet<string> | undefined

  set (leak: Leak | null, options: { actions?: string[] } = {}): void {
    if (leak !== null && !isLeak(leak)) throw new RangeError(`unknown leak: ${String(leak)}`)
    this.#leak = leak
    this.#actions = leak === null || options.actions === undefined ? undefined : new Set(options.actions)
  }

  take (action: string): Leak | null {
    return this.#leak === null || (this.#actions !== undefined && !this.#actions.has(action)) ? null : this.#leak
  }
}

/** Answers `error` and `redirect` leaks, echoing `key`. */
export function sendLeak (leak: 'error' | 'redirect', res: ServerResponse, key: string): void {
  if (leak === 'redirect') return send(res, 302, 'text/html; charset=UTF-8', LOGIN_PAGE, { location: `${LEAK_REDIRECT}?next=%2Fapi%2Fv2&key=${encodeURIComponent(key)}` })
  const message = `cURL error 7: Failed to connect to 10.20.30.40 port 8080 (${LEAK_URL}?key=${encodeURIComponent(key)}) for key ${key}`
  send(res, 200, 'application/json', JSON.stringify({ error: message }))
}

function spliced (value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((item) => spliced(item, key))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [name, inner] of Object.entries(value)) {
    if (name === 'currency' && typeof inner === 'string') out[name] = key
    else if ((name === 'name' || name === 'category') && typeof inner === 'string') out[name] = `${inner} ${key}`
    else out[name] = spliced(inner, key)
  }
  return out
}

/** The dialect's answer with `key` in it (see `answer` above); a body that is not JSON after its first `{`/`[` is left alone. */
export function leakInto (reply: Reply, key: string): Reply {
  const start = reply.body.search(/[{[]/)
  if (start < 0) return reply
  try {
    const value: unknown = JSON.parse(reply.body.slice(start))
    return { ...reply, body: reply.body.slice(0, start) + JSON.stringify(spliced(value, key)) }
  } catch {
    return reply
  }
}
