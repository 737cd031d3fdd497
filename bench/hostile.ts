import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../simulator/index.js'
import { ADMIN_TOKEN } from '../test/helper.js'
import { json, startServer } from '../test/fixtures/server-process.js'
import { SecretScanner, encodeSecret, send, sendRaw, type RawRequest } from '../test/fuzz/hostile.js'

// `npm run bench:hostile`: a few thousand hostile requests, class by class,
// against the real server (src/server.ts in its own process, on SQLite, with
// its default limits but REQUEST_TIMEOUT_MS=2000) in front of the simulator
// (in this process, so every panel call is counted). Classes run one after
// another, so panel calls and log lines between a class's start and end are
// that class's. Prints a markdown table: requests and answers by class, the
// panel calls hostile input caused, and secrets found in answers and in the
// server's log. HOSTILE_SCALE (default 1) multiplies the request counts.

const SCALE = Number(process.env.HOSTILE_SCALE ?? '1')
const CONCURRENCY = 16
const PANEL_KEY = 'panel-key-bench-9Fq2LmN9xR4tVw8z'
const METRICS_TOKEN = 'metrics-token-bench-Qm7vXc2Rb9Lk'
const REQUEST_TIMEOUT_MS = 2000

const sim = await startSimulator({ key: PANEL_KEY, balance: '10000000.00', progressMs: 600_000 })
const dir = await mkdtemp(join(tmpdir(), 'hostile-'))
const server = await startServer({
  PANEL_URL: sim.url,
  PANEL_KEY,
  DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`,
  METRICS_TOKEN,
  REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  HEADERS_TIMEOUT_MS: '1000',
  SERVICES_TTL_SECONDS: '86400'
})
const port = Number(new URL(server.url).port)
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

// Tenants with a limit of their own far above the run, so that what they send meets the checks, not only the rate limiter.
async function tenant (name: string): Promise<{ id: number, key: string }> {
  const res = await json(`${server.url}/admin/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ name, rateLimitPerMinute: 1_000_000 }) })
  return { id: res.body.tenant.id, key: res.body.key }
}
const victim = await tenant('victim')
const attacker = await tenant('attacker')
const issued = await json(`${server.url}/admin/tenants/${attacker.id}/keys`, { method: 'POST', headers: admin, body: '{}' })
const revokedKey = issued.body.key as string
await json(`${server.url}/admin/keys/${issued.body.id as number}`, { method: 'DELETE', headers: admin })
// The attacker's own key in use before the run, as an app's is: past the failed-lookup limit, an
// address's keys not yet seen are refused, which would leave the later classes nothing to test.
await json(`${server.url}/me`, { key: attacker.key })

// The victim's orders (one completed and refilled), whose ids the attacker tries.
const victimOrders: number[] = []
const victimRefills: number[] = []
for (const n of [1, 2, 3]) {
  const placed = await json(`${server.url}/orders`, { method: 'POST', key: victim.key, body: JSON.stringify({ service: 1, link: `https://instagram.com/victim${n}`, quantity: 50 }) })
  victimOrders.push(placed.body.id)
  if (n === 1) {
    sim.setOrderStatus(placed.body.panelOrderId, 'Completed')
    await json(`${server.url}/orders/${placed.body.id as number}`, { key: victim.key })
    const refill = await json(`${server.url}/orders/${placed.body.id as number}/refill`, { method: 'POST', key: victim.key })
    victimRefills.push(refill.body.id)
  }
}

const secrets: Record<string, string> = { panelKey: PANEL_KEY, adminToken: ADMIN_TOKEN, metricsToken: METRICS_TOKEN, victimKey: victim.key, attackerKey: attacker.key, revokedKey }
const scanner = new SecretScanner(Object.entries(secrets).map(([name, value]) => ({ name, value })))
const FORMS = ['raw', 'pct-upper', 'pct-lower', 'base64', 'base64url'] as const

