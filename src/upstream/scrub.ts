// What of a panel's text may reach a tenant, and what an operator's log keeps.
//
// Secrets (the panel key) are found however a panel echoes them: any case,
// split by whitespace, control, zero-width or combining characters,
// percent-encoded (either hex case, `+` for a space, encoded twice), as HTML
// or JSON escapes, as hex or base64 of its bytes; and in pieces: every run of
// at least `pieceLength(secret)` consecutive characters of a secret is removed,
// so a secret cut by a bound (ours or the panel's) leaves no long piece either.
// Scrubbing comes first, before any text is bounded, collapsed or cut.
//
// Tenants also never see where the panel lives: URLs, IP addresses, host names
// and host:port become `[url]` / `[host]`. The operator's text keeps them.

export const REDACTED = '[redacted]'
export const HIDDEN_URL = '[url]'
export const HIDDEN_HOST = '[host]'

/** A tenant's detail: at most this many characters of the panel's text. */
export const MAX_TENANT_TEXT = 200
/** The operator's log: at most this many characters of the panel's text. */
export const MAX_OPERATOR_TEXT = 2000
// The part of a panel's text looked at at all: a panel can send megabytes of "message".
const MAX_SCANNED = 8192

// Characters a reader does not see or a detail collapses to one space:
// C0/C1 controls, format characters (zero-width, bidi, soft hyphen), line and
// paragraph separators. Never echoed.
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu
// Also skipped when a secret is looked for: whitespace and combining marks.
const SKIPPED = /^[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\p{M}]$/u

/** The secrets shorter than this are matched whole only: a piece of a short one is too short to tell from text. */
export const MIN_PIECES = 8

/**
 * How many consecutive characters of a form of a secret (itself, its hex, its
 * base64) count as a piece of it: half the form, at most 8; a short secret's form whole.
 */
export function pieceLength (formLength: number, secretLength: number = formLength): number {
  return secretLength < MIN_PIECES ? formLength : Math.min(8, Math.ceil(formLength / 2))
}

// ---- the text as a secret could hide in it ----------------------------------

/**
 * The text reduced to what a reader could take a secret from: lower case,
 * NFKC, skipped characters left out, escapes and percent-encodings decoded.
 * `codes[i]` came from `text.slice(from[i], to[i])`.
 */
interface Skeleton {
  codes: Uint16Array
  from: Int32Array
  to: Int32Array
  length: number
}

function isHex (code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x66)
}

function hexAt (text: string, at: number, digits: number): number | undefined {
  if (at + digits > text.length) return undefined
  for (let i = 0; i < digits; i++) if (!isHex(text.charCodeAt(at + i))) return undefined
  return parseInt(text.slice(at, at + digits), 16)
}

/** A percent-encoded byte at `at` (`%41`, and `%2541` encoded twice), or undefined. */
function percentByte (text: string, at: number): { byte: number, end: number } | undefined {
  if (text.charCodeAt(at) !== 0x25) return undefined
  let byte = hexAt(text, at + 1, 2)
  if (byte === undefined) return undefined
  let end = at + 3
  for (let next = hexAt(text, end, 2); byte === 0x25 && next !== undefined; next = hexAt(text, end, 2)) {
    byte = next
    end += 2
  }
  return { byte, end }
}

/** A percent-encoded character (its UTF-8 bytes each encoded), or undefined. */
function percentChar (text: string, at: number): { char: string, end: number } | undefined {
  const first = percentByte(text, at)
  if (first === undefined) return undefined
  const { byte } = first
  const more = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : byte >= 0xc0 ? 1 : 0
  if (more === 0) return { char: String.fromCharCode(byte), end: first.end }
  let point = byte & (0x3f >> more)
  let end = first.end
  for (let i = 0; i < more; i++) {
    const next = percentByte(text, end)
    if (next === undefined || (next.byte & 0xc0) !== 0x80) return { char: String.fromCharCode(byte), end: first.end }
    point = (point << 6) | (next.byte & 0x3f)
    end = next.end
  }
  return point <= 0x10ffff ? { char: String.fromCodePoint(point), end } : { char: String.fromCharCode(byte), end: first.end }
}

/** `&#65;`, `&#x41;`, `\u0041`, `\x41` at `at`, or undefined. */
function escapedChar (text: string, at: number): { char: string, end: number } | undefined {
  const code = text.charCodeAt(at)
  if (code === 0x26 && text.charCodeAt(at + 1) === 0x23) {
    const hex = (text.charCodeAt(at + 2) | 0x20) === 0x78
    const found = (hex ? /^[0-9a-f]{1,6}/i : /^[0-9]{1,7}/).exec(text.slice(at + (hex ? 3 : 2), at + 12))
    if (found === null) return undefined
    const point = parseInt(found[0], hex ? 16 : 10)
    if (point > 0x10ffff) return undefined
    let end = at + (hex ? 3 : 2) + found[0].length
    if (text.charCodeAt(end) === 0x3b) end++
    return { char: String.fromCodePoint(point), end }
  }
  if (code === 0x5c) {
    const kind = text.charCodeAt(at + 1)
    const digits = kind === 0x75 ? 4 : kind === 0x78 ? 2 : 0
    const point = digits === 0 ? undefined : hexAt(text, at + 2, digits)
    if (point !== undefined) return { char: String.fromCharCode(point), end: at + 2 + digits }
  }
  return undefined
}

