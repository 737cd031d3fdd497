import { ERRORS, GatewayError, type ErrorCode } from '../errors.js'

/** One row of the panel error table: what a panel says → the gateway's code. */
export interface PanelErrorRule {
  code: ErrorCode
  /** Exact strings (compared trimmed, case-insensitively, whitespace collapsed, trailing `.`/`!` ignored) and patterns. */
  match: ReadonlyArray<string | RegExp>
  /** The problem `detail`; a function gets the panel's message (already cleaned). */
  detail: string | ((panelMessage: string) => string)
  /** Strings seen from real panels, for the README table and the tests. */
  examples: readonly string[]
}

export const AUTH_FAILED_DETAIL = "The panel rejected the gateway's API key; check PANEL_KEY"

const quantityDetail = (fallback: string) => (message: string): string =>
  /\d/.test(message) ? `The panel refused the quantity: ${message}` : fallback

export const PANEL_ERRORS: readonly PanelErrorRule[] = [
  {
    code: 'upstream_auth_failed',
    match: ['Invalid API key', /^(invalid|incorrect|wrong|bad) api[ _-]?key\b/, /^api[ _-]?key (is )?(invalid|incorrect|wrong|missing|not found)\b/],
    detail: AUTH_FAILED_DETAIL,
    examples: ['Invalid API key']
  },
  {
    code: 'upstream_bad_request',
    match: ['Incorrect request', 'Invalid request', 'Incorrect action', 'Invalid action'],
    detail: 'The panel rejected the request as incorrect',
    examples: ['Incorrect request']
  },
  {
    code: 'not_found',
    match: ['Incorrect order ID', /^(incorrect|invalid|wrong) order id\b/, /^order (id )?not found\b/],
    detail: 'The panel does not know this order',
    examples: ['Incorrect order ID']
  },
  {
    code: 'unknown_service',
    match: ['Incorrect service ID', 'error.incorrect_service_id', 'neworder.error.service', /^(incorrect|invalid|wrong) service id\b/, /^service (id )?not found\b/],
    detail: 'The panel does not know this service',
    examples: ['Incorrect service ID', 'error.incorrect_service_id']
  },
  {
    code: 'not_found',
    match: ['Refill not found', /^(incorrect|invalid|wrong) refill id\b/],
    detail: 'The panel does not know this refill',
    examples: ['Refill not found']
  },
  {
    code: 'upstream_insufficient_funds',
    match: ['Not enough funds on balance', 'neworder.error.not_enough_funds', /^not enough (funds|money|balance)\b/, /^insufficient (funds|balance)\b/],
    detail: 'The panel account has not enough funds for this order',
    examples: ['Not enough funds on balance', 'neworder.error.not_enough_funds']
  },
  {
    code: 'invalid_link',
    match: ['Bad link', 'neworder.error.link', /^(bad|invalid|incorrect|wrong) (link|url)\b/],
    detail: 'The panel rejected the link',
    examples: ['Bad link', 'neworder.error.link']
  },
  {
    code: 'quantity_out_of_range',
    match: ['neworder.error.min_quantity', /^quantity (is )?(less|lower|smaller) than (the )?minim(al|um)\b/],
    detail: quantityDetail('The quantity is below the service minimum'),
    examples: ['Quantity less than minimal 50', 'neworder.error.min_quantity']
  },
  {
    code: 'quantity_out_of_range',
    match: ['neworder.error.max_quantity', /^quantity (is )?(more|greater|higher|bigger) than (the )?maxim(al|um)\b/],
    detail: quantityDetail('The quantity is above the service maximum'),
    examples: ['Quantity more than maximum 10000', 'neworder.error.max_quantity']
  },
  {
    code: 'invalid_drip_feed',
    match: [/^(incorrect|invalid|wrong) (runs|interval)\b/],
    detail: (message) => `The panel refused the drip-feed settings: ${message}`,
    examples: ['Incorrect runs', 'Incorrect interval']
  },
  {
    code: 'refill_not_allowed',
    match: ['Refill is disabled for this service', /^refill (is )?(disabled|not (allowed|available|supported))\b/],
    detail: 'Refill is disabled for this service',
    examples: ['Refill is disabled for this service']
  },
  {
    code: 'order_not_completed',
    match: ['The order is not completed', /^(the )?order is not completed\b/],
    detail: 'The order is not completed yet',
    examples: ['The order is not completed']
  },
  {
    code: 'duplicate_active_order',
    match: ['neworder.error.link_duplicate', /^you have (an )?active order with this link\b/],
    detail: 'The panel has an active order for this link; wait until it is completed',
    examples: ['You have active order with this link. Please wait until order being completed.', 'neworder.error.link_duplicate']
  },
  {
    code: 'cancel_not_allowed',
    match: [
      /^cancel(l?ation)? (is )?(disabled|not (allowed|available|supported))\b/,
      /\bcan(not| not|'t) be cancel{1,2}ed\b/,
      /^(order )?cancel{1,2}ing (is )?(disabled|not (allowed|available|supported))\b/
    ],
    detail: 'The panel does not allow canceling this order',
    examples: ['Cancel is disabled for this service', 'The order can not be canceled', 'This order cannot be canceled']
  },
  {
    code: 'upstream_rate_limited',
    match: ['Too many requests', /^too many (requests|attempts)\b/, /^rate limit(ed)?\b/],
    detail: 'The panel is rate limiting the gateway',
    examples: ['Too many requests']
  }
]

const MAX_DETAIL = 200
// C0/C1 controls, zero-width and bidi-override characters: never echoed into a detail or log.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g // eslint-disable-line no-control-regex

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Replaces every secret (also URL-encoded, any case) with `[redacted]`. */
export function scrubSecrets (text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue
    const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ k: secret }).toString().slice(2)])
    for (const form of forms) out = out.replace(new RegExp(escapeRegExp(form), 'gi'), '[redacted]')
  }
  return out
}

