import { ERRORS, GatewayError, type ErrorCode, type GatewayErrorOptions } from '../problems/errors.js'
import { isRecord, own, type Json } from './scalars.js'
import { cleanText, operatorText } from './scrub.js'

// The panel error table: what a panel says when it refuses, in any wording and
// any shape, → the gateway's code. Families are recognised by patterns over a
// normalised text (see normaliseMessage), so "Quantity less than minimal 50",
// "Enter a value above the minimum number." and "neworder.error.min_quantity"
// are one family. A refusal no family knows is still a refusal:
// `upstream_refused` with the panel's (scrubbed) text.

/** One family of panel refusals. */
export interface PanelErrorRule {
  /** A short name for the docs and the tests ("credentials", "quantity", …). */
  family: string
  code: ErrorCode
  /** What the family means, for docs/errors.md. */
  means: string
  /** Over normaliseMessage(text): lower case, `'` dropped, every other non-letter/digit run one space. */
  match: readonly RegExp[]
  /** The problem `detail`; gets the panel's message, already cleaned (no secrets, bounded). */
  detail: (panelMessage: string) => string
  /** Wordings seen from real panels (docs and tests); the patterns cover more. */
  examples: readonly string[]
}

export const AUTH_FAILED_DETAIL = "The panel rejected the gateway's API key or account; check PANEL_KEY and the panel account"

const said = (lead: string) => (message: string): string => message === '' ? lead : `${lead}: ${message}`

// Credentials open the breaker for every tenant at once: these patterns name the
// API key or the gateway's own account, never "the Instagram account" or a target user.
const CREDENTIALS: readonly RegExp[] = [
  /\b(invalid|incorrect|wrong|bad|unknown|expired|revoked|disabled|inactive) (api )?(key|token)\b/,
  /\bapi ?(key|token)s?( is| was| has been)? (invalid|incorrect|wrong|expired|revoked|disabled|inactive|missing|required|empty|blocked|not (valid|found|correct|active|exist\w*|recogni[sz]ed)|does not exist|doesnt exist)\b/,
  /\b(key|token) (is |was |has been )?(wrong|invalid|incorrect|expired|revoked|not valid)\b/,
  /\bapi( access)?( is| has been)? (disabled?|not enabled|blocked|off|deactivated|suspended)\b/,
  /(^|\b(your|my|this|api|panel|reseller|user) )account( is| was| has been)? (inactive|suspended|banned|blocked|disabled|deactivated|locked|frozen|closed|not (active|activated|found|verified)|does not exist|doesnt exist)\b/,
  /(^|\b(your|my|this|api|or) )user( is| was| has been)? (inactive|suspended|banned|blocked|disabled|deactivated|locked|not (active|found)|does not exist|doesnt exist)\b/,
  /^(account|user) (inactive|suspended|banned|blocked|disabled|deactivated|locked)\b/,
  /\b(suspended|banned|blocked|disabled|deactivated|inactive) (api )?(account|user)\b/,
  /\bunauthori[sz]ed\b/,
  /\bunauthenticated\b/,
  /\bnot (authori[sz]ed|authenticated|logged in)\b/,
  /\bauthenti[cf]ation (failed|error|required|invalid)\b/,
  /\b(invalid|wrong|bad) credentials\b/,
  /\berror (invalid |incorrect |wrong )?api ?key$/
]

const RATE_LIMITED: readonly RegExp[] = [
  /\btoo many (requests|attempts|calls|connections|queries)\b/,
  /\brate ?limit/,
  /\brequests? (limit|quota) (exceeded|reached)\b/,
  /\bthrottl/,
  /\bslow down\b/
]

const ACTION_UNSUPPORTED: readonly RegExp[] = [
  /\baction( is| was)? (invalid|incorrect|unknown|wrong|unsupported|disabled|not (supported|allowed|available|found|valid|implemented|exist\w*|enabled)|does not exist|doesnt exist)\b/,
  /\b(incorrect|invalid|unknown|wrong|unsupported|bad|undefined|unrecogni[sz]ed) (api )?action\b/,
  /\bno such action\b/,
  /\b(unknown|invalid|unsupported|undefined) (api )?method\b/,
  /\bmethod (is )?not (supported|allowed|found|implemented|exist\w*)\b/,
  /\b(not|isnt) (an? )?(valid|supported|known) action\b/
]

