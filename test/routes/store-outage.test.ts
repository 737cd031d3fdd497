// The gateway on PostgreSQL through a TCP proxy that resets and stalls the
// connections: a real network fault under real queries, no driver mocked.
import { randomBytes } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { ADMIN_TOKEN, gateway, type Gateway, type TestContext } from '../helper.js'
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy.js'
import { PG_URL, dropSchemas, postgresUnreachable } from '../store/helper.js'

const unreachable = await postgresUnreachable()
const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'
// trust auth never asks for it, so it can stand for a secret that must never be logged.
const PASSWORD = 'not-logged-' + randomBytes(4).toString('hex')
const STATEMENT_TIMEOUT_MS = 500

async function throughProxy (t: TestContext, env: Record<string, string> = {}): Promise<{ gw: Gateway, proxy: TcpProxy }> {
  const target = new URL(PG_URL)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port === '' ? 5432 : target.port) })
  const schema = `test_outage_${process.pid}_${randomBytes(4).toString('hex')}`
  t.teardown(async () => { await dropSchemas(schema) })
  t.teardown(async () => { await proxy.close() })
  const url = new URL(PG_URL)
  url.host = `127.0.0.1:${proxy.port}`
  url.password = PASSWORD
  const gw = await gateway(t, {
    env: {
      DATABASE_URL: url.toString(),
      DATABASE_SCHEMA: schema,
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DATABASE_CONNECT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      // Every request looks its key up in the store, so every request meets the fault.
      AUTH_CACHE_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...env
    }
  })
  return { gw, proxy }
}

/** Reads (the key lookup, the order list) and a write (a new tenant) that all go to the store. */
function burst (gw: Gateway, n: number): Array<Promise<LightMyRequestResponse>> {
  return Array.from({ length: n }, async (_, i) => await (i % 4 === 3
    ? gw.app.inject({ method: 'POST', url: '/admin/tenants', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { name: `burst-${i}` } })
    : gw.request({ url: '/orders' })))
}

function isStoreUnavailable503 (res: LightMyRequestResponse): boolean {
  return res.statusCode === 503 && res.json().code === 'store_unavailable' && res.headers['retry-after'] === '2' &&
    String(res.headers['content-type']).startsWith('application/problem+json')
}