/** Untrusted text fit for a detail: no secrets, no control characters, at most ~200 characters. */
export function cleanText (text: string, secrets: readonly string[] = []): string {
  // Bound the work before anything else: a panel can send megabytes of "message".
  let out = text.length > 4096 ? text.slice(0, 4096) : text
  out = scrubSecrets(out, secrets)
  out = out.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim()
  out = scrubSecrets(out, secrets)
  const chars = Array.from(out)
  return chars.length > MAX_DETAIL ? chars.slice(0, MAX_DETAIL).join('') + '…' : out
}

function matchKey (text: string): string {
  return text.trim().replace(/\s+/g, ' ').replace(/[.!\s]+$/, '').toLowerCase()
}

/** The rule for a panel message, or undefined when the table does not know it. */
export function findPanelErrorRule (message: string): PanelErrorRule | undefined {
  const key = matchKey(message.slice(0, 500).replace(CONTROL, ' '))
  for (const rule of PANEL_ERRORS) {
    for (const m of rule.match) {
      if (typeof m === 'string' ? matchKey(m) === key : m.test(key)) return rule
    }
  }
  return undefined
}

/** The text of whatever a panel put in `error`: a string, or `{ message }`-like objects. */
function messageOf (value: unknown, depth = 0): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (depth > 3) return ''
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 10)) {
      const text = messageOf(item, depth + 1)
      if (text !== '') return text
    }
    return ''
  }
  if (value !== null && typeof value === 'object') {
    for (const name of ['message', 'error', 'msg', 'description', 'detail']) {
      if (!Object.hasOwn(value, name)) continue
      const inner = (value as Record<string, unknown>)[name]
      if (typeof inner === 'string') return inner
    }
  }
  return ''
}

/**
 * The GatewayError for a panel's error message (the value of its `error` member).
 * Never throws; the detail never contains a secret.
 */
export function panelError (message: unknown, secrets: readonly string[] = []): GatewayError {
  let raw: string
  try {
    raw = messageOf(message)
  } catch {
    raw = ''
  }
  const clean = cleanText(raw, secrets)
  if (clean === '') return new GatewayError('upstream_error', 'The panel answered with an error without a message')
  const rule = findPanelErrorRule(raw.slice(0, 500).replace(CONTROL, ' '))
  if (rule === undefined) return new GatewayError('upstream_error', `The panel answered with an error: ${clean}`)
  const detail = typeof rule.detail === 'string' ? rule.detail : rule.detail(clean)
  return new GatewayError(rule.code, detail, rule.code === 'upstream_rate_limited' ? { retryAfter: 1 } : {})
}

/** Rows for the README's error table: example panel string → code and HTTP status. */
export function panelErrorTable (): Array<{ panelSays: string, code: ErrorCode, status: number }> {
  return PANEL_ERRORS.flatMap((rule) => rule.examples.map((panelSays) => ({ panelSays, code: rule.code, status: ERRORS[rule.code].status })))
}