const DUPLICATE: readonly RegExp[] = [
  /\bactive order (with|for|on) (this|the same|same|that) (link|url)\b/,
  /^(?=.*\bsame (link|url)\b)(?=.*\b(active|processing|progress|running|pending|already|wait|exists?|until)\b)/,
  /\b(link|url) duplicate\b/,
  /\bduplicate (link|url|order)s?\b/,
  /\balready (have|has) an? (active|running|pending|open|processing|current) order\b/,
  /\balready\b.*\border\b.*\b(link|url)\b/,
  /\b(link|url)( is)? already (in use|in progress|being processed|ordered|active|used)\b/
]

const FUNDS: readonly RegExp[] = [
  /\b(not|no|dont|do not|doesnt|does not|havent|have not) (have )?(enough|sufficient) (funds|balance|money|credits?)\b/,
  /\binsufficient (account )?(funds|balance|credits?|money)\b/,
  /\b(funds|balance|credits?)( is| are| was)? (insufficient|not enough|too low|low|not sufficient|exhausted|empty)\b/,
  /\b(funds|balance|credits?)( is| are)? (lower|less|smaller) than\b/,
  /\blow (balance|funds|credits?)\b/,
  /\bplease (add|deposit|top up) (more )?funds\b/,
  /\b(run|ran) out of (funds|balance|money|credits?)\b/
]

const DRIP_FEED: readonly RegExp[] = [
  /\b(incorrect|invalid|wrong|bad|unsupported) (runs?|intervals?|drip ?feed)\b/,
  /\bdrip ?feeds?\b.*\b(not (allowed|available|supported|enabled|possible|active)|disabled|unavailable|off|invalid|incorrect)\b/,
  /\b(not|doesnt|does not|dont|do not|cannot) (support|allow)\w* drip ?feed\b/,
  /\b(runs|intervals?)\b.*\b(must|should|cannot|can not|cant|too (low|high|small|big|large|short|long|many|few)|between|at least|at most|not (allowed|valid|supported|correct)|less than|more than|greater than|exceed\w*|minimum|maximum|invalid|incorrect)\b/,
  /\berror (runs|interval|drip ?feed)\b/
]

const REFILL_NOT_FOUND: readonly RegExp[] = [
  /\brefill( id| request)?( \d+)?( was| is| has been)? (not found|does not exist|doesnt exist|not exist\w*|missing|unknown)\b/,
  /\b(incorrect|invalid|wrong|unknown) refill( id| request)?\b/,
  /\bno (such )?refill (found|exists|with)\b/,
  /\bno such refill\b/
]

const NOT_COMPLETED: readonly RegExp[] = [
  /\b(order|it)( is| has)? not (yet )?(been )?(completed|complete|finished|delivered)\b/,
  /\bnot (yet )?(completed|finished)\b/,
  /\b(must|should) be (completed|finished)\b/,
  /\bcompleted orders? only\b/,
  /\bonly\b.*\bcompleted orders?\b/
]

const REFILL_NOT_ALLOWED: readonly RegExp[] = [
  /\brefill\w*\b.*\b(disabled|not (allowed|available|supported|possible|enabled|eligible|active)|unavailable|cannot|can not|cant|expired|already|forbidden)\b/,
  /\bcan(not| not|t) (be )?refill/,
  /\bno refill\b/,
  /\b(does not|doesnt|dont|do not) (support|allow|have) refill/
]

const CANCEL_NOT_ALLOWED: readonly RegExp[] = [
  /\bcancel\w*\b.*\b(disabled|not (allowed|available|supported|possible|enabled)|unavailable|impossible|forbidden)\b/,
  /\bcan(not| not|t) (be )?cancel/,
  /\bno cancel\w*\b/,
  /\b(does not|doesnt|dont|do not) (support|allow) cancel/
]

const QUANTITY: readonly RegExp[] = [
  /\bquantity( is| must be| should be| cannot be| can not be| cant be)? (less|lower|smaller|below|under|fewer|more|greater|higher|bigger|larger|above|over) (than )?(the )?(minim\w*|min|maxim\w*|max|allowed|limit)\b/,
  /\b(min|minimum|minimal|max|maximum|maximal) (order )?(quantity|amount|count)\b/,
  /\b(above|over|at least|greater than|more than|higher than|below|under|less than|lower than|smaller than) (the )?(minimum|min|minimal|maximum|max|maximal)\b/,
  /\b(maximum|max)( \w+)? exceed/,
  /\bexceed\w* (the )?(maximum|max|limit|allowed)\b/,
  /\bquantity( must| should)? (be )?(between|from|in range|within|at least|at most|a multiple)\b/,
  /\bquantity( is)? too (low|high|small|big|large|few|many|much)\b/,
  /\b(invalid|incorrect|wrong|bad|valid) (quantity|amount)\b/,
  /\bquantity( is| was)? (invalid|incorrect|out of range|not allowed|not valid|not in range|exceed\w*)\b/
]