t.test('PostgreSQL faults', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }

  t.test('connections reset mid-query: the app lives on, those requests get 503 store_unavailable, the next ones succeed', async (t) => {
    const { gw, proxy } = await throughProxy(t)
    t.equal((await gw.request({ url: '/orders' })).statusCode, 200)

    for (let round = 1; round <= 3; round++) {
      // Stalled first, so the reset is sure to meet queries on the wire.
      proxy.stall()
      const answers = burst(gw, 20)
      await new Promise((resolve) => setTimeout(resolve, 200))
      proxy.reset()
      proxy.resume()
      const results = await Promise.all(answers)
      const failed = results.filter((res) => !isStoreUnavailable503(res) && res.statusCode !== 200 && res.statusCode !== 201)
      t.same(failed.map((res) => `${res.statusCode} ${res.body}`), [], `round ${round}: every answer is a success or 503 store_unavailable with Retry-After`)
      t.ok(results.some(isStoreUnavailable503), `round ${round}: the requests cut off got 503 store_unavailable`)
      t.equal(results.filter((res) => res.statusCode === 500).length, 0, `round ${round}: never a 500`)
      t.equal((await gw.request({ url: '/orders' })).statusCode, 200, `round ${round}: the next request succeeds without a restart`)
    }

    // Resets while a burst runs freely: whatever they hit answers cleanly.
    const answers = burst(gw, 60)
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve))
      proxy.reset()
    }
    const results = await Promise.all(answers)
    t.same(results.filter((res) => !isStoreUnavailable503(res) && res.statusCode !== 200 && res.statusCode !== 201).map((res) => `${res.statusCode} ${res.body}`), [],
      'under resets every answer is a success or 503 store_unavailable')
    t.equal((await gw.request({ url: '/orders' })).statusCode, 200, 'and the store serves again')

    const logs = gw.logs.join('')
    t.match(logs, /PostgreSQL connection lost/, 'the lost connections are logged')
    t.notOk(logs.includes(PASSWORD), 'the database password is in no log line')
  })

  t.test('a stalled database: requests fail fast with 503, /ready names the store, and after the stall all is well again', async (t) => {
    const { gw, proxy } = await throughProxy(t)
    t.equal((await gw.request({ url: '/orders' })).statusCode, 200)
    t.match((await gw.app.inject({ url: '/ready' })).json(), { status: 'ready', checks: { store: { ok: true } } })

    proxy.stall()
    const started = Date.now()
    const stalled = await Promise.all(burst(gw, 8))
    const took = Date.now() - started
    t.ok(stalled.every(isStoreUnavailable503), 'every request answers 503 store_unavailable', { statuses: stalled.map((r) => r.statusCode) })
    // The bounds are the statement timeout plus its client-side margin and the connect timeout: about 2 s, far from a hang.
    t.ok(took < 10_000, `they fail within the configured timeouts (${took} ms), not after pg's defaults`)
    t.ok(took >= STATEMENT_TIMEOUT_MS / 2, `not before a timeout could have passed (${took} ms)`)

    const ready = await gw.app.inject({ url: '/ready' })
    t.equal(ready.statusCode, 503)
    t.match(ready.json(), { status: 'not_ready', checks: { store: { ok: false }, upstream: { ok: true } } })
    t.equal((await gw.app.inject({ url: '/health' })).statusCode, 200, '/health stays 200: the process is alive')

    proxy.resume()
    let again: LightMyRequestResponse | undefined
    // The stalled connections drain and are reused or replaced; give that a few tries, not a fixed sleep.
    for (let i = 0; i < 50; i++) {
      again = await gw.request({ url: '/orders' })
      if (again.statusCode === 200) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.equal(again?.statusCode, 200, 'after the stall requests succeed again')
    t.match((await gw.app.inject({ url: '/ready' })).json(), { status: 'ready', checks: { store: { ok: true } } }, 'and /ready says ready')
  })

  // The money path's worst moment: the panel has placed the order and the
  // database goes away before the gateway has written that down.
  const placeWhile = async (gw: Gateway, proxy: TcpProxy, fault: () => void, key: string): Promise<{ first: LightMyRequestResponse, body: object }> => {
    const service = (await gw.request({ url: '/services?type=Default' })).json().items[0]
    const body = { service: service.id, link: `https://a.b/${key}`, quantity: service.min }
    gw.sim.resetCalls()
    gw.sim.setLatency(300)
    const answer = gw.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': key } })
    while (gw.sim.calls('add') === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    fault()
    const first = await answer
    gw.sim.setLatency(0)
    return { first, body }
  }
  const retryUntilFinal = async (gw: Gateway, body: object, key: string): Promise<LightMyRequestResponse> => {
    for (let i = 0; ; i++) {
      const res = await gw.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': key } })
      if ((res.statusCode !== 409 && res.statusCode !== 503) || i >= 200) return res
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  t.test('the database stalls after the panel placed an order: upstream_outcome_unknown, never a second add, listed, logged with the panel id', async (t) => {
    const { gw, proxy } = await throughProxy(t, { LEDGER_STALE_MARGIN_MS: '200' })
    const { first, body } = await placeWhile(gw, proxy, () => { proxy.stall() }, 'stall-after-add')
    t.equal(first.statusCode, 502)
    t.match(first.json(), { code: 'upstream_outcome_unknown', orderId: Number })
    proxy.resume()
    const final = await retryUntilFinal(gw, body, 'stall-after-add')
    t.match(final.json(), { code: 'upstream_outcome_unknown', orderId: first.json().orderId }, 'retries with the key answer unknown, they never send it again')
    t.equal(gw.sim.calls('add'), 1, 'one add')
    t.match((await gw.request({ url: '/orders' })).json().items, [{ id: first.json().orderId, status: 'unknown' }])
    t.ok(gw.logs.some((line) => line.includes('not recorded') && line.includes('"panelOrderId":23501')), 'the operator\'s log names the panel order to resolve it with')
  })

  t.test('connections reset after the panel placed an order: the write is retried on a new connection, 201, replayed once', async (t) => {
    const { gw, proxy } = await throughProxy(t)
    const { first, body } = await placeWhile(gw, proxy, () => { proxy.reset() }, 'reset-after-add')
    t.equal(first.statusCode, 201, first.body)
    const replay = await retryUntilFinal(gw, body, 'reset-after-add')
    t.equal(replay.statusCode, 201)
    t.equal(replay.json().id, first.json().id)
    t.equal(gw.sim.calls('add'), 1, 'one add')
  })
})
