import { connect } from 'node:net'

// What the hostile-input fuzz test (hostile-input.test.ts) and the hostile
// bench (bench/hostile.ts) share: a raw HTTP/1.1 client that sends the bytes
// it is given (fetch and undici refuse odd methods, bad header bytes and
// broken framing), the forms a leaked secret can take, and the route
// templates of a built app.

export interface RawRequest {
  method: string
  /** The request target exactly as written on the request line. */
  target: string
  /** In order; a name may repeat. No Host is added when one is given (or `noHost`). */
  headers: Array<[string, string]>
  body?: Buffer
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean
  /** Leave the Host header out altogether. */
  noHost?: boolean
}

export interface RawAnswer {
  /** 0: the connection ended without an answer. */
  status: number
  headers: Record<string, string[]>
  /** The status line and headers as received. */
  head: string
  body: Buffer
  /** Everything received, as latin1 text (to look for secrets in). */
  raw: string
  /** Set when the socket failed (the answer, if any, was read before). */
  error?: string
}

/** The request's bytes; Content-Length is computed unless the caller set one. */
export function encodeRequest (req: RawRequest): Buffer {
  const lines = [`${req.method} ${req.target} HTTP/1.1`]
  const names = new Set(req.headers.map(([name]) => name.toLowerCase()))
  if (!names.has('host') && req.noHost !== true) lines.push('Host: 127.0.0.1')
  for (const [name, value] of req.headers) lines.push(`${name}: ${value}`)
  const body = req.body ?? Buffer.alloc(0)
  if (req.chunked === true) {
    if (!names.has('transfer-encoding')) lines.push('Transfer-Encoding: chunked')
  } else if (!names.has('content-length') && (body.length > 0 || req.method === 'POST' || req.method === 'PATCH' || req.method === 'PUT')) {
    lines.push(`Content-Length: ${body.length}`)
  }
  lines.push('Connection: close')
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8')
  if (req.chunked !== true) return Buffer.concat([head, body])
  const chunks: Buffer[] = [head]
  for (let at = 0; at < body.length; at += 4096) {
    const piece = body.subarray(at, at + 4096)
    chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat(chunks)
}

function dechunk (data: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  while (at < data.length) {
    const eol = data.indexOf('\r\n', at)
    if (eol < 0) break
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!Number.isFinite(size) || size === 0) break
    out.push(data.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(out)
}

/** Parses what a `Connection: close` exchange received; interim 1xx answers are skipped. */
export function parseAnswer (data: Buffer, method: string): Omit<RawAnswer, 'error'> {
  const raw = data.toString('latin1')
  let start = 0
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start)
    if (end < 0) return { status: 0, headers: {}, head: raw.slice(start), body: Buffer.alloc(0), raw }
    const head = data.subarray(start, end).toString('latin1')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
    if (status >= 100 && status < 200) { start = end + 4; continue }
    const headers: Record<string, string[]> = {}
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':')
      if (colon < 0) continue
      const name = line.slice(0, colon).trim().toLowerCase()
      ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
    }
    let body = method === 'HEAD' || status === 204 || status === 304 ? Buffer.alloc(0) : data.subarray(end + 4)
    if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v)) === true) body = dechunk(body)
    else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length'][0]))
    return { status, headers, head, body, raw }
  }
}

export interface SendOptions {
  /** The connection is given up this long after it was opened if the server has not ended it (a guard, not an assertion): default 20 s. */
  timeoutMs?: number
  /** Write the bytes in pieces this far apart (slow bodies); default all at once. */
  trickle?: { pieceBytes: number, everyMs: number }
}

/** Sends the bytes on a connection of their own and reads until the server closes it. */
export async function sendRaw (port: number, bytes: Buffer, method: string, options: SendOptions = {}): Promise<RawAnswer & { ms: number }> {
  const started = performance.now()
  return await new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const received: Buffer[] = []
    let error: string | undefined
    let done = false
    let trickle: NodeJS.Timeout | undefined
    const finish = (): void => {
      if (done) return
      done = true
      clearInterval(trickle)
      clearTimeout(guard)
      socket.destroy()
      const answer = parseAnswer(Buffer.concat(received), method)
      resolve({ ...answer, ...(error === undefined ? {} : { error }), ms: performance.now() - started })
    }
    const guard = setTimeout(() => { error = 'no end within the client guard'; finish() }, options.timeoutMs ?? 20_000)
    socket.on('data', (chunk: Buffer) => { received.push(chunk) })
    socket.on('end', finish)
    socket.on('close', finish)
    // EPIPE/ECONNRESET while still writing: the server answered early and closed; what it sent is kept.
    socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code ?? err.message })
    socket.on('connect', () => {
      if (options.trickle === undefined) {
        socket.write(bytes)
        return
      }
      const { pieceBytes, everyMs } = options.trickle
      let at = 0
      const next = (): void => {
        if (socket.destroyed) { clearInterval(trickle); return }
        socket.write(bytes.subarray(at, at + pieceBytes))
        at += pieceBytes
        if (at >= bytes.length) clearInterval(trickle)
      }
      next()
      trickle = setInterval(next, everyMs)
    })
  })
}