const INVALID_LINK: readonly RegExp[] = [
  /\b(bad|invalid|incorrect|wrong|malformed|broken|unsupported) (link|url)s?\b/,
  /\b(link|url)( format)?( is| was)? (invalid|incorrect|wrong|bad|malformed|broken|unsupported|not (valid|correct|supported|allowed|accessible|reachable|public))\b/,
  /\bvalid (link|url)\b/,
  /\berror (link|url)$/
]

const UNKNOWN_SERVICE: readonly RegExp[] = [
  /\b(incorrect|invalid|wrong|unknown|bad|valid) service( id)?\b/,
  /\bservice( id)?( \d+)?( is| was| has been)? (not found|inactive|disabled|deactivated|unavailable|off|removed|deleted|suspended|paused|closed|not (found|active|available|enabled|exist\w*|valid|allowed)|does not exist|doesnt exist)\b/,
  /\bno (such )?service\b/,
  /\berror (incorrect )?service( id)?$/
]

const ORDER_NOT_FOUND: readonly RegExp[] = [
  /\b(incorrect|invalid|wrong|unknown|bad) order (id|number|ids)\b/,
  /\border( id| number)?( \d+)?( was| is| has been)? (not found|does not exist|doesnt exist|not exist\w*|missing|unknown)\b/,
  /\bno such order\b/,
  /\bno order (found|exists|with (this|that|the) id)\b/
]

const MISSING_FIELD: readonly RegExp[] = [
  /\b(is|are) (required|mandatory|missing|needed|not set|not provided|not specified|not given)\b/,
  /\bmissing (required )?(parameter|field|param|argument|value|data)s?\b/,
  /\b(parameter|field|param)s? (\S+ )?(is |are )?(required|missing|empty)\b/,
  /\brequired (parameter|field|param)s?\b/,
  /^(\S+ ){0,3}(required|missing)$/,
  /\b(cannot|can not|cant|must not|may not|should not) be (empty|blank|null)\b/,
  /\b(is|are) empty\b/,
  /\bplease (fill|enter|provide|specify|input|insert|type|select|add)\b/
]

const BAD_REQUEST: readonly RegExp[] = [
  /^(incorrect|invalid|bad|wrong|malformed) request$/,
  /\b(incorrect|invalid|bad|malformed) (request|parameters?|params|data|input)\b/
]