// A small deterministic generator (the run is the same every time).
let seed = 20261213
function rand (): number {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
function pick<T> (items: readonly T[]): T { return items[Math.floor(rand() * items.length)] as T }
const bearer = (key: string): Array<[string, string]> => [['Authorization', `Bearer ${key}`]]
const jsonBody = (v: unknown): Pick<RawRequest, 'body' | 'headers'> => ({ body: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), headers: [['Content-Type', 'application/json']] })
function req (method: string, target: string, headers: Array<[string, string]>, body?: Pick<RawRequest, 'body' | 'headers'>): RawRequest {
  return { method, target, headers: [...headers, ...(body?.headers ?? [])], ...(body?.body === undefined ? {} : { body: body.body }) }
}
function randomKey (): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
  const run = (n: number): string => Array.from({ length: n }, () => pick([...chars])).join('')
  return `sgw_${run(8)}_${run(43)}`
}
function secretIn (): { name: string, text: string } {
  const name = pick(Object.keys(secrets))
  return { name, text: encodeSecret(secrets[name] as string, pick(FORMS)) }
}

interface Class {
  name: string
  requests: () => RawRequest[]
  /** The one panel action the class's valid requests cause. */
  expect?: string
  /** A 2xx answer that hands over what is not the caller's (counted as "leaks"). */
  leak?: (body: string) => boolean
}

