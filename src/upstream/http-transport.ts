import { Pool, type Dispatcher } from 'undici'
import { GatewayError, type ErrorCode } from '../problems/errors.js'
import { classifyAnswer, parseRetryAfter, type PanelHttpAnswer } from './classify.js'
import { withUnknownOutcome } from './normalise.js'
import { cleanText, operatorText, scrubSecrets } from './scrub.js'
import { READ_ACTIONS, type PanelAction, type PanelForm, type PanelTransport, type ParseAnswer } from './types.js'

export interface PanelLogger {
  debug: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
}

export interface HttpTransportOptions {
  /** Full endpoint, e.g. http://127.0.0.1:4010/api/v2 (path and query kept). */
  url: string
  key: string
  /** Bound on the whole call, retries included. */
  timeoutMs: number
  /** Pool size, default 16. */
  connections?: number
  /** Extra attempts for reads, default 2. */
  retries?: number
  /** Backoff base in ms, default 100 (full jitter, capped). */
  retryBaseMs?: number
  logger?: PanelLogger
  userAgent?: string
}

const MAX_BACKOFF_MS = 2000
const MAX_CONNECT_TIMEOUT_MS = 10_000
const BACKSTOP_MS = 1000
const MB = 1024 * 1024
const BODY_LIMITS: Record<PanelAction, number> = {
  services: 20 * MB,
  add: 1 * MB,
  status: 2 * MB,
  refill: 1 * MB,
  refill_status: 1 * MB,
  cancel: 1 * MB,
  balance: 1 * MB
}

// Failed before a byte left: the panel cannot have acted, so even writes may be retried.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])
const CLOSED = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED'])
// A 2xx whose body we could not use: the panel may well have acted on the request.
const UNUSABLE_BODY = new Set<ErrorCode>(['upstream_html_response', 'upstream_empty_response', 'upstream_invalid_response'])

/** One failed attempt and what it allows next. */
interface Failure {
  error: GatewayError
  /** Worth another attempt (for reads; for writes only when also `!reached`). */
  retryable: boolean
  /** The request (or part of it) may have reached the panel, even if refused. */
  reached: boolean
  /** The panel may have acted on it: for a write, the outcome is unknown. */
  maybeSent: boolean
  /** The panel's Retry-After, when it sent one. */
  retryAfterMs?: number
  statusCode?: number
}

function internal (detail: string): GatewayError {
  return new GatewayError('internal_error', detail)
}

/** `code` of an error, its cause or (happy eyeballs) the first of an AggregateError's errors. */
function errorCode (err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 3) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') return code
  const errors = (err as { errors?: unknown }).errors
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = errorCode(inner, depth + 1)
      if (found !== undefined) return found
    }
  }
  return errorCode((err as { cause?: unknown }).cause, depth + 1)
}

/**
 * What a network error says, for the operator: its message, its cause's and (happy
 * eyeballs) its AggregateError's errors' ("connect ECONNREFUSED ::1:443; connect
 * ECONNREFUSED 127.0.0.1:443"); the AggregateError's own message is empty.
 */
function failureText (err: unknown, depth = 0, seen = new Set<string>()): string {
  if (typeof err !== 'object' || err === null || depth > 3) return ''
  const message = (err as { message?: unknown }).message
  if (typeof message === 'string' && message !== '') seen.add(message)
  const errors = (err as { errors?: unknown }).errors
  if (Array.isArray(errors)) for (const inner of errors.slice(0, 4)) failureText(inner, depth + 1, seen)
  failureText((err as { cause?: unknown }).cause, depth + 1, seen)
  return [...seen].join('; ')
}

function isTlsFailure (code: string): boolean {
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT') || code === 'EPROTO'
}