// Order matters: the more specific families first ("Quantity is required" is a
// missing field, not a quantity; "Refill is disabled for this service" is not
// an unknown service; "neworder.error.link_duplicate" is not a bad link).
export const PANEL_ERRORS: readonly PanelErrorRule[] = [
  {
    family: 'credentials',
    code: 'upstream_auth_failed',
    means: "the gateway's API key or the panel account is wrong, disabled or unknown",
    match: CREDENTIALS,
    detail: said(AUTH_FAILED_DETAIL),
    examples: ['Invalid API key', 'API key invalid', 'API is Disable for this user or User Not Found! Contact the Support', 'Your account is inactive', 'Account suspended', 'Unauthorized']
  },
  {
    family: 'rate limit',
    code: 'upstream_rate_limited',
    means: 'the panel is rate limiting the gateway',
    match: RATE_LIMITED,
    detail: said('The panel is rate limiting the gateway'),
    examples: ['Too many requests', 'Rate limit exceeded, try again in 30 seconds']
  },
  {
    family: 'unsupported action',
    code: 'upstream_action_unsupported',
    means: 'the panel does not offer this action (refill, cancel, multi forms, …)',
    match: ACTION_UNSUPPORTED,
    detail: said('The panel does not offer this action'),
    examples: ['This action is Invalid', 'Incorrect action', 'Invalid action', 'Unknown action', 'Action not supported']
  },
  {
    family: 'duplicate link',
    code: 'duplicate_active_order',
    means: 'the panel has an active order for this link',
    match: DUPLICATE,
    detail: said('The panel has an active order for this link; wait until it is completed'),
    examples: [
      'You have active order with this link. Please wait until order being completed.',
      'You cannot start a new order with the same link that is active processing order.',
      'neworder.error.link_duplicate'
    ]
  },
  {
    family: 'funds',
    code: 'upstream_insufficient_funds',
    means: 'the panel account has not enough funds',
    match: FUNDS,
    detail: said('The panel account has not enough funds for this order'),
    examples: ['Not enough funds on balance', 'Your balance is insufficient.', 'neworder.error.not_enough_funds', "You don't have enough funds"]
  },
  {
    family: 'drip-feed',
    code: 'invalid_drip_feed',
    means: 'the panel refused the runs or the interval, or drip-feed for this service',
    match: DRIP_FEED,
    detail: said('The panel refused the drip-feed settings'),
    examples: ['Invalid Interval in minutes', 'Incorrect runs', 'Incorrect interval', 'Drip-feed is not allowed for this service']
  },
  {
    family: 'refill not found',
    code: 'not_found',
    means: 'the panel does not know this refill',
    match: REFILL_NOT_FOUND,
    detail: said('The panel does not know this refill'),
    examples: ['Refill not found']
  },
  {
    family: 'order not completed',
    code: 'order_not_completed',
    means: 'the order is not completed yet (refill needs a completed order)',
    match: NOT_COMPLETED,
    detail: said('The order is not completed yet'),
    examples: ['The order is not completed']
  },
  {
    family: 'refill not allowed',
    code: 'refill_not_allowed',
    means: 'refill is not available for this order or service',
    match: REFILL_NOT_ALLOWED,
    detail: said('Refill is not available for this order'),
    examples: ['Refill is disabled for this service', 'This order cannot be refilled']
  },
  {
    family: 'cancel not allowed',
    code: 'cancel_not_allowed',
    means: 'canceling is not available for this order or service',
    match: CANCEL_NOT_ALLOWED,
    detail: said('The panel does not allow canceling this order'),
    examples: ['Cancel is disabled for this service', 'The order can not be canceled', 'This order cannot be canceled']
  },
  {
    family: 'quantity',
    code: 'quantity_out_of_range',
    means: 'the quantity is below the minimum or above the maximum',
    match: QUANTITY,
    detail: said('The panel refused the quantity'),
    examples: [
      'Quantity less than minimal 50', 'Quantity more than maximum 10000', 'Enter a value above the minimum number.',
      'Maximum number exceed.', 'neworder.error.min_quantity', 'neworder.error.max_quantity'
    ]
  },
  {
    family: 'link',
    code: 'invalid_link',
    means: 'the panel rejected the link',
    match: INVALID_LINK,
    detail: said('The panel rejected the link'),
    examples: ['Bad link', 'neworder.error.link', 'Invalid link']
  },
  {
    family: 'unknown service',
    code: 'unknown_service',
    means: 'the panel does not know the service, or it is disabled',
    match: UNKNOWN_SERVICE,
    detail: said('The panel does not know this service or has disabled it'),
    examples: ['Incorrect service ID', 'error.incorrect_service_id', 'Service not found or inactive']
  },
  {
    family: 'order not found',
    code: 'not_found',
    means: 'the panel does not know this order',
    match: ORDER_NOT_FOUND,
    detail: said('The panel does not know this order'),
    examples: ['Incorrect order ID', 'Order not found.']
  },
  {
    family: 'missing field',
    code: 'missing_field',
    means: 'the panel needs a field the request did not carry (`extra.field` names it when it can be read)',
    match: MISSING_FIELD,
    detail: said('The panel needs a field the order did not carry'),
    examples: ['Quantity is required', 'Link is required', 'Missing parameter: comments']
  },
  {
    family: 'bad request',
    code: 'upstream_bad_request',
    means: 'the panel did not understand the request',
    match: BAD_REQUEST,
    detail: said('The panel rejected the request as incorrect'),
    examples: ['Incorrect request', 'Invalid request']
  }
]

/**
 * Numeric codes some panels put beside the text (`{"error":"…","status":"104"}`),
 * read only when no family knows the text. From the rental panel script; 113 is
 * both "insufficient balance" and "duplicate link" there, so it has no row.
 */
export const PANEL_ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [102, 'credentials'],
  [103, 'credentials'],
  [104, 'order not found'],
  [105, 'unknown service'],
  [108, 'quantity'],
  [109, 'quantity'],
  [401, 'credentials'],
  [429, 'rate limit']
])

