import type { Config } from '../config.js'

// Secrets never reach a log line, in any encoding. A careless client may put a
// key anywhere it can write: the URL (`?apiKey=sgw_…`, `/orders/sgw%5F…`, a
// parameter's name), the Host or User-Agent header, an X-Request-Id, a body.
// Tenant keys are found by their shape, the configured secrets (admin token,
// metrics token, panel key) by their value, each in every form a text can
// take on the way: raw, percent-encoded (either hex case, wholly or in part,
// once or twice over), `+` for space, base64 / base64url.

/** Query parameters whose value is masked whatever it holds. */
const SECRET_NAME = /key|token|secret|password|passwd|auth|signature/i
/** A tenant key (`sgw_<prefix>_<secret>`), or more of one than its public lookup prefix. */
const KEY_SHAPE = /sgw_[A-Za-z0-9_-]{9,}/i
const BASE64_RUN = /[A-Za-z0-9+/_-]{3,}={0,2}/g
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g
/** Decoding rounds: `%255F` is two; past four a text is not hiding a key from us by accident. */
const MAX_ROUNDS = 4
/** What a log line is cut into to be looked at: anything between JSON punctuation and white space. */
const LINE_TOKEN = /[^\s"\\{},]+/g
export const CENSOR = '[redacted]'

function percentDecode (text: string): string {
  if (!text.includes('%')) return text
  try {
    return decodeURIComponent(text)
  } catch {
    // Byte runs decoded as UTF-8; a malformed escape stays as it is.
    return text.replace(PERCENT_RUN, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'))
  }
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * What base64 (and base64url) of any text holding `text` is sure to contain,
 * whichever of the three byte offsets `text` starts at: the characters made
 * of its bits only.
 */
function base64Fragments (text: string): string[] {
  const bytes = Buffer.from(text)
  return [0, 1, 2].flatMap((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(3)]).toString('base64')
    const fragment = encoded.slice(Math.ceil(offset * 8 / 6), Math.floor((offset + bytes.length) * 8 / 6))
    return [fragment, fragment.replaceAll('+', '-').replaceAll('/', '_')]
  }).filter((fragment) => fragment.length > 0)
}

/**
 * Every reading of `text`: as it is, percent-decoded round after round (with
 * and without `+` as space), and base64-decoded where a run holds what the
 * base64 of a secret would (`hint`).
 */
function readings (text: string, hint: RegExp): string[] {
  const seen = new Set<string>()
  let round = [text]
  for (let i = 0; i <= MAX_ROUNDS && round.length > 0; i++) {
    const next: string[] = []
    for (const view of round) {
      if (seen.has(view)) continue
      seen.add(view)
      if (view.includes('%')) next.push(percentDecode(view))
      if (view.includes('+')) next.push(view.replaceAll('+', ' '))
    }
    round = next
  }
  for (const view of [...seen]) {
    if (!hint.test(view)) continue
    for (const run of view.match(BASE64_RUN) ?? []) {
      if (!hint.test(run)) continue
      // The encoded text may start anywhere in the run: one of four offsets is its own.
      for (let offset = 0; offset < 4; offset++) {
        const decoded = Buffer.from(run.slice(offset), 'base64').toString('utf8')
        seen.add(decoded).add(percentDecode(decoded))
      }
    }
  }
  return [...seen]
}

export interface Redactor {
  /** Whether any reading of `text` holds a tenant key or a configured secret. */
  exposes: (text: string) => boolean
  /** A URL with each path segment, parameter name or value that exposes a secret (and any value of a secret-named parameter) masked. */
  url: (url: string) => string
  /** A whole log line with whatever exposes a secret masked: the net under every field. */
  line: (line: string) => string
}

export function createRedactor (configured: ReadonlyArray<string | undefined> = []): Redactor {
  const given = configured.filter((s): s is string => typeof s === 'string' && s !== '')
  // `+` for space written over the whole secret, its own `+` left as it is (no decoding yields that).
  const secrets = [...new Set([...given, ...given.filter((s) => s.includes(' ')).map((s) => s.replaceAll(' ', '+'))])]
  // A secret with spaces or quotes is not one token of a line: its raw and JSON-escaped forms are replaced first.
  const literal = secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]).sort((a, b) => b.length - a.length)

  const holds = (view: string): boolean => KEY_SHAPE.test(view) || secrets.some((s) => view.includes(s))
  // What any exposing text holds, raw or in some encoding: most log lines and
  // URL parts hold none of it, and are let through after this one test.
  const inBase64 = [...new Set([...secrets, 'sgw', 'SGW'].flatMap(base64Fragments))]
  const hint = new RegExp(inBase64.map(escapeRegExp).join('|'))
  const trigger = new RegExp([...new Set(['sgw', '%', ...literal, ...inBase64])].map(escapeRegExp).join('|'), 'i')
  const exposes = (text: string): boolean => trigger.test(text) && (holds(text) || readings(text, hint).some(holds))

  const url = (raw: string): string => {
    const q = raw.indexOf('?')
    const path = (q === -1 ? raw : raw.slice(0, q)).split('/').map((segment) => exposes(segment) ? CENSOR : segment).join('/')
    if (q === -1) return exposes(path) ? CENSOR : path
    const query = raw.slice(q + 1).split('&').map((pair) => {
      const eq = pair.indexOf('=')
      const name = eq === -1 ? pair : pair.slice(0, eq)
      const shownName = exposes(name) ? CENSOR : name
      if (eq === -1) return shownName
      const value = pair.slice(eq + 1)
      const masked = SECRET_NAME.test(name) || ((name.includes('%') || name.includes('+')) && readings(name, hint).some((view) => SECRET_NAME.test(view))) || exposes(value)
      return `${shownName}=${masked ? CENSOR : value}`
    }).join('&')
    // A secret cut in two by a separator (an admin token holding `&` or `/`) is still whole in the URL.
    if (!exposes(`${path}?${query}`)) return `${path}?${query}`
    return exposes(path) ? CENSOR : `${path}?${CENSOR}`
  }

  const line = (text: string): string => {
    if (!trigger.test(text)) return text
    let out = text
    for (const form of literal) if (out.includes(form)) out = out.replaceAll(form, CENSOR)
    return out.replace(LINE_TOKEN, (token) => exposes(token) ? CENSOR : token)
  }

  return { exposes, url, line }
}

/** The secrets the gateway is configured with, which no log line, response or error may carry. */
export function configuredSecrets (config: { auth: Pick<Config['auth'], 'adminToken'>, metrics: Pick<Config['metrics'], 'token'>, panel: Pick<Config['panel'], 'key'> }): string[] {
  return [config.auth.adminToken, config.metrics.token, config.panel.key].filter((s): s is string => typeof s === 'string' && s !== '')
}
