import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setImmediate as tick } from 'node:timers/promises'
import t from 'tap'
import { ADMIN_TOKEN, gateway, type Gateway } from '../helper.js'

// A client may put a secret anywhere it can write. Whatever the encoding it
// chose, no log line and no answer may carry the secret back in any form.

const METRICS_TOKEN = 'metrics token 0123/456789+x'
// `&` and `=` cut a raw panel key into two query tokens; it must be found whole.
const PANEL_KEY = 'panel&key=0123 456789'

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

async function send (gw: Gateway, options: { method?: string, path: string, headers?: Record<string, string>, body?: string }): Promise<Answer> {
  const { port } = gw.app.server.address() as AddressInfo
  return await new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path,
      headers: { authorization: `Bearer ${gw.key}`, ...options.headers },
      agent: false
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function hex (text: string, upper: boolean): string {
  const encoded = [...Buffer.from(text)].map((byte) => '%' + byte.toString(16).padStart(2, '0')).join('')
  return upper ? encoded.toUpperCase() : encoded
}

function lowerEscapes (text: string): string {
  return text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())
}

/** The secret as a client could write it into a URL or a header. */
function inputForms (secret: string): Record<string, string> {
  const separatorsUpper = encodeURIComponent(secret).replace(/[-_.~!*'()]/g, (c) => hex(c, true))
  return {
    raw: encodeURIComponent(secret),
    'separators %-encoded, upper-case hex': separatorsUpper,
    'separators %-encoded, lower-case hex': lowerEscapes(separatorsUpper),
    'fully %-encoded, upper-case hex': hex(secret, true),
    'fully %-encoded, lower-case hex': hex(secret, false),
    'double-encoded (%255F)': encodeURIComponent(separatorsUpper),
    'fully double-encoded, lower-case hex': encodeURIComponent(hex(secret, false)),
    '+ for space': new URLSearchParams({ k: secret }).toString().slice(2),
    base64: encodeURIComponent(Buffer.from(secret).toString('base64')),
    base64url: Buffer.from(secret).toString('base64url')
  }
}

/** The first form of `secret` that `text` carries, if any (an oracle apart from the gateway's redactor). */
function leak (text: string, secret: string): string | undefined {
  if (text.includes(secret)) return 'raw'
  if (text.includes(JSON.stringify(secret).slice(1, -1))) return 'JSON-escaped'
  let decoded = text
  for (let round = 1; round <= 3; round++) {
    decoded = decoded.replace(/%([0-9a-f]{2})/gi, (_, byte: string) => String.fromCharCode(parseInt(byte, 16)))
    if (decoded.includes(secret) || decoded.replaceAll('+', ' ').includes(secret)) return `percent-encoded ×${round}`
  }
  for (const encoding of ['base64', 'base64url'] as const) {
    if (text.includes(Buffer.from(secret).toString(encoding).replace(/=+$/, ''))) return encoding
  }
  return undefined
}

function groupBy (lines: string[]): Map<unknown, string[]> {
  const groups = new Map<unknown, string[]>()
  for (const line of lines) {
    const id: unknown = JSON.parse(line).requestId
    groups.set(id, [...(groups.get(id) ?? []), line])
  }
  return groups
}

function answerText (answer: Answer): string {
  return JSON.stringify(answer.headers) + '\n' + answer.body
}

interface Case { label: string, answer: Answer }

// The problem handler (src/problems/handler.ts) echoes the request's path in
// a problem's `instance` and a 404's detail, and an unknown parameter's name
// in a validation detail: answers, not logs, and not this plugin's.

t.test('no log line or answer carries a secret a client sent, in any encoding', async (t) => {
  const gw = await gateway(t, {
    env: { METRICS_TOKEN, RATE_LIMIT_PER_MINUTE: '100000' },
    sim: { key: PANEL_KEY }
  })
  await gw.app.listen({ port: 0, host: '127.0.0.1' })
  t.equal(gw.config.panel.key, PANEL_KEY, 'the panel key is the configured secret')
  const secrets: Record<string, string[]> = {
    'tenant key': [gw.key, gw.key.slice(-43)],
    'admin token': [ADMIN_TOKEN],
    'metrics token': [METRICS_TOKEN],
    'panel key': [PANEL_KEY]
  }

  const cases: Case[] = []
  for (const [name, [secret]] of Object.entries(secrets)) {
    for (const [form, text] of Object.entries(inputForms(secret as string))) {
      const at = `${name}, ${form},`
      cases.push({ label: `${at} a query value`, answer: await send(gw, { path: `/services?q=${text}` }) })
      cases.push({ label: `${at} a query value (secret-named parameter)`, answer: await send(gw, { path: `/health?apiKey=${text}` }) })
      cases.push({ label: `${at} a query parameter's name`, answer: await send(gw, { path: `/health?${text}=1&limit=2` }) })
      cases.push({ label: `${at} a query parameter's name on a strict route`, answer: await send(gw, { path: `/services?${text}` }) })
      cases.push({ label: `${at} a path segment of a route`, answer: await send(gw, { path: `/orders/${text}` }) })
      cases.push({ label: `${at} a path segment of no route`, answer: await send(gw, { path: `/nope/${text}/x` }) })
      cases.push({ label: `${at} X-Request-Id`, answer: await send(gw, { path: '/services', headers: { 'x-request-id': text } }) })
      cases.push({ label: `${at} Host`, answer: await send(gw, { path: '/services', headers: { host: text } }) })
      cases.push({ label: `${at} User-Agent`, answer: await send(gw, { path: '/services', headers: { 'user-agent': text } }) })
    }
    for (const header of ['x-request-id', 'host', 'user-agent']) {
      cases.push({ label: `${name}, as it is, ${header}`, answer: await send(gw, { path: '/services', headers: { [header]: secret as string } }) })
    }
    const bodies = {
      'an unknown JSON body field': { service: 1, link: 'https://a.b/c', quantity: 1, note: secret },
      'a JSON body field of the wrong type': { service: secret, link: 'https://a.b/c', quantity: 1 }
    }
    for (const [where, body] of Object.entries(bodies)) {
      cases.push({
        label: `${name}, ${where}`,
        answer: await send(gw, { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      })
    }
  }

  // Each request's lines are found by the id it was answered with; its last is
  // written once the answer has left, so wait (by turns, not time) for them all.
  // A URL refused before routing (414, Fastify's frameworkErrors) is logged
  // as refused but never as completed.
  const lastLine = (c: Case): string => c.answer.status === 414 ? '"request refused"' : '"request completed"'
  const unfinished = (): string[] => {
    const byId = groupBy(gw.logs)
    return cases.filter((c) => !(byId.get(c.answer.headers['x-request-id']) ?? []).some((line) => line.includes(lastLine(c)))).map((c) => c.label)
  }
  for (let turn = 0; turn < 1000 && unfinished().length > 0; turn++) await tick()
  t.same(unfinished(), [], 'every request was logged to its end, with the id it was answered with')

  const byId = groupBy(gw.logs)
  // Each leak found, as `<secret>: <form>`.
  const leaks = (texts: string[]): string[] => Object.entries(secrets).flatMap(([name, forms]) =>
    forms.flatMap((secret) => texts.map((text) => leak(text, secret)).filter((found) => found !== undefined).map((found) => `${name}: ${found}`)))
  for (const c of cases) {
    const lines = byId.get(c.answer.headers['x-request-id']) ?? []
    t.ok(lines.some((line) => JSON.parse(line).req !== undefined), `${c.label}: the request is logged`)
    t.same(leaks(lines), [], `${c.label}: no log line carries a secret`)
    t.same(leaks([answerText(c.answer)]), [], `${c.label}: the answer carries no secret`)
  }
  t.same(leaks(gw.logs), [], 'no log line at all carries a secret')
})

t.test('a secret in any field of any log line is masked, the rest of the line kept', async (t) => {
  const gw = await gateway(t, { env: { METRICS_TOKEN }, sim: { key: PANEL_KEY } })
  const secrets = { 'tenant key': gw.key, 'admin token': ADMIN_TOKEN, 'metrics token': METRICS_TOKEN, 'panel key': PANEL_KEY }
  // What Fastify or a library may log of a client's text: an error's
  // message, a warning naming the raw URL, a field of its own.
  for (const [name, secret] of Object.entries(secrets)) {
    for (const [form, text] of Object.entries({ ...inputForms(secret), 'as it is': secret })) {
      gw.app.log.warn({ err: new Error(`cannot parse ${text} here`), detail: { value: text } }, `Reply was already sent in the "/x?y=${text}" route`)
      const line = gw.logs.at(-1) ?? ''
      t.equal(leak(line, secret), undefined, `${name}, ${form}: masked`)
      t.match(JSON.parse(line), { msg: /^Reply was already sent in the "[^"]*" route$/, err: { message: /^cannot parse .* here$/ } }, `${name}, ${form}: the line is still JSON, its words kept`)
    }
  }
})

t.test('the logged URL keeps what is not a secret', async (t) => {
  const gw = await gateway(t)
  const res = await gw.request({ url: '/health?q=likes%20fast&limit=5&api_key=whatever&sgw_AbCdEfGh=1' })
  t.equal(res.statusCode, 200)
  const logged = gw.logs.map((line) => JSON.parse(line)).find((entry) => entry.requestId === res.headers['x-request-id'] && entry.req !== undefined)
  t.equal(logged?.req.url, '/health?q=likes%20fast&limit=5&api_key=[redacted]&sgw_AbCdEfGh=1', 'only the secret-named value is masked (a key\'s public prefix is not its secret)')
  t.equal(logged?.req.host, 'localhost:80')
})

t.test('X-Request-Id in a safe shape is kept and echoed; any other is replaced by a fresh UUID', async (t) => {
  const gw = await gateway(t, { env: { METRICS_TOKEN } })
  const kept = [
    '3f1c2a9e-5b7d-4c8e-9a0b-1d2e3f4a5b6c',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '4bf92f3577b34da6a3ce929d0e0e4736',
    '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    'Root=1-5759e988-bd862e3fe1be46a994272793',
    'trace-abc.123',
    'req_8f3a2b1c',
    'a'.repeat(64)
  ]
  for (const id of kept) {
    const res = await gw.request({ url: '/services', headers: { 'x-request-id': id } })
    t.equal(res.headers['x-request-id'], id, `kept: ${id}`)
    t.ok(gw.logs.some((line) => JSON.parse(line).requestId === id), `on the log lines: ${id}`)
  }
  const replaced: Record<string, string> = {
    'a tenant key': gw.key,
    'a tenant key, upper case': gw.key.toUpperCase(),
    'sgw and a dash': 'sgw-0123456789',
    'SGW and a dot': 'SGW.abc',
    'the admin token': ADMIN_TOKEN,
    'text holding the admin token': `id-${ADMIN_TOKEN}-1`,
    'the admin token in base64': Buffer.from(ADMIN_TOKEN).toString('base64'),
    'the metrics token, spaces as +': METRICS_TOKEN.replaceAll(' ', '+'),
    'the panel key': 'sim-secret-key',
    'too long': 'a'.repeat(65),
    'percent-encoded': 'sgw%5Fabc',
    'spaces and quotes': 'bad id "quoted"',
    'a tab': 'bad\tid',
    'non-ASCII': 'idé',
    empty: ''
  }
  for (const [what, id] of Object.entries(replaced)) {
    const res = await gw.request({ url: '/services', headers: { 'x-request-id': id } })
    const echoed = res.headers['x-request-id']
    t.match(echoed, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `${what}: a fresh UUID`)
    t.not(echoed, id, `${what}: not echoed`)
    t.ok(gw.logs.some((line) => JSON.parse(line).requestId === echoed), `${what}: the fresh id is on the log lines`)
  }
})