const MAX_MATCHED = 500

/**
 * The text the patterns read: the first 500 characters, lower case, apostrophes
 * dropped ("don't" → "dont"), every other run of non-letters/digits one space
 * ("neworder.error.min_quantity" → "neworder error min quantity").
 */
export function normaliseMessage (text: string): string {
  return text.slice(0, MAX_MATCHED).toLowerCase().replace(/['’`]/g, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
}

/** The family of a panel message, or undefined when no family knows it. */
export function findPanelErrorRule (message: string): PanelErrorRule | undefined {
  const text = normaliseMessage(message)
  if (text === '') return undefined
  return PANEL_ERRORS.find((rule) => rule.match.some((pattern) => pattern.test(text)))
}

function ruleOfFamily (family: string): PanelErrorRule | undefined {
  return PANEL_ERRORS.find((rule) => rule.family === family)
}

/** The family a numeric panel code falls back to, when the code has one. */
export function ruleOfCode (code: number | undefined): PanelErrorRule | undefined {
  if (code === undefined) return undefined
  const family = PANEL_ERROR_CODES.get(code)
  return family === undefined ? undefined : ruleOfFamily(family)
}

// Order fields in the gateway's names, as the panel may word them (multi-word first).
const FIELDS: ReadonlyArray<[RegExp, string]> = [
  [/\banswer number\b/, 'answerNumber'],
  [/\btype of traffic\b/, 'typeOfTraffic'],
  [/\bgoogle keyword\b/, 'googleKeyword'],
  [/\breferring url\b/, 'referringUrl'],
  [/\bold posts\b/, 'oldPosts'],
  [/\bservice( id)?\b/, 'service'],
  [/\b(link|url)\b/, 'link'],
  [/\b(quantity|qty|amount)\b/, 'quantity'],
  [/\bruns\b/, 'runs'],
  [/\binterval\b/, 'interval'],
  [/\bcomments?\b/, 'comments'],
  [/\busernames\b/, 'usernames'],
  [/\busername\b/, 'username'],
  [/\bhashtags\b/, 'hashtags'],
  [/\bhashtag\b/, 'hashtag'],
  [/\bmedia\b/, 'media'],
  [/\bkeywords?\b/, 'keywords'],
  [/\bgroups\b/, 'groups'],
  [/\bcountry\b/, 'country'],
  [/\bdevice\b/, 'device'],
  [/\bposts\b/, 'posts'],
  [/\bdelay\b/, 'delay'],
  [/\bexpiry\b/, 'expiry'],
  [/\bmin\b/, 'min'],
  [/\bmax\b/, 'max']
]

/** The order field a "… is required" message names (the first one in the text), in the gateway's spelling. */
export function fieldOf (message: string): string | undefined {
  const text = normaliseMessage(message)
  let best: { at: number, field: string } | undefined
  for (const [pattern, field] of FIELDS) {
    const found = pattern.exec(text)
    if (found !== null && (best === undefined || found.index < best.at)) best = { at: found.index, field }
  }
  return best?.field
}

const SECONDS = /\b(?:in|after|wait|for) (\d{1,5}) ?(seconds?|secs?|s|minutes?|mins?|m)\b/

/** "try again in 30 seconds" → 30; otherwise 1. Bounded to [1, 3600]. */
function retryAfterOf (message: string): number {
  const found = SECONDS.exec(normaliseMessage(message))
  if (found === null) return 1
  const n = Number(found[1]) * (found[2]?.startsWith('m') === true ? 60 : 1)
  return Math.min(3600, Math.max(1, n))
}

const TEXT_MEMBERS = ['message', 'error', 'msg', 'error_message', 'errorMessage', 'description', 'detail', 'reason', 'text']

/** The text of whatever a panel put in `error`: a string, or `{ message }`-like objects, arrays of them. */
export function messageOf (value: unknown, depth = 0): string {
  if (typeof value === 'string') return value
  if (depth > 3) return ''
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 10)) {
      const text = messageOf(item, depth + 1)
      if (text !== '') return text
    }
    return ''
  }
  if (isRecord(value)) {
    for (const name of TEXT_MEMBERS) {
      const text = messageOf(own(value, name), depth + 1)
      if (text !== '') return text
    }
    // {"quantity": ["The quantity must be at least 10."]} (framework validation errors).
    for (const inner of Object.values(value).slice(0, 10)) {
      if (typeof inner === 'string' || Array.isArray(inner)) {
        const text = messageOf(inner, depth + 1)
        if (text !== '') return text
      }
    }
  }
  return ''
}