const CLASSES: Class[] = [
  // First, while this IP's budget of unauthenticated requests is untouched: a believed X-Forwarded-For would keep every request a 401.
  {
    name: 'unknown keys behind spoofed X-Forwarded-For',
    requests: () => Array.from({ length: 400 * SCALE }, () => req('GET', '/services', [...bearer(randomKey()), ['X-Forwarded-For', `${Math.floor(rand() * 223) + 1}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`]]))
  },
  {
    name: 'auth probes (unknown, revoked, malformed, wrong kind of key)',
    requests: () => Array.from({ length: 600 * SCALE }, () => {
      const key = pick([randomKey(), randomKey(), revokedKey, ADMIN_TOKEN, METRICS_TOKEN, PANEL_KEY, `${attacker.key}x`, attacker.key.slice(0, -1), 'sgw_', ''])
      const route = pick<[string, string]>([['GET', '/services'], ['POST', '/orders'], ['GET', '/balance'], ['GET', '/orders'], ['GET', '/me'], ['GET', key === ADMIN_TOKEN ? '/me' : '/admin/tenants']])
      const headers = pick([bearer(key), [['X-API-Key', key]] as Array<[string, string]>, [['Authorization', `Basic ${Buffer.from(`x:${key}`).toString('base64')}`]] as Array<[string, string]>, []])
      return req(route[0], route[1], headers, route[0] === 'POST' ? jsonBody({ service: 1, link: 'https://x.test/a', quantity: 50 }) : undefined)
    })
  },
  {
    name: 'other tenants\' ids (object-level authorization)',
    // Batch answers are 200 with an error per id; any order, refill or cancel data in them is the victim's.
    leak: (body) => /"(panelOrderId|upstreamStatus|panelRefillId|cancelRequested|keyId|prefix)"/.test(body),
    requests: () => Array.from({ length: 400 * SCALE }, () => {
      const order = pick(victimOrders) as number
      const refill = pick(victimRefills)
      return pick([
        req('GET', `/orders/${order}`, bearer(attacker.key)),
        req('POST', `/orders/${order}/cancel`, bearer(attacker.key)),
        req('POST', `/orders/${order}/refill`, bearer(attacker.key)),
        req('GET', `/refills/${refill}`, bearer(attacker.key)),
        req('GET', `/orders?ids=${victimOrders.join(',')}`, bearer(attacker.key)),
        req('GET', `/refills?ids=${victimRefills.join(',')}`, bearer(attacker.key)),
        req('POST', '/orders/cancel', bearer(attacker.key), jsonBody({ orders: victimOrders })),
        req('POST', '/orders/refill', bearer(attacker.key), jsonBody({ orders: victimOrders })),
        req('GET', `/admin/tenants/${victim.id}/keys`, bearer(attacker.key)),
        req('PATCH', `/admin/tenants/${victim.id}`, bearer(attacker.key), jsonBody({ disabled: true }))
      ])
    })
  },
  {
    name: 'malformed bodies',
    requests: () => Array.from({ length: 400 * SCALE }, () => {
      const body = pick<string | Buffer>([
        '{', 'null', '[]', '"x"', '{"service":"1","link":1,"quantity":"50"}', '{"service":1,"link":"https://a.b","quantity":-5}',
        '{"service":1e400}', '{"__proto__":{"admin":true},"service":1,"link":"https://a.b","quantity":50}',
        '{"constructor":{"prototype":{"x":1}}}', '['.repeat(50_000) + ']'.repeat(50_000), Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
        '{"service":1,"link":"https://a.b","quantity":50,"extra":"x"}', '{"orders":"1,2,3"}', '\ufeff{"service":1}'
      ])
      const type = pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''])
      const route = pick(['/orders', '/orders/cancel', '/orders/refill'])
      return req('POST', route, [...bearer(attacker.key), ...(type === '' ? [] : [['Content-Type', type]] as Array<[string, string]>)], { body: Buffer.isBuffer(body) ? body : Buffer.from(body), headers: [] })
    })
  },
  {
    name: 'form injection into panel fields',
    expect: 'add',
    requests: () => Array.from({ length: 300 * SCALE }, (_, i) => {
      const inject = pick([`&key=${PANEL_KEY}&action=balance`, '&action=cancel&orders=1,2,3', '%26action%3Dbalance', '\r\naction=balance', '&action=refill&order=1', '&service=2&quantity=100000'])
      return pick([
        req('POST', '/orders', bearer(attacker.key), jsonBody({ service: 1, link: `https://x.test/${i}${inject}`, quantity: 50 })),
        req('POST', '/orders', bearer(attacker.key), jsonBody({ service: 8, link: `https://x.test/${i}`, comments: Array.from({ length: 10 }, (_, n) => `c${n}${inject}`).join('\n') })),
        req('POST', '/orders', bearer(attacker.key), jsonBody({ service: 1, link: 'https://x.test/q', quantity: `50${inject}` })),
        req('POST', '/orders', bearer(attacker.key), jsonBody({ service: `1${inject}`, link: 'https://x.test/s', quantity: 50 })),
        req('GET', `/orders?ids=1${encodeURIComponent(inject)}`, bearer(attacker.key))
      ])
    })
  },
  {
    name: 'oversized bodies, headers, paths',
    requests: () => Array.from({ length: 150 * SCALE }, () => pick([
      req('POST', '/orders', bearer(attacker.key), { body: Buffer.alloc(1_000_000, 'a'), headers: [['Content-Type', 'application/json']] }),
      req('POST', '/orders', bearer(attacker.key), jsonBody({ service: 1, link: 'x'.repeat(250_000), quantity: 50 })),
      req('GET', '/services', [...bearer(attacker.key), ['X-Pad', 'a'.repeat(40_000)]]),
      req('GET', `/${'a'.repeat(30_000)}`, bearer(attacker.key)),
      req('GET', `/orders/${'9'.repeat(5000)}`, bearer(attacker.key)),
      req('GET', `/services?${Array.from({ length: 2000 }, (_, i) => `p${i}=${i}`).join('&')}`, bearer(attacker.key)),
      req('GET', `/orders?ids=${Array.from({ length: 5000 }, (_, i) => i + 1).join(',')}`, bearer(attacker.key)),
      req('GET', '/services', [...bearer(attacker.key), ...Array.from({ length: 500 }, (_, i): [string, string] => [`X-H${i}`, 'v'])])
    ]))
  },
  {
    name: 'secrets in URLs, request ids and other headers',
    requests: () => Array.from({ length: 400 * SCALE }, () => {
      const s = secretIn()
      return pick([
        req('GET', `/services?apiKey=${s.text}`, bearer(attacker.key)),
        req('GET', `/services?q=${encodeURIComponent(s.text)}`, bearer(attacker.key)),
        req('GET', `/x/${encodeURIComponent(s.text)}`, bearer(attacker.key)),
        req('GET', `/orders/${encodeURIComponent(s.text)}`, bearer(attacker.key)),
        req('GET', '/services', [...bearer(attacker.key), ['X-Request-Id', s.text]]),
        req('POST', '/orders', [...bearer(attacker.key), ['Idempotency-Key', s.text]], jsonBody({ service: 1, link: 'https://x.test/i', quantity: 10 })),
        req('GET', '/services', [...bearer(attacker.key), ['Host', s.text]]),
        req('GET', '/services', [...bearer(attacker.key), ['Referer', `https://x.test/?key=${s.text}`]])
      ])
    })
  },
  {
    name: 'metrics scraping without the token',
    requests: () => Array.from({ length: 100 * SCALE }, () => req('GET', '/metrics', pick([[], bearer(attacker.key), bearer(ADMIN_TOKEN), bearer(`${METRICS_TOKEN}x`), [['X-API-Key', METRICS_TOKEN]] as Array<[string, string]>, bearer(encodeSecret(METRICS_TOKEN, 'base64'))])))
  }

]