async function readBody (body: Dispatcher.ResponseData['body'], limit: number, declared: string | string[] | undefined): Promise<Uint8Array> {
  const tooLarge = (): GatewayError => new GatewayError('upstream_invalid_response', `The panel's answer is larger than ${Math.round(limit / MB)} MB`)
  const length = Number(Array.isArray(declared) ? declared[0] : declared)
  if (Number.isFinite(length) && length > limit) {
    body.destroy()
    throw tooLarge()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw tooLarge()
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

/**
 * The one way a request reaches the panel: `call(action, form, parse)` sends a
 * form POST over one undici Pool, within `timeoutMs` (retries included), retries
 * reads (and writes that provably never left) on network errors, 5xx and 429,
 * and hands the answer's JSON to `parse`. Whatever fails comes out as a
 * GatewayError; a write that may have reached the panel is marked outcome-unknown.
 */
export function createHttpTransport (options: HttpTransportOptions): PanelTransport {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw internal('The panel URL is not a valid URL; check PANEL_URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw internal('The panel URL must be http(s); check PANEL_URL')
  if (typeof options.key !== 'string' || options.key === '') throw internal('The panel key is empty; check PANEL_KEY')
  const timeoutMs = options.timeoutMs
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw internal('timeoutMs must be a positive number')
  const retries = Math.max(0, Math.floor(options.retries ?? 2))
  const retryBaseMs = Math.max(0, options.retryBaseMs ?? 100)
  const key = options.key
  const secrets = [key]
  const logger = options.logger
  const path = (url.pathname === '' ? '/' : url.pathname) + url.search
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'smm-gateway'
  }

  // Connecting gets half the budget, so a panel that cannot be reached shows up as a
  // connect timeout (nothing sent) rather than as the deadline (outcome unknown).
  const connectTimeoutMs = Math.min(MAX_CONNECT_TIMEOUT_MS, Math.max(1, Math.floor(timeoutMs / 2)))
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 16,
    connect: { timeout: connectTimeoutMs },
    // Backstops only: the deadline signal ends the call first, so a timer of undici's
    // never races it into a retry with no time left.
    headersTimeout: timeoutMs + BACKSTOP_MS,
    bodyTimeout: timeoutMs + BACKSTOP_MS
  })
  let closing: Promise<void> | undefined

  /** A copy of an error that is safe to keep as `cause`: same name and code, secrets scrubbed. */
  function safeCause (err: unknown): Error {
    const source = err instanceof Error ? err : new Error(String(err))
    const copy = new Error(scrubSecrets(source.message, secrets))
    copy.name = source.name
    const code = errorCode(err)
    if (code !== undefined) Object.assign(copy, { code })
    copy.stack = scrubSecrets(source.stack ?? '', secrets)
    return copy
  }

  function networkFailure (err: unknown, deadlineHit: boolean): Failure {
    const cause = safeCause(err)
    // undici's message names the panel's address ("connect ECONNREFUSED 10.1.2.3:443",
    // "getaddrinfo ENOTFOUND panel.internal"): the operator's, never in a tenant's detail.
    const said = operatorText(failureText(err), secrets)
    const error = (code: ErrorCode, detail: string): GatewayError =>
      new GatewayError(code, detail, { cause, ...(said === '' ? {} : { operatorDetail: `${detail}: ${said}` }) })
    if (deadlineHit) {
      return { error: error('upstream_timeout', `The panel did not answer within ${timeoutMs} ms`), retryable: false, reached: true, maybeSent: true }
    }
    const code = errorCode(err) ?? 'unknown'
    const shown = cleanText(code, secrets)
    if (CLOSED.has(code)) {
      return { error: error('upstream_unavailable', 'The panel client is closed'), retryable: false, reached: false, maybeSent: false }
    }
    if (TIMEOUTS.has(code)) {
      const detail = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'Connecting to the panel timed out' : `The panel did not answer in time (${shown})`
      return { error: error('upstream_timeout', detail), retryable: true, reached: !NOT_SENT.has(code), maybeSent: !NOT_SENT.has(code) }
    }
    if (NOT_SENT.has(code)) {
      return { error: error('upstream_unavailable', `The panel is unreachable (${shown})`), retryable: true, reached: false, maybeSent: false }
    }
    if (isTlsFailure(code)) {
      return { error: error('upstream_unavailable', `TLS with the panel failed (${shown}); check PANEL_URL`), retryable: false, reached: false, maybeSent: false }
    }
    return { error: error('upstream_unavailable', `The connection to the panel failed (${shown})`), retryable: true, reached: true, maybeSent: true }
  }

  function answerFailure (err: unknown, answer: PanelHttpAnswer): Failure {
    const error = err instanceof GatewayError ? err : new GatewayError('upstream_invalid_response', 'The panel answer could not be read', { cause: safeCause(err) })
    const status = answer.statusCode
    const serverError = status >= 500 && status < 600
    const rateLimited = status === 429 || error.code === 'upstream_rate_limited'
    const retryAfter = status === 429 ? parseRetryAfter(answer.headers['retry-after']) : undefined
    return {
      error,
      retryable: serverError || rateLimited,
      reached: true,
      maybeSent: serverError || (status >= 200 && status < 300 && UNUSABLE_BODY.has(error.code)),
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 }),
      statusCode: status
    }
  }

  function finalError (action: PanelAction, failure: Failure): GatewayError {
    return READ_ACTIONS.has(action) || !failure.maybeSent ? failure.error : withUnknownOutcome(failure.error, action)
  }

  type Attempt<T> = { ok: true, value: T, statusCode: number } | { ok: false, failure: Failure }

  async function attempt<T> (action: PanelAction, body: string, signal: AbortSignal, parse: ParseAnswer<T>): Promise<Attempt<T>> {
    let answer: PanelHttpAnswer
    try {
      const res = await pool.request({ path, method: 'POST', headers, body, signal })
      try {
        const bytes = await readBody(res.body, BODY_LIMITS[action], res.headers['content-length'])
        answer = { statusCode: res.statusCode, headers: res.headers, body: bytes }
      } catch (err) {
        if (err instanceof GatewayError) {
          return { ok: false, failure: { error: err, retryable: false, reached: true, maybeSent: true, statusCode: res.statusCode } }
        }
        throw err
      }
    } catch (err) {
      return { ok: false, failure: networkFailure(err, signal.aborted) }
    }
    try {
      return { ok: true, value: parse(classifyAnswer(answer, secrets), secrets), statusCode: answer.statusCode }
    } catch (err) {
      return { ok: false, failure: answerFailure(err, answer) }
    }
  }

  async function call<T> (action: PanelAction, fields: PanelForm, parse: ParseAnswer<T>): Promise<T> {
    if (closing !== undefined) throw new GatewayError('upstream_unavailable', 'The panel client is closed')
    const form = new URLSearchParams()
    form.set('key', key)
    form.set('action', action)
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'key' || name === 'action') throw internal(`The form field "${name}" is the transport's own`)
      form.append(name, value)
    }
    const body = form.toString()
    const isRead = READ_ACTIONS.has(action)
    // Real time, not the app's injected clock: the deadline is a socket's, and a
    // test's jump of its fake clock must not end a call in flight early.
    const started = performance.now()
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    try {
      for (let n = 1; ; n++) {
        const t0 = performance.now()
        const result = await attempt(action, body, controller.signal, parse)
        const durationMs = Math.round(performance.now() - t0)
        if (result.ok) {
          logger?.debug({ action, attempt: n, statusCode: result.statusCode, durationMs }, 'panel call')
          return result.value
        }
        const { failure } = result
        const entry = { action, attempt: n, statusCode: failure.statusCode, durationMs, code: failure.error.code }
        const remaining = timeoutMs - (performance.now() - started)
        let delay: number | undefined
        if (n <= retries && failure.retryable && (isRead || !failure.reached) && !controller.signal.aborted) {
          // Honour Retry-After only when it fits the deadline; waiting past it would only end in a timeout.
          delay = failure.retryAfterMs ?? Math.random() * Math.min(MAX_BACKOFF_MS, retryBaseMs * 2 ** (n - 1))
          // A write is only retried when a stuck connect could still end as a connect
          // timeout (nothing sent) and not as the deadline (outcome unknown).
          const needed = isRead ? 0 : connectTimeoutMs
          if (delay + needed >= remaining) delay = undefined
        }
        if (delay === undefined) {
          const error = finalError(action, failure)
          // A panel's own verdict ("Incorrect order ID") is an answer, not a fault worth a warning.
          if (error.isUpstream) logger?.warn({ ...entry, outcomeUnknown: error.outcomeUnknown }, 'panel call failed')
          else logger?.debug(entry, 'panel call refused')
          throw error
        }
        logger?.warn({ ...entry, retryInMs: Math.round(delay) }, 'panel call failed, retrying')
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    call,
    async close () {
      closing ??= pool.close()
      await closing
    }
  }
}