/** A numeric code: a number or a numeric string ("102"), else undefined. */
export function numericCode (value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value === 'string' && /^\s*-?\d{1,9}\s*$/.test(value)) return Number(value)
  return undefined
}

export interface PanelErrorContext {
  /** A numeric code the panel put beside the text; read when no family knows the text. */
  code?: number
  /** The HTTP status the error came with; 401 falls back to credentials. */
  httpStatus?: number
}

/** The panel's text twice: for the tenant (no secrets, no addresses) and for the operator's log (no secrets). */
interface Shown { tenant: string, operator: string }

function shownOf (raw: string, secrets: readonly string[]): Shown {
  return { tenant: cleanText(raw, secrets), operator: operatorText(raw, secrets) }
}

function errorOfRule (rule: PanelErrorRule, raw: string, shown: Shown): GatewayError {
  const options: GatewayErrorOptions = { operatorDetail: rule.detail(shown.operator) }
  if (rule.code === 'upstream_rate_limited') options.retryAfter = retryAfterOf(raw)
  if (rule.code === 'missing_field') {
    const field = fieldOf(raw)
    if (field !== undefined) options.extra = { field }
  }
  return new GatewayError(rule.code, rule.detail(shown.tenant), options)
}

/**
 * The GatewayError for a panel's refusal (the value of its `error` member, or
 * the text of its message). Never throws; the detail never contains a secret.
 * A text no family knows falls back to the numeric code, then to the HTTP
 * status, then to `upstream_refused`: a refusal all the same.
 */
export function panelError (message: unknown, secrets: readonly string[] = [], context: PanelErrorContext = {}): GatewayError {
  let raw: string
  let code = context.code
  try {
    raw = messageOf(message)
    if (code === undefined && typeof message === 'number') code = numericCode(message)
    if (code === undefined && isRecord(message)) code = numericCode(own(message, 'code')) ?? numericCode(own(message, 'error_code'))
  } catch {
    raw = ''
  }
  // Secrets are scrubbed from the whole text before anything bounds or collapses it (scrub.ts).
  const shown = shownOf(raw, secrets)
  const rule = (shown.tenant === '' ? undefined : findPanelErrorRule(raw)) ??
    ruleOfCode(code) ??
    (context.httpStatus === 401 ? ruleOfFamily('credentials') : undefined)
  if (rule !== undefined) {
    const byCode = `panel error code ${code ?? ''}`
    return errorOfRule(rule, raw, shown.tenant === '' && code !== undefined ? { tenant: byCode, operator: byCode } : shown)
  }
  const because = code === undefined ? '' : ` (panel error code ${code})`
  if (shown.tenant === '') return new GatewayError('upstream_refused', `The panel refused the request without saying why${because}`)
  return new GatewayError('upstream_refused', `The panel refused the request: ${shown.tenant}${because}`, {
    operatorDetail: `The panel refused the request: ${shown.operator}${because}`
  })
}

/** The error a text names when a family knows it, else undefined (for texts that may not be errors at all). */
export function recognisedPanelError (text: string, secrets: readonly string[] = []): GatewayError | undefined {
  const rule = findPanelErrorRule(text)
  return rule === undefined ? undefined : errorOfRule(rule, text, shownOf(text, secrets))
}

/** Whether a string reads as words (a panel's message), not as a number or an id. */
export function isText (value: unknown): value is string {
  return typeof value === 'string' && /\p{L}/u.test(value.slice(0, 200))
}

/**
 * A bare string where a batch item (or an item's member) should be
 * (`{"6":"Incorrect order ID"}`): the panel's refusal for that item.
 */
export function itemTextError (value: unknown, secrets: readonly string[] = []): GatewayError | undefined {
  return isText(value) ? panelError(value, secrets) : undefined
}

// ---- error bodies --------------------------------------------------------

const ERROR_WORDS = new Set(['error', 'errors', 'fail', 'failed', 'failure', 'false'])
// Members only an order's status has: beside them `{"status":"Fail"}` is an order that failed
// and `{"status":"Success"}` the order's status, neither an error nor a success wrapper.
export const ORDER_STATUS_FIELDS: readonly string[] = ['charge', 'start_count', 'startCount', 'remains', 'currency', 'runs', 'posts', 'orders']
const MESSAGE_MEMBERS = ['message', 'msg', 'error_message', 'errorMessage', 'description', 'detail', 'reason']