function skeletonOf (text: string, plusIsSpace: boolean): Skeleton {
  // NFKC can make several characters of one (ﬁ → fi): room for that, grown when needed.
  let codes = new Uint16Array(text.length + 8)
  let from = new Int32Array(text.length + 8)
  let to = new Int32Array(text.length + 8)
  let n = 0
  const add = (code: number, start: number, end: number): void => {
    if (n === codes.length) {
      const grow = <T extends Uint16Array | Int32Array>(old: T, made: T): T => { made.set(old); return made }
      codes = grow(codes, new Uint16Array(n * 2))
      from = grow(from, new Int32Array(n * 2))
      to = grow(to, new Int32Array(n * 2))
    }
    codes[n] = code
    from[n] = start
    to[n] = end
    n++
  }
  const push = (char: string, start: number, end: number): void => {
    const code = char.charCodeAt(0)
    if (char.length === 1 && code < 0x80) {
      if (code > 0x20 && code !== 0x7f) add(code >= 0x41 && code <= 0x5a ? code | 0x20 : code, start, end)
      return
    }
    for (const unit of char.normalize('NFKC').toLowerCase()) {
      if (SKIPPED.test(unit)) continue
      // A character outside the BMP stands as one that no secret form holds.
      add(unit.length === 1 ? unit.charCodeAt(0) : 0xffff, start, end)
    }
  }
  let i = 0
  while (i < text.length) {
    const code = text.charCodeAt(i)
    if (code > 0x20 && code < 0x7f && code !== 0x25 && code !== 0x26 && code !== 0x5c && code !== 0x2b) {
      add(code >= 0x41 && code <= 0x5a ? code | 0x20 : code, i, i + 1)
      i++
      continue
    }
    if (code === 0x25 || code === 0x26 || code === 0x5c) {
      const decoded = code === 0x25 ? percentChar(text, i) : escapedChar(text, i)
      if (decoded !== undefined) {
        push(decoded.char, i, decoded.end)
        i = decoded.end
        continue
      }
    }
    if (code === 0x2b && plusIsSpace) {
      i++
      continue
    }
    const width = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1
    push(text.slice(i, i + width), i, i + width)
    i += width
  }
  return { codes, from, to, length: n }
}

// ---- the forms a secret takes ------------------------------------------------

/** The characters of base64(x + secret + y) that depend only on the secret, for each alignment of it. */
function base64Pieces (bytes: Buffer): string[] {
  const pieces: string[] = []
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const first = Math.ceil((offset * 8) / 6)
    const last = Math.floor(((offset + bytes.length) * 8) / 6)
    const piece = encoded.slice(first, last)
    pieces.push(piece, piece.replaceAll('+', '-').replaceAll('/', '_'))
  }
  return pieces
}

/** Lower-case forms of a secret a panel could echo, with the length of a piece of each. */
function formsOf (secret: string): Array<{ form: string, length: number }> {
  const skeleton = skeletonOf(secret, false)
  const plain = String.fromCharCode(...skeleton.codes.subarray(0, skeleton.length))
  if (plain === '') return []
  const bytes = Buffer.from(secret, 'utf8')
  const size = plain.length
  // Hex of a very short secret, and any base64 piece of a short one, would match ordinary text.
  const encoded = [...(size >= 4 ? [bytes.toString('hex')] : []), ...(size >= MIN_PIECES ? base64Pieces(bytes) : [])]
  return [plain, ...encoded]
    .filter((form) => form.length > 0)
    .map((form) => ({ form: form.toLowerCase(), length: pieceLength(form.length, size) }))
}

interface PieceSet {
  length: number
  pieces: Set<string>
  /** Rolling hashes of the pieces, as a bitmap: most windows of a text are ruled out with one look. */
  bits: Uint8Array
  /** BASE ** (length - 1), to roll the hash on. */
  top: number
}

const BASE = 0x01000193
const BITS = 1 << 16

function hashOf (codes: ArrayLike<number>, at: number, length: number): number {
  let hash = 0
  for (let i = 0; i < length; i++) hash = (Math.imul(hash, BASE) + (codes[at + i] as number)) | 0
  return hash
}

