import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startSimulator } from '../../simulator/index.js'
import { runCli } from '../fixtures/cli-run.js'
import {
  PG_URL, REDIS_URL, REQUIRE_SERVICES, call, cleanRedis, freshSchema, runId, servicesUnreachable, startInstance,
  type Answer, type Instance
} from './helper.js'

const ADMIN_TOKEN = 'admin-token-0123456789abcdef'

// Six gateway processes and a CLI: past the suite's 60 s on a busy machine.
t.setTimeout(180_000)

const unreachable = await servicesUnreachable()

t.test('several gateway processes on one PostgreSQL and one Redis', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs both`)
    return
  }
  const id = runId()
  const schema = freshSchema(t, id)
  const prefix = `${id}:`
  cleanRedis(t, prefix)
  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })

  const env = {
    PANEL_URL: sim.url,
    PANEL_KEY: sim.key,
    ADMIN_TOKEN,
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    // Far longer than the test: a revocation can only reach the other instance as a signal.
    AUTH_CACHE_SECONDS: '300',
    PANEL_TIMEOUT_MS: '5000'
  }
  // Started together, as a deployment does: both migrate the same fresh schema.
  const [a, b] = await Promise.all([startInstance(t, env), startInstance(t, env)]) as [Instance, Instance]
  t.not(a.url, b.url, 'two processes on two ports')

  const admin = async (base: string, method: string, path: string, body?: unknown): Promise<Answer> =>
    await call(base, path, { method, key: ADMIN_TOKEN, body })
  async function newTenant (base: string, body: Record<string, unknown> = {}): Promise<{ tenantId: number, key: string, keyId: number }> {
    const res = await admin(base, 'POST', '/admin/tenants', { name: `tenant-${Math.random().toString(36).slice(2, 8)}`, ...body })
    if (res.status !== 201) throw new Error(`tenant not created: ${res.status} ${JSON.stringify(res.body)}`)
    return { tenantId: res.body.tenant.id, key: res.body.key, keyId: res.body.keyId }
  }
  const service = async (key: string): Promise<{ id: number, min: number }> =>
    (await call(a.url, '/services?type=Default&refill=true&cancel=true', { key })).body.items[0]

  t.test('a tenant\'s rate limit holds across instances: 20 requests alternating, limit 10 → exactly 10 succeed', async (t) => {
    const { key } = await newTenant(a.url, { rateLimitPerMinute: 10 })
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => await call(i % 2 === 0 ? a.url : b.url, '/me', { key })))
    const statuses = answers.map((r) => r.status)
    t.equal(statuses.filter((s) => s === 200).length, 10, 'ten pass')
    t.equal(statuses.filter((s) => s === 429).length, 10, 'ten are limited')
    const limited = answers.find((r) => r.status === 429)
    t.equal(limited?.body.code, 'rate_limited')
    t.ok(limited?.headers.get('retry-after'), 'Retry-After')
  })

  t.test('PANEL_MAX_RPS holds for all instances together: 16 balance calls over two instances at 4/s', async (t) => {
    const limited = { ...env, PANEL_MAX_RPS: '4', PANEL_TIMEOUT_MS: '15000' }
    const [c, d] = await Promise.all([startInstance(t, limited), startInstance(t, limited)]) as [Instance, Instance]
    const { key } = await newTenant(c.url, { scopes: ['balance:read'], rateLimitPerMinute: 1000 })
    const since = Date.now()
    const answers = await Promise.all(Array.from({ length: 16 }, async (_, i) => await call(i % 2 === 0 ? c.url : d.url, '/balance', { key })))
    t.same(answers.map((r) => r.status), Array(16).fill(200), 'every call waits its turn and succeeds')
    const starts = sim.callLog().filter((entry) => entry.action === 'balance' && entry.at >= since).map((entry) => entry.at).sort((x, y) => x - y)
    t.equal(starts.length, 16, 'one panel call per request')
    // Any 4 + 1 consecutive calls span about a second; each instance alone would allow 4 + 4 at once.
    // 800 ms leaves room for the path from Redis's clock to the simulator's on a busy machine.
    const tightest = Math.min(...starts.slice(4).map((at, i) => at - (starts[i] as number)))
    t.ok(tightest >= 800, `5 consecutive panel calls spanned at least 800 ms (tightest: ${tightest} ms)`)
  })

  t.test('one Idempotency-Key sent to both instances at once makes exactly one upstream add', async (t) => {
    const { key } = await newTenant(a.url)
    const s = await service(key)
    const body = { service: s.id, link: 'https://example.com/p/1', quantity: s.min }
    const headers = { 'idempotency-key': `both-${id}` }
    sim.resetCalls()
    sim.setLatency(300)
    t.teardown(() => { sim.setLatency(0) })
    const answers = await Promise.all(Array.from({ length: 10 }, async (_, i) =>
      await call(i % 2 === 0 ? a.url : b.url, '/orders', { method: 'POST', key, body, headers })))
    sim.setLatency(0)
    t.equal(sim.calls('add'), 1, 'exactly one add reached the panel')
    const placed = answers.filter((r) => r.status === 201)
    const busy = answers.filter((r) => r.status === 409)
    t.equal(placed.length + busy.length, 10, `every answer is the order or 409 in flight (${answers.map((r) => r.status).join(',')})`)
    t.ok(placed.length >= 1)
    t.equal(new Set(placed.map((r) => r.body.id)).size, 1, 'every 201 is the same order')
    for (const r of busy) t.equal(r.body.code, 'idempotency_in_flight')

    const replay = await call(b.url, '/orders', { method: 'POST', key, body, headers })
    t.equal(replay.status, 201)
    t.equal(replay.headers.get('idempotent-replayed'), 'true')
    t.same(replay.body, placed[0]?.body, 'the other instance replays the stored answer')
    t.equal(sim.calls('add'), 1)
  })

  t.test('an order placed on one instance is visible, refillable and cancellable on the other', async (t) => {
    const { key } = await newTenant(a.url)
    const s = await service(key)
    const first = await call(a.url, '/orders', { method: 'POST', key, body: { service: s.id, link: 'https://example.com/p/2', quantity: s.min } })
    t.equal(first.status, 201)
    const orderId: number = first.body.id
    const panelOrderId: number = first.body.panelOrderId

    const seen = await call(b.url, `/orders/${orderId}`, { key })
    t.equal(seen.status, 200)
    t.match(seen.body, { id: orderId, panelOrderId, service: s.id })
    const listed = await call(b.url, '/orders', { key })
    t.ok((listed.body.items as Array<{ id: number }>).some((o) => o.id === orderId), 'listed on the other instance')

    sim.setOrderStatus(panelOrderId, 'Completed')
    const refill = await call(b.url, `/orders/${orderId}/refill`, { method: 'POST', key })
    t.equal(refill.status, 201, 'refilled through the other instance')
    t.equal(refill.body.order, orderId)
    t.equal((await call(a.url, `/refills/${refill.body.id as number}`, { key })).status, 200, 'the refill is known to the first')

    const second = await call(a.url, '/orders', { method: 'POST', key, body: { service: s.id, link: 'https://example.com/p/3', quantity: s.min } })
    t.equal(second.status, 201)
    const cancel = await call(b.url, `/orders/${second.body.id as number}/cancel`, { method: 'POST', key })
    t.equal(cancel.status, 202, 'cancelled through the other instance')

    const other = await newTenant(b.url)
    t.equal((await call(b.url, `/orders/${orderId}`, { key: other.key })).status, 404, 'still only its own tenant sees it')
  })

  async function refusedWithin (base: string, key: string, ms: number): Promise<number | undefined> {
    const start = Date.now()
    while (Date.now() - start < ms) {
      if ((await call(base, '/me', { key })).status === 401) return Date.now() - start
      await sleep(50)
    }
    return undefined
  }

  t.test('a key revoked on one instance is refused on the other within a second', async (t) => {
    const { tenantId, key: keep } = await newTenant(a.url)
    const issued = await admin(a.url, 'POST', `/admin/tenants/${tenantId}/keys`, {})
    t.equal(issued.status, 201)
    t.equal((await call(b.url, '/me', { key: issued.body.key })).status, 200, 'cached on the other instance')
    t.equal((await admin(a.url, 'DELETE', `/admin/keys/${issued.body.id as number}`)).status, 204)
    const after = await refusedWithin(b.url, issued.body.key, 1000)
    t.ok(after !== undefined, `refused on the other instance after ${String(after)} ms`)
    t.equal((await call(b.url, '/me', { key: keep })).status, 200, 'the tenant\'s other key still works')
  })

  t.test('a tenant disabled on one instance is refused on the other within a second', async (t) => {
    const { tenantId, key } = await newTenant(a.url)
    t.equal((await call(b.url, '/me', { key })).status, 200)
    t.equal((await admin(a.url, 'PATCH', `/admin/tenants/${tenantId}`, { disabled: true })).status, 200)
    t.ok(await refusedWithin(b.url, key, 1000) !== undefined, 'refused on the other instance')
    t.equal((await admin(b.url, 'PATCH', `/admin/tenants/${tenantId}`, { disabled: false })).status, 200)
    const start = Date.now()
    let status = 0
    while (Date.now() - start < 1000 && status !== 200) {
      status = (await call(a.url, '/me', { key })).status
      if (status !== 200) await sleep(50)
    }
    t.equal(status, 200, 'enabled again on the first instance too')
  })

  t.test('a key revoked with the CLI is refused by running instances within a second', async (t) => {
    const { tenantId } = await newTenant(a.url)
    const issued = await admin(a.url, 'POST', `/admin/tenants/${tenantId}/keys`, {})
    t.equal((await call(a.url, '/me', { key: issued.body.key })).status, 200)
    t.equal((await call(b.url, '/me', { key: issued.body.key })).status, 200)
    const { code, stderr } = await runCli(['keys', 'revoke', String(issued.body.id)],
      { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, REDIS_URL, REDIS_KEY_PREFIX: prefix })
    t.equal(code, 0, stderr)
    t.equal(stderr, '', 'no warning: Redis carried the signal')
    t.ok(await refusedWithin(a.url, issued.body.key, 1000) !== undefined, 'refused on one')
    t.ok(await refusedWithin(b.url, issued.body.key, 1000) !== undefined, 'and on the other')
  })

  t.test('with Redis unreachable an instance starts, serves, follows RATE_LIMIT_ON_REDIS_ERROR and still allows one add per key', async (t) => {
    const password = 'not-a-real-redis-password'
    const down = { ...env, REDIS_URL: `redis://gateway:${password}@127.0.0.1:1`, LOG_LEVEL: 'debug' }
    const [open, closed] = await Promise.all([
      startInstance(t, { ...down, RATE_LIMIT_ON_REDIS_ERROR: 'open' }),
      startInstance(t, { ...down, RATE_LIMIT_ON_REDIS_ERROR: 'closed' })
    ]) as [Instance, Instance]
    t.equal((await call(open.url, '/health')).status, 200, 'open instance is live')
    t.equal((await call(closed.url, '/health')).status, 200, 'closed instance is live')

    const { key } = await newTenant(a.url, { rateLimitPerMinute: 3 })
    const passed = await Promise.all(Array.from({ length: 6 }, async () => (await call(open.url, '/me', { key })).status))
    t.same(passed, [200, 200, 200, 200, 200, 200], 'open: requests pass uncounted')
    const refused = await call(closed.url, '/me', { key })
    t.equal(refused.status, 503, 'closed: refused')
    t.equal(refused.body.code, 'rate_limit_unavailable')
    t.equal(refused.headers.get('retry-after'), '1')

    const s = await service(key)
    const body = { service: s.id, link: 'https://example.com/p/4', quantity: s.min }
    const headers = { 'idempotency-key': `down-${id}` }
    sim.resetCalls()
    sim.setLatency(300)
    t.teardown(() => { sim.setLatency(0) })
    const { key: orderKey } = await newTenant(a.url)
    const answers = await Promise.all(Array.from({ length: 10 }, async (_, i) =>
      await call(i % 2 === 0 ? open.url : a.url, '/orders', { method: 'POST', key: orderKey, body, headers })))
    sim.setLatency(0)
    t.equal(sim.calls('add'), 1, 'exactly one add: the claim is in PostgreSQL, not Redis')
    const placed = answers.filter((r) => r.status === 201)
    t.equal(placed.length + answers.filter((r) => r.status === 409).length, 10, 'the order or 409 in flight')
    t.equal(new Set(placed.map((r) => r.body.id)).size, 1, 'every 201 is the same order')

    const logs = open.output() + closed.output()
    t.match(logs, 'Redis unreachable', 'the outage is logged')
    t.notMatch(logs, password, 'never with the password')
  })
})