export interface ErrorBodyOptions {
  /**
   * The body answers `status`/`refill_status`: there, `"status":"Error"`/`"Fail"`
   * without a message is the order's status, not an error marker.
   */
  statusAnswer?: boolean
  httpStatus?: number
}

function present (value: unknown): boolean {
  if (typeof value === 'string') return value.trim() !== ''
  if (typeof value === 'number') return value !== 0
  if (value === true) return true
  if (Array.isArray(value)) return value.length > 0
  return isRecord(value) && Object.keys(value).length > 0
}

function isErrorWord (value: unknown): boolean {
  if (value === false) return true
  return typeof value === 'string' && value.length <= 16 && ERROR_WORDS.has(value.trim().toLowerCase())
}

function bodyText (body: Json): string {
  for (const name of MESSAGE_MEMBERS) {
    const text = messageOf(own(body, name))
    if (text !== '') return text
  }
  const data = own(body, 'data')
  return typeof data === 'string' ? data : ''
}

function bodyCode (body: Json, statusIsCode: boolean): number | undefined {
  const error = own(body, 'error')
  return numericCode(own(body, 'code')) ??
    numericCode(own(body, 'error_code')) ??
    numericCode(own(body, 'errorCode')) ??
    (isRecord(error) ? numericCode(own(error, 'code')) ?? numericCode(own(error, 'error_code')) : undefined) ??
    (typeof error === 'number' ? numericCode(error) : undefined) ??
    (statusIsCode ? numericCode(own(body, 'status')) : undefined)
}

/**
 * The refusal a body carries as a whole, in any of the shapes panels use, else undefined:
 *
 * - `{"error": "…" | {message…} | [..] | true}` (not `false`, `null`, `""`, `0`), with a
 *   numeric code beside it in `status` (`"102"`, `108`), `code` or `error_code`;
 * - `{"errors": […] | {field: […]}}`;
 * - `{"status": "error" | "fail" | "failed" | false, "message" | "msg" | "description" | …: "…"}`
 *   (`status` is also an order's status: only these words mark an error, never beside
 *   order fields such as `charge`, and in a status answer only with a message);
 * - `{"success": false, …}`.
 *
 * `{"status":100}` and `{"status":"success"}` are not errors. Never throws.
 */
export function errorBodyOf (body: unknown, secrets: readonly string[] = [], options: ErrorBodyOptions = {}): GatewayError | undefined {
  try {
    if (!isRecord(body)) return undefined
    const error = own(body, 'error')
    const context = (statusIsCode: boolean): PanelErrorContext => {
      const code = bodyCode(body, statusIsCode)
      return { ...(code === undefined ? {} : { code }), ...(options.httpStatus === undefined ? {} : { httpStatus: options.httpStatus }) }
    }
    if (present(error)) {
      const text = messageOf(error) || bodyText(body)
      return panelError(text, secrets, context(true))
    }
    const errors = own(body, 'errors')
    if (present(errors) && typeof errors !== 'number' && errors !== true) {
      return panelError(messageOf(errors) || bodyText(body), secrets, context(true))
    }
    const status = own(body, 'status')
    if (isErrorWord(status)) {
      const text = bodyText(body)
      const orderLike = ORDER_STATUS_FIELDS.some((name) => Object.hasOwn(body, name))
      if (!orderLike && (options.statusAnswer !== true || text !== '' || status === false)) {
        return panelError(text, secrets, context(false))
      }
    }
    const success = own(body, 'success')
    if (success === false || success === 0 || (typeof success === 'string' && /^\s*(false|0|no)\s*$/i.test(success))) {
      return panelError(bodyText(body), secrets, context(true))
    }
    return undefined
  } catch {
    return undefined
  }
}

// ---- docs ----------------------------------------------------------------

/** Rows for docs/errors.md: one example panel string → code and HTTP status. */
export function panelErrorTable (): Array<{ panelSays: string, code: ErrorCode, status: number, family: string }> {
  return PANEL_ERRORS.flatMap((rule) => rule.examples.map((panelSays) => ({ panelSays, code: rule.code, status: ERRORS[rule.code].status, family: rule.family })))
}