// What the gateway sends with `add` (API v2 field names).
const ADD_FIELDS = new Set(['action', 'service', 'link', 'quantity', 'runs', 'interval', 'keywords', 'comments', 'usernames', 'hashtags', 'hashtag',
  'username', 'media', 'answer_number', 'groups', 'country', 'device', 'type_of_traffic', 'google_keyword', 'referring_url', 'min', 'max', 'posts', 'old_posts', 'delay', 'expiry'])

interface Row { name: string, requests: number, leaks: number, answers: Map<string, number>, calls: Record<string, number>, injected: number, secretsAnswers: number, secretsLogs: number, fiveXX: number, noAnswer: number, extra?: string }

function count (map: Map<string, number>, key: string): void { map.set(key, (map.get(key) ?? 0) + 1) }

async function pool<T> (items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++] as T)
  }))
}

function answerKey (status: number, body: Buffer): string {
  if (status === 0) return 'no answer'
  if (status < 400) return String(status)
  try { return `${status} ${(JSON.parse(body.toString('utf8')) as { code?: string }).code ?? '?'}` } catch { return `${status}` }
}

// Log lines are the class's whose requestId its answers carried (the server's output arrives late through its pipe).
const classOf = new Map<string, string>()
function logLinesWithSecrets (): Map<string, string[]> {
  const by = new Map<string, string[]>()
  for (const line of server.output().split('\n')) {
    if (scanner.scan(line).length === 0) continue
    const id = /"requestId":"([^"]*)"/.exec(line)?.[1]
    const cls = (id === undefined ? undefined : classOf.get(id)) ?? '(set-up, or no request id)'
    by.set(cls, [...(by.get(cls) ?? []), line])
  }
  return by
}

// HOSTILE_SHOW=<n>: print the first n log lines with a secret of each class (to stderr).
const SHOW = Number(process.env.HOSTILE_SHOW ?? '0')

const rows: Row[] = []
const started = performance.now()
for (const cls of CLASSES) {
  const requests = cls.requests()
  const callsBefore = sim.callLog().length
  const row: Row = { name: cls.name, requests: requests.length, leaks: 0, answers: new Map(), calls: {}, injected: 0, secretsAnswers: 0, secretsLogs: 0, fiveXX: 0, noAnswer: 0 }
  await pool(requests, async (r) => {
    const answer = await send(port, r)
    count(row.answers, answerKey(answer.status, answer.body))
    if (answer.status >= 500) row.fiveXX++
    if (answer.status === 0) row.noAnswer++
    if (scanner.scan(answer.raw).length > 0) row.secretsAnswers++
    if (answer.status < 300 && cls.leak?.(answer.body.toString('utf8')) === true) row.leaks++
    const id = answer.headers['x-request-id']?.[0]
    if (id !== undefined) classOf.set(id, cls.name)
  })
  for (const call of sim.callLog().slice(callsBefore)) {
    row.calls[call.action] = (row.calls[call.action] ?? 0) + 1
    // A panel call other than the one the class's valid requests make, or an add with a field the gateway never sends there.
    if ((cls.expect !== undefined && call.action !== cls.expect) || (call.action === 'add' && Object.keys(call.fields).some((f) => !ADD_FIELDS.has(f)))) row.injected++
  }
  rows.push(row)
}