export async function send (port: number, req: RawRequest, options: SendOptions = {}): Promise<RawAnswer & { ms: number }> {
  return await sendRaw(port, encodeRequest(req), req.method, options)
}

// ---------------------------------------------------------------------------
// Secrets and the forms they leak in.

export type SecretForm = 'raw' | 'percent-encoded' | 'base64' | 'base64url'

function pct (secret: string, upper: boolean): string {
  return [...Buffer.from(secret, 'utf8')].map((b) => '%' + (upper ? b.toString(16).toUpperCase() : b.toString(16)).padStart(2, '0')).join('')
}

/** The secret in a form a client might send it (or a careless log might print it). */
export function encodeSecret (secret: string, form: 'raw' | 'pct-upper' | 'pct-lower' | 'uri' | 'base64' | 'base64url'): string {
  switch (form) {
    case 'raw': return secret
    case 'pct-upper': return pct(secret, true)
    case 'pct-lower': return pct(secret, false)
    case 'uri': return encodeURIComponent(secret)
    case 'base64': return Buffer.from(secret).toString('base64')
    case 'base64url': return Buffer.from(secret).toString('base64url')
  }
}

/**
 * The parts of the secret's base64 that stay the same wherever the secret
 * sits in a longer base64 text: for each of the 3 alignments, the characters
 * that depend on the secret's bytes alone.
 */
export function base64Needles (secret: string): Array<{ form: SecretForm, needle: string }> {
  const bytes = Buffer.from(secret, 'utf8')
  const needles: Array<{ form: SecretForm, needle: string }> = []
  for (const skip of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(skip), bytes])
    for (const form of ['base64', 'base64url'] as const) {
      let text = shifted.toString(form).replace(/=+$/, '')
      if (shifted.length % 3 !== 0) text = text.slice(0, -1)
      needles.push({ form, needle: text.slice([0, 2, 3][skip]) })
    }
  }
  return needles
}

/** Percent-escapes and JSON \u escapes undone, so one raw search finds the secret in any mix of them. */
export function decodeEscapes (text: string): string {
  const bytes = text.replace(/\\u([0-9a-fA-F]{4})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  return bytes.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try { return decodeURIComponent(run) } catch { return Buffer.from(run.split('%').slice(1).map((h) => Number.parseInt(h, 16))).toString('latin1') }
  })
}

export interface Secret { name: string, value: string }
export interface Found { secret: string, form: SecretForm }

export class SecretScanner {
  #secrets: Array<Secret & { b64: Array<{ form: SecretForm, needle: string }> }> = []

  constructor (secrets: Secret[] = []) {
    for (const s of secrets) this.add(s)
  }

  add (secret: Secret): void {
    this.#secrets.push({ ...secret, b64: base64Needles(secret.value) })
  }

  get names (): string[] {
    return this.#secrets.map((s) => s.name)
  }

  /** Every secret in `text`, with the form it was found in; `except`: values not to look for (a key an answer may show). */
  scan (text: string, except: ReadonlySet<string> = new Set()): Found[] {
    const decoded = decodeEscapes(text)
    const found: Found[] = []
    for (const s of this.#secrets) {
      if (except.has(s.value)) continue
      if (text.includes(s.value)) found.push({ secret: s.name, form: 'raw' })
      else if (decoded.includes(s.value)) found.push({ secret: s.name, form: 'percent-encoded' })
      else {
        const b64 = s.b64.find(({ needle }) => text.includes(needle) || decoded.includes(needle))
        if (b64 !== undefined) found.push({ secret: s.name, form: b64.form })
      }
    }
    return found
  }
}

// ---------------------------------------------------------------------------
// Routes.

export interface RouteTemplate { path: string, methods: string[] }

/** Every route of a built app, read from `printRoutes({ commonPrefix: false })` (a radix tree: children continue their parent's text). */
export function routeTemplates (tree: string): RouteTemplate[] {
  const routes: RouteTemplate[] = []
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line)
    if (match === null) continue
    const depth = (match[1] as string).length / 4
    stack.length = depth
    stack.push(match[2] as string)
    if (match[3] !== undefined) routes.push({ path: stack.join(''), methods: match[3].split(',').map((m) => m.trim()) })
  }
  return routes
}
