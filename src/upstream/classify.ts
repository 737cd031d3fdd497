import { GatewayError } from '../problems/errors.js'
import { errorBodyOf } from './panel-errors.js'
import { operatorText } from './scrub.js'

/** What came back over HTTP, before anything is made of it. */
export interface PanelHttpAnswer {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: string | Uint8Array
}

const MAX_RETRY_AFTER = 3600
const DEFAULT_RETRY_AFTER = 1

export function headerValue (headers: PanelHttpAnswer['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/**
 * `Retry-After` in seconds (delta-seconds or an HTTP date), clamped to [0, 3600];
 * undefined when absent or unreadable.
 */
export function parseRetryAfter (value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (text === undefined || text === '' || text.length > 64) return undefined
  let seconds: number
  if (/^\d+(\.\d+)?$/.test(text)) {
    seconds = Number(text)
  } else {
    // Date.parse reads "-5" as a year: only a text with a month name is an HTTP date.
    if (!/[a-z]{3}/i.test(text)) return undefined
    const at = Date.parse(text)
    if (Number.isNaN(at)) return undefined
    seconds = (at - now) / 1000
  }
  return Math.min(MAX_RETRY_AFTER, Math.max(0, seconds))
}

/** The whole-second value for our own `Retry-After`: at least 1. */
function retryAfterSeconds (headers: PanelHttpAnswer['headers']): number {
  const seconds = parseRetryAfter(headers['retry-after'])
  return Math.max(1, Math.ceil(seconds ?? DEFAULT_RETRY_AFTER))
}

function decode (body: string | Uint8Array): string {
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body)
  // PHP panels sometimes emit a BOM before the JSON.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

type Parsed = { ok: true, value: unknown } | { ok: false }

function parseJson (text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

// How many later JSON starts are tried after the first: each try parses at most the rest of the body.
const MAX_JSON_STARTS = 8
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b

function isSpace (code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d
}

/**
 * JSON wherever it starts in a (trimmed) body: the whole body, or the JSON after
 * what a PHP panel printed before it (HTML notices, plain-text warnings). Bounded
 * work for any size: a body that starts like JSON and does not parse is not
 * searched; a later start is only tried where a JSON value could close the body,
 * after a `>` or a line break, at most MAX_JSON_STARTS times.
 */
export function findJson (trimmed: string): Parsed {
  if (trimmed === '') return { ok: false }
  const whole = parseJson(trimmed)
  const first = trimmed.charCodeAt(0)
  if (whole.ok || first === OPEN_BRACE || first === OPEN_BRACKET) return whole
  const last = trimmed[trimmed.length - 1]
  if (last !== '}' && last !== ']') return { ok: false }
  const open = last === '}' ? '{' : '['
  let tries = 0
  let from = 1
  while (tries < MAX_JSON_STARTS) {
    const at = trimmed.indexOf(open, from)
    if (at < 0) break
    from = at + 1
    // Look back over whitespace: the start must follow a tag's `>` or a line break.
    let before = at - 1
    while (before >= 0 && isSpace(trimmed.charCodeAt(before)) && trimmed[before] !== '\n') before--
    const previous = before < 0 ? '\n' : trimmed[before]
    if (previous !== '>' && previous !== '\n') continue
    tries++
    const parsed = parseJson(trimmed.slice(at))
    if (parsed.ok) return parsed
  }
  return { ok: false }
}

/**
 * Turns a panel's HTTP answer into parsed JSON, or throws the GatewayError that
 * describes what went wrong. The content type is never trusted (PHP panels label
 * JSON text/html), and the JSON is read wherever it starts (after whitespace, a
 * BOM, HTML notices: see findJson).
 *
 * - 3xx → `upstream_invalid_response` (redirects are not followed: PANEL_URL is
 *   wrong, or the panel sends us to its maintenance page); the target is in
 *   `operatorDetail` only;
 * - 429 → `upstream_rate_limited` with `retryAfter`;
 * - 5xx → `upstream_server_error`, also when the page is HTML (a CDN's 502/503/52x):
 *   the status says the panel is down, which is the retryable, actionable fact;
 * - 4xx → with a JSON error body (any shape): the panel's refusal, mapped; else
 *   `upstream_html_response` for HTML (a CDN or firewall block), `upstream_auth_failed`
 *   for a bare 401, `upstream_error` otherwise;
 * - 2xx → empty body `upstream_empty_response`; HTML without JSON after it
 *   `upstream_html_response`; a body that is not JSON `upstream_invalid_response`
 *   (`upstream_html_response` when labelled text/html and not starting like JSON).
 *
 * 2xx error bodies and `null` are returned as JSON: the normalisers map them.
 */
export function classifyAnswer (answer: PanelHttpAnswer, secrets: readonly string[] = []): unknown {
  const status = answer.statusCode
  const text = decode(answer.body)
  const trimmed = text.trim()
  const contentType = (headerValue(answer.headers, 'content-type') ?? '').toLowerCase()
  const labelledHtml = contentType.includes('text/html') || contentType.includes('application/xhtml')
  const startsLikeHtml = trimmed.startsWith('<')

  if (status >= 300 && status < 400) {
    // Where the panel sends us is the operator's to know (an internal host, a login page with a token), not a tenant's.
    const location = headerValue(answer.headers, 'location')
    const where = location === undefined ? '' : ` to ${operatorText(location, secrets)}`
    const why = location !== undefined && /maint/i.test(location) ? 'it is in maintenance' : 'check PANEL_URL'
    return fail('upstream_invalid_response', `The panel redirected (HTTP ${status}): ${why}`, { operatorDetail: `The panel redirected (HTTP ${status}${where}): ${why}` })
  }
  if (status === 429) {
    return fail('upstream_rate_limited', 'The panel is rate limiting the gateway (HTTP 429)', { retryAfter: retryAfterSeconds(answer.headers) })
  }
  if (status >= 500 && status < 600) {
    const page = startsLikeHtml || labelledHtml ? ' (an HTML error page, e.g. from a CDN or proxy)' : ''
    return fail('upstream_server_error', `The panel failed with HTTP ${status}${page}`)
  }
  if (status >= 400 && status < 500) {
    const json = findJson(trimmed)
    if (json.ok) {
      const error = errorBodyOf(json.value, secrets, { httpStatus: status })
      if (error !== undefined) throw error
    }
    if (startsLikeHtml || (labelledHtml && !json.ok)) {
      const hint = status === 401 || status === 403 ? ': a CDN or firewall may be blocking the gateway' : ''
      return fail('upstream_html_response', `The panel answered HTTP ${status} with an HTML page${hint}`)
    }
    if (status === 401) return fail('upstream_auth_failed', 'The panel refused the gateway (HTTP 401); check PANEL_KEY')
    if (status === 403) return fail('upstream_error', 'The panel answered HTTP 403 without an error message: a CDN or firewall may be blocking the gateway')
    if (status === 404 || status === 405) return fail('upstream_error', `The panel answered HTTP ${status}: check PANEL_URL`)
    return fail('upstream_error', `The panel answered HTTP ${status} without an error message`)
  }
  if (status < 200 || status >= 600) {
    return fail('upstream_invalid_response', `The panel answered with the unexpected HTTP status ${status}`)
  }

  if (trimmed === '') return fail('upstream_empty_response', `The panel answered HTTP ${status} with an empty body`)
  const json = findJson(trimmed)
  if (json.ok) return json.value
  if (startsLikeHtml) {
    return fail('upstream_html_response', `The panel answered HTTP ${status} with an HTML page instead of JSON (a CDN challenge, maintenance or error page)`)
  }
  // Broken JSON is broken JSON, whatever the label (PHP panels label everything text/html).
  if (labelledHtml && !/^[{[]/.test(trimmed)) return fail('upstream_html_response', `The panel answered HTTP ${status} with an HTML page instead of JSON`)
  return fail('upstream_invalid_response', `The panel answered HTTP ${status} with a body that is not JSON`)
}

function fail (code: ConstructorParameters<typeof GatewayError>[0], detail: string, options: { retryAfter?: number, operatorDetail?: string } = {}): never {
  throw new GatewayError(code, detail, options)
}