// Slow clients: headers a line at a time, and a body a byte at a time, both
// slower than REQUEST_TIMEOUT_MS allows; meanwhile a tenant's request must be served.
{
  const SLOW = 40
  const GUARD_MS = 15_000
  const callsBefore = sim.callLog().length
  const row: Row = { name: `slow headers / slow bodies (REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`, requests: SLOW, leaks: 0, answers: new Map(), calls: {}, injected: 0, secretsAnswers: 0, secretsLogs: 0, fiveXX: 0, noAnswer: 0 }
  const closedAfter: number[] = []
  let open = 0
  const slow = Array.from({ length: SLOW }, async (_, i) => {
    const body = JSON.stringify({ service: 1, link: 'https://x.test/slow', quantity: 50 })
    const bytes = i % 2 === 0
      ? Buffer.from(`POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${attacker.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
      : Buffer.from(`GET /services HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${attacker.key}\r\nConnection: close\r\n${Array.from({ length: 40 }, (_, n) => `X-Slow-${n}: ${'v'.repeat(20)}\r\n`).join('')}\r\n`)
    const answer = await sendRaw(port, bytes, i % 2 === 0 ? 'POST' : 'GET', { timeoutMs: GUARD_MS, trickle: i % 2 === 0 ? { pieceBytes: 1, everyMs: 250 } : { pieceBytes: 30, everyMs: 250 } })
    const held = answer.error === 'no end within the client guard'
    if (held) open++
    else closedAfter.push(answer.ms)
    // Answered (the whole request arrived in the end) or cut by the server, and how long the connection stayed open.
    count(row.answers, held && answer.status === 0 ? `open after ${GUARD_MS / 1000} s` : `${answerKey(answer.status, answer.body)}${answer.status === 0 ? '' : ` after ${(answer.ms / 1000).toFixed(0)} s`}`)
    if (answer.status >= 500) row.fiveXX++
    if (scanner.scan(answer.raw).length > 0) row.secretsAnswers++
    const id = answer.headers['x-request-id']?.[0]
    if (id !== undefined) classOf.set(id, row.name)
  })
  await new Promise((resolve) => setTimeout(resolve, 500))
  const probe = await send(port, req('GET', '/services?limit=1', bearer(victim.key)))
  await Promise.all(slow)
  for (const call of sim.callLog().slice(callsBefore)) row.calls[call.action] = (row.calls[call.action] ?? 0) + 1
  const sorted = closedAfter.sort((a, b) => a - b)
  row.extra = `closed by the server: ${closedAfter.length} (median ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms); still open at the ${GUARD_MS / 1000} s guard: ${open}; a tenant's GET /services meanwhile: ${probe.status} in ${Math.round(probe.ms)} ms`
  rows.push(row)
}

const totalMs = performance.now() - started
// The slowest of the server's output through its pipe.
await new Promise((resolve) => setTimeout(resolve, 1000))
const byClass = logLinesWithSecrets()
for (const row of rows) {
  const lines = byClass.get(row.name) ?? []
  row.secretsLogs = lines.length
  for (const line of lines.slice(0, SHOW)) process.stderr.write(`${row.name}: ${scanner.scan(line).map((f) => `${f.secret} (${f.form})`).join(', ')}: ${line.slice(0, 600)}\n`)
}
const unattributed = byClass.get('(set-up, or no request id)')?.length ?? 0
server.child.kill('SIGTERM')
await new Promise((resolve) => server.child.once('exit', resolve))
await sim.close()
await rm(dir, { recursive: true, force: true })

const fmt = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ')
const calls = (c: Record<string, number>): string => Object.keys(c).length === 0 ? '0' : Object.entries(c).map(([a, n]) => `${a}: ${n}`).join(', ')
const lines = [
  `bench:hostile — ${rows.reduce((n, r) => n + r.requests, 0)} requests in ${(totalMs / 1000).toFixed(1)} s, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  '',
  '| class | requests | answers | panel calls | injected calls | leaks | 5xx | answers with a secret | log lines with a secret |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.requests} | ${fmt(r.answers)} | ${calls(r.calls)} | ${r.injected} | ${r.leaks} | ${r.fiveXX} | ${r.secretsAnswers} | ${r.secretsLogs} |`),
  '',
  ...rows.filter((r) => r.extra !== undefined).map((r) => `${r.name}: ${r.extra as string}`),
  `log lines with a secret outside any class's requests (set-up, or no request id): ${unattributed}`
]
process.stdout.write(lines.join('\n') + '\n')