interface Compiled {
  /** Every form's pieces; the texts without a `+` are matched against these alone. */
  all: PieceSet
  /** A text with a `+`, read with `+` as itself, against the forms that hold one; read as a space, against the others. */
  withPlus: PieceSet
  withoutPlus: PieceSet
}

function pieceSet (length: number): PieceSet {
  let top = 1
  for (let i = 1; i < length; i++) top = Math.imul(top, BASE)
  return { length, pieces: new Set(), bits: new Uint8Array(BITS / 8), top }
}

function addPieces (set: PieceSet, form: string): void {
  const { length } = set
  for (let at = 0; at + length <= form.length; at++) {
    const piece = form.slice(at, at + length)
    set.pieces.add(piece)
    const hash = hashOf(Array.from(piece, (c) => c.charCodeAt(0)), 0, length) & (BITS - 1)
    set.bits[hash >> 3] = (set.bits[hash >> 3] as number) | (1 << (hash & 7))
  }
}

// The pieces of the last few secret lists (a process has one: the panel key), by piece length.
const compiled = new Map<string, Compiled[]>()
const MAX_COMPILED = 16

function compile (secrets: readonly string[]): Compiled[] {
  const of = secrets.join('\u0000')
  const known = compiled.get(of)
  if (known !== undefined) return known
  const byLength = new Map<number, Compiled>()
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue
    for (const { form, length } of formsOf(secret)) {
      let sets = byLength.get(length)
      if (sets === undefined) byLength.set(length, sets = { all: pieceSet(length), withPlus: pieceSet(length), withoutPlus: pieceSet(length) })
      addPieces(sets.all, form)
      addPieces(form.includes('+') ? sets.withPlus : sets.withoutPlus, form)
    }
  }
  const result = [...byLength.values()]
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string)
  compiled.set(of, result)
  return result
}

function findPieces (skeleton: Skeleton, set: PieceSet, ranges: Array<[number, number]>): void {
  const { codes, from, to, length: n } = skeleton
  const { length: m, bits, pieces, top } = set
  if (n < m || pieces.size === 0) return
  let hash = hashOf(codes, 0, m)
  for (let at = 0; ; at++) {
    const low = hash & (BITS - 1)
    if (((bits[low >> 3] as number) & (1 << (low & 7))) !== 0 && pieces.has(String.fromCharCode(...codes.subarray(at, at + m)))) {
      ranges.push([from[at] as number, to[at + m - 1] as number])
    }
    if (at + m >= n) return
    hash = (Math.imul(hash - Math.imul(codes[at] as number, top), BASE) + (codes[at + m] as number)) | 0
  }
}

/** Where in `text` pieces of a secret are, as sorted, merged [from, to) ranges. */
function secretRanges (text: string, groups: readonly Compiled[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  const hasPlus = text.includes('+')
  const literal = skeletonOf(text, false)
  const spaced = hasPlus ? skeletonOf(text, true) : literal
  for (const sets of groups) {
    if (hasPlus) {
      findPieces(literal, sets.withPlus, ranges)
      findPieces(spaced, sets.withoutPlus, ranges)
    } else {
      findPieces(literal, sets.all, ranges)
    }
  }
  ranges.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const range of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1])
    else merged.push([range[0], range[1]])
  }
  return merged
}

/**
 * Replaces every secret, and every piece of one (see the top of this file), in
 * any form a panel could echo, with `[redacted]`. Bounded by the caller: the work
 * grows with the text.
 */
export function scrubSecrets (text: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || text === '') return text
  const sets = compile(secrets)
  if (sets.length === 0) return text
  let out = text
  // A redaction could in theory join what is around it into a new piece: look again until none is left.
  for (let pass = 0; pass < 3; pass++) {
    const ranges = secretRanges(out, sets)
    if (ranges.length === 0) return out
    let next = ''
    let at = 0
    for (const [from, to] of ranges) {
      next += out.slice(at, from) + REDACTED
      at = to
    }
    out = next + out.slice(at)
  }
  return out
}

// ---- where the panel lives -----------------------------------------------------

const URL_WITH_SCHEME = /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>`]*/gi
const PROTOCOL_RELATIVE = /(?<![\w:/])\/\/[a-z0-9][a-z0-9.-]*[^\s"'<>`]*/gi
const BRACKETED_IPV6 = /\[(?=[0-9a-f:.]*:[0-9a-f:.]*:)[0-9a-f:.]+(?:%[\w.-]+)?\](?::\d{1,5})?/gi
const IPV6 = /(?<![\w:.])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?)(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?:%[\w.-]+)?(?![\w:])/gi
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)(?::\d{1,5}(?!\d))?(?:\/[^\s"'<>`]*)?/g
const DOTTED = /(?<![\w.-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+(?![\w-])(?::\d{1,5}(?!\d))?(?:\/[^\s"'<>`]*)?/gi
const HOST_PORT = /(?<![\w.-])[a-z][a-z0-9-]{0,62}:\d{2,5}(?![\d:.\w])/gi

// Words panels put before a number with a colon ("min:100", "max:5000"): a limit, not a host and port.
const NOT_HOSTS = new Set([
  'min', 'max', 'minimum', 'maximum', 'limit', 'quantity', 'qty', 'count', 'total', 'id', 'order', 'orders', 'service',
  'services', 'code', 'error', 'status', 'time', 'step', 'page', 'runs', 'interval', 'delay', 'rate', 'price',
  'amount', 'balance', 'charge', 'remains', 'posts', 'days', 'hours', 'minutes', 'seconds', 'line', 'row', 'item'
])

// Names that end a host name: generic and internal suffixes; any two letters (a country) as the last label.
const SUFFIXES = new Set([
  'com', 'net', 'org', 'info', 'biz', 'xyz', 'top', 'site', 'online', 'store', 'shop', 'club', 'pro', 'app', 'dev',
  'cloud', 'host', 'hosting', 'server', 'services', 'tech', 'website', 'space', 'live', 'one', 'gov', 'edu', 'mil', 'int',
  'local', 'localhost', 'localdomain', 'internal', 'intranet', 'lan', 'corp', 'home', 'private', 'svc', 'cluster',
  'test', 'example', 'invalid', 'arpa', 'onion'
])
// Two letters that end file names more often than host names.
const FILE_ENDINGS = new Set(['js', 'ts', 'md', 'py', 'rb', 'sh', 'pl', 'cs', 'go', 'rs', 'kt', 'so', 'gz', 'xz', 'db'])

function isHostName (name: string): boolean {
  const host = name.replace(/[:/].*$/s, '').toLowerCase()
  const labels = host.split('.')
  if (labels.every((label) => /^\d+$/.test(label))) return false
  const last = labels[labels.length - 1] as string
  if ((/^[a-z]{2}$/.test(last) && !FILE_ENDINGS.has(last)) || name.includes(':')) return /[a-z]/.test(host)
  return labels.slice(1).some((label) => SUFFIXES.has(label))
}

/**
 * `word` for an address, keeping what ends the sentence around it: the punctuation
 * after a URL ("see http://x/y." "(at http://x/y)") is the text's, not the URL's.
 */
function hidden (word: string): (found: string) => string {
  return (found) => {
    const tail = /[.,;:!?'"]*$/.exec(found)?.[0] ?? ''
    let rest = found.slice(0, found.length - tail.length)
    let closing = ''
    for (const [open, close] of [['(', ')'], ['[', ']']] as const) {
      while (rest.endsWith(close) && rest.split(open).length < rest.split(close).length) {
        rest = rest.slice(0, -1)
        closing = close + closing
      }
    }
    return word + closing + tail
  }
}

/** The text with URLs (any scheme), IP addresses (with ports), host names and host:port replaced by `[url]` / `[host]`. */
export function hideAddresses (text: string): string {
  const host = hidden(HIDDEN_HOST)
  return text
    .replace(URL_WITH_SCHEME, hidden(HIDDEN_URL))
    .replace(PROTOCOL_RELATIVE, hidden(HIDDEN_URL))
    .replace(BRACKETED_IPV6, HIDDEN_HOST)
    .replace(IPV4, host)
    .replace(IPV6, (found) => found === '::' ? found : HIDDEN_HOST)
    .replace(DOTTED, (found) => isHostName(found) ? host(found) : found)
    .replace(HOST_PORT, (found) => NOT_HOSTS.has(found.slice(0, found.indexOf(':')).toLowerCase()) ? found : HIDDEN_HOST)
}

// ---- the two texts -------------------------------------------------------------

function bounded (text: string, max: number): string {
  const chars = Array.from(text)
  return chars.length > max ? chars.slice(0, max).join('') + '…' : text
}

function cleaned (text: string, secrets: readonly string[], forTenant: boolean): string {
  if (typeof text !== 'string' || text === '') return ''
  let out = scrubSecrets(text.length > MAX_SCANNED ? text.slice(0, MAX_SCANNED) : text, secrets)
  if (forTenant) out = hideAddresses(out)
  out = out.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim()
  out = bounded(out, forTenant ? MAX_TENANT_TEXT : MAX_OPERATOR_TEXT)
  // Cutting only shortens pieces; this look again costs little on a bounded text.
  return scrubSecrets(out, secrets)
}

/** Untrusted text fit for a tenant's detail: no secrets, no addresses, no control characters, at most ~200 characters. */
export function cleanText (text: string, secrets: readonly string[] = []): string {
  return cleaned(text, secrets, true)
}

/** Untrusted text fit for the operator's log: no secrets, no control characters, at most ~2000 characters; addresses kept. */
export function operatorText (text: string, secrets: readonly string[] = []): string {
  return cleaned(text, secrets, false)
}
