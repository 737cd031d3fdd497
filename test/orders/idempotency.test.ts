import type { FastifyReply, FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { idempotent, type IdempotencyOptions, type Outcome } from '../../src/orders/idempotency.js'
import type { Ledger } from '../../src/orders/ledger-plugin.js'
import { GatewayError } from '../../src/problems/errors.js'
import { openStore } from '../../src/store/open.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import type { Store, StoredOrder } from '../../src/store/types.js'
import { deferred, flush } from '../fixtures/fakes.js'

let store: KyselyStore
t.before(async () => { store = await openStore({ url: 'sqlite::memory:' }) })
t.teardown(async () => { await store.close() })

const ledger: Ledger = { panel: 'unit-panel', staleAfterMs: 60_000, staleBefore: () => new Date(Date.now() - 60_000), sweep: async () => {} }

let tenants = 0
async function tenant (): Promise<number> {
  return (await store.createTenant({ name: `idem-${++tenants}`, scopes: ['orders:write'] })).id
}

interface Sent {
  status: number | undefined
  body: unknown
  headers: Record<string, string>
}

interface Call {
  key?: string
  body?: unknown
  url?: string
  /** Another store (a failing one) in place of the file's. */
  store?: Store
  options?: IdempotencyOptions
}

/**
 * One call of `idempotent` with the few members of a request and a reply it
 * reads: headers, method, url, body, the server's store and ledger, the log;
 * header, code and send.
 */
async function call (tenantId: number, work: (key: string | undefined) => Promise<Outcome>, c: Call = {}) {
  const sent: Sent = { status: undefined, body: undefined, headers: {} }
  const warnings: string[] = []
  const reply = {
    header (name: string, value: string) { sent.headers[name.toLowerCase()] = value; return reply },
    code (status: number) { sent.status = status; return reply },
    send (body: unknown) { sent.body = body; return reply }
  }
  const request = {
    headers: c.key === undefined ? {} : { 'idempotency-key': c.key },
    method: 'POST',
    url: c.url ?? '/orders',
    body: c.body ?? { service: 1, link: 'https://a.b/c', quantity: 100 },
    server: { store: c.store ?? store, ledger },
    log: { warn: (_obj: unknown, message: string) => { warnings.push(message) } }
  }
  await idempotent(tenantId, request as unknown as FastifyRequest, reply as unknown as FastifyReply, work, c.options)
  return { sent, warnings }
}

/** A work function that counts its runs and answers `outcome`. */
function counting (outcome: Outcome = { status: 201, body: { id: 7, status: 'pending' }, headers: { location: '/orders/7' } }) {
  const runs: Array<string | undefined> = []
  return { runs, work: async (key: string | undefined) => { runs.push(key); return outcome } }
}

async function rows (tenantId: number): Promise<Array<{ key: string, state: string }>> {
  const result = await sql<{ key: string, state: string }>`select key, state from idempotency_keys where tenant_id = ${tenantId} order by key`.execute(store.db)
  return result.rows
}

t.test('without an Idempotency-Key the work just runs, every time, and nothing is stored', async (t) => {
  const id = await tenant()
  const { runs, work } = counting()
  const first = await call(id, work)
  await call(id, work)
  t.same(runs, [undefined, undefined])
  t.same(first.sent, { status: 201, body: { id: 7, status: 'pending' }, headers: { location: '/orders/7' } })
  t.same(await rows(id), [])
})

t.test('a malformed Idempotency-Key is refused before any work', async (t) => {
  const id = await tenant()
  const { runs, work } = counting()
  for (const key of ['', 'has space', 'tab\tkey', 'é', 'k'.repeat(256)]) {
    await t.rejects(call(id, work, { key }), { code: 'invalid_idempotency_key', statusCode: 400 }, JSON.stringify(key).slice(0, 20))
  }
  t.same(runs, [])
  t.same(await rows(id), [])
  await call(id, work, { key: 'k'.repeat(255) })
  t.same(runs, ['k'.repeat(255)], '255 visible characters is the longest key taken')
})

t.test('the first call runs the work with its key and stores the answer', async (t) => {
  const id = await tenant()
  const { runs, work } = counting()
  const { sent } = await call(id, work, { key: 'first' })
  t.same(runs, ['first'])
  t.same(sent, { status: 201, body: { id: 7, status: 'pending' }, headers: { location: '/orders/7' } }, 'no replay flag on the first answer')
  t.same(await rows(id), [{ key: 'first', state: 'done' }])
})

t.test('a replay returns the stored answer with the replay flag, and the work does not run again', async (t) => {
  const id = await tenant()
  const { runs, work } = counting()
  await call(id, work, { key: 'again' })
  const replay = await call(id, work, { key: 'again' })
  const query = await call(id, work, { key: 'again', url: '/orders?pretty=1' })
  t.same(runs, ['again'])
  t.same(replay.sent, { status: 201, body: { id: 7, status: 'pending' }, headers: { location: '/orders/7', 'idempotent-replayed': 'true' } })
  t.same(query.sent, replay.sent, 'the query string is not part of the route')
})

t.test('a large answer is replayed whole (stored compressed)', async (t) => {
  const id = await tenant()
  const body = { items: Array.from({ length: 500 }, (_, i) => ({ id: i, status: 'pending', link: `https://a.b/${i}` })) }
  const { work } = counting({ status: 200, body })
  await call(id, work, { key: 'big' })
  t.ok(JSON.stringify(body).length > 4096, 'past the compression threshold')
  t.same((await call(id, work, { key: 'big' })).sent.body, body)
})

t.test('the same body with its keys in another order is the same request', async (t) => {
  const id = await tenant()
  const { runs, work } = counting()
  await call(id, work, { key: 'order', body: { service: 1, link: 'https://a.b/c', quantity: 100, extra: { b: 2, a: [1, { y: 1, x: 2 }] } } })
  const replay = await call(id, work, { key: 'order', body: { extra: { a: [1, { x: 2, y: 1 }], b: 2 }, quantity: 100, link: 'https://a.b/c', service: 1 } })
  t.equal(replay.sent.headers['idempotent-replayed'], 'true')
  t.equal(runs.length, 1)
})

t.test('the same key with a different body or on another route is refused as reused', async (t) => {
  const id = await tenant()
  const { runs, work } = counting()
  await call(id, work, { key: 'reused' })
  await t.rejects(call(id, work, { key: 'reused', body: { service: 1, link: 'https://a.b/c', quantity: 101 } }),
    { code: 'idempotency_key_reused', statusCode: 422 })
  await t.rejects(call(id, work, { key: 'reused', url: '/orders/refill' }), { code: 'idempotency_key_reused' }, 'same body, another route')
  await t.rejects(call(id, work, { key: 'reused', body: [1, 2] }), { code: 'idempotency_key_reused' }, 'array order matters')
  t.same(runs, ['reused'])
})

t.test('the same key for another tenant is its own', async (t) => {
  const a = await tenant()
  const b = await tenant()
  const { runs, work } = counting()
  await call(a, work, { key: 'shared' })
  const other = await call(b, work, { key: 'shared', body: { anything: 'else' } })
  t.same(runs, ['shared', 'shared'])
  t.equal(other.sent.headers['idempotent-replayed'], undefined)
})

t.test('a concurrent call with the same key is told it is in flight, then replays once the first is done', async (t) => {
  const id = await tenant()
  const started = deferred<undefined>()
  const gate = deferred<undefined>()
  let runs = 0
  const work = async (): Promise<Outcome> => {
    runs++
    started.resolve(undefined)
    await gate.promise
    return { status: 201, body: { id: 9 } }
  }
  const first = call(id, work, { key: 'busy' })
  await started.promise
  await t.rejects(call(id, work, { key: 'busy' }), { code: 'idempotency_in_flight', statusCode: 409, retryAfter: 1 })
  t.same(await rows(id), [{ key: 'busy', state: 'in_flight' }])
  gate.resolve(undefined)
  t.same((await first).sent, { status: 201, body: { id: 9 }, headers: {} })
  t.same((await call(id, work, { key: 'busy' })).sent, { status: 201, body: { id: 9 }, headers: { 'idempotent-replayed': 'true' } })
  t.equal(runs, 1)
})

t.test('of ten concurrent calls with one key exactly one runs the work', async (t) => {
  const id = await tenant()
  const gate = deferred<undefined>()
  let runs = 0
  const work = async (): Promise<Outcome> => { runs++; await gate.promise; return { status: 201, body: { id: 10 } } }
  let settled = 0
  const calls = Array.from({ length: 10 }, () => {
    const running = call(id, work, { key: 'crowd' })
    running.then(() => {}, () => {}).finally(() => { settled++ })
    return running
  })
  for (let turn = 0; turn < 100; turn++) {
    if (settled === 9) break
    await flush()
  }
  t.equal(settled, 9, 'nine answered while the work still runs')
  gate.resolve(undefined)
  const results = await Promise.allSettled(calls)
  const answered = results.filter((r) => r.status === 'fulfilled')
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  t.equal(runs, 1)
  t.equal(answered.length, 1)
  t.same(answered[0]?.value.sent.body, { id: 10 })
  t.same(refused.map((r) => (r.reason as GatewayError).code), Array(9).fill('idempotency_in_flight'))
})

t.test('a handler that fails without reaching the panel releases the key: a retry runs the work', async (t) => {
  const id = await tenant()
  for (const failure of [new GatewayError('upstream_refused', 'the panel said no'), new TypeError('a bug')]) {
    const key = `fails-${failure.name}`
    await t.rejects(call(id, async () => { throw failure }, { key }), failure, 'the failure itself is thrown')
    t.same((await rows(id)).filter((r) => r.key === key), [], 'released')
    const { runs, work } = counting({ status: 201, body: { id: 11 } })
    t.same((await call(id, work, { key })).sent.body, { id: 11 })
    t.same(runs, [key])
  }
})

t.test('a handler failure that may have reached the panel makes every retry answer outcome unknown', async (t) => {
  const id = await tenant()
  const lost = new GatewayError('upstream_timeout', 'no answer', { outcomeUnknown: true })
  await t.rejects(call(id, async () => { throw lost }, { key: 'lost' }), { code: 'upstream_timeout' })
  t.same(await rows(id), [{ key: 'lost', state: 'unknown' }])
  const { runs, work } = counting()
  for (let i = 0; i < 2; i++) {
    const err = await call(id, work, { key: 'lost' }).then(() => undefined, (e: unknown) => e)
    t.match(err, { code: 'upstream_outcome_unknown', statusCode: 502, message: /may have reached the panel/ })
    t.equal((err as GatewayError).extra, undefined, 'no order to point at')
  }
  t.same(runs, [])
})

t.test('a handler told that a retry took its claim over leaves the record to that retry', async (t) => {
  const id = await tenant()
  await t.rejects(call(id, async () => { throw new GatewayError('idempotency_in_flight') }, { key: 'taken' }), { code: 'idempotency_in_flight' })
  t.same(await rows(id), [{ key: 'taken', state: 'in_flight' }], 'neither released nor marked unknown')
})

t.test('an answer the store cannot keep is still sent, and logged; a retry is then in flight, not run again', async (t) => {
  const id = await tenant()
  const failing = new Proxy(store, {
    get (target, prop, receiver) {
      if (prop === 'completeIdempotency') return async () => { throw new Error('disk full') }
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    }
  })
  const { runs, work } = counting({ status: 201, body: { id: 12 } })
  const { sent, warnings } = await call(id, work, { key: 'unstored', store: failing })
  t.same(sent, { status: 201, body: { id: 12 }, headers: {} })
  t.same(warnings, ['idempotency answer not stored'])
  await t.rejects(call(id, work, { key: 'unstored' }), { code: 'idempotency_in_flight' })
  t.same(runs, ['unstored'])
})

/** Work that records an order the way placeOrder does, up to `state`, then fails as `failure`. */
function ordering (tenantId: number, state: 'placed' | 'unknown', failure: Error) {
  const made: StoredOrder[] = []
  const work = async (key: string | undefined): Promise<Outcome> => {
    const reservation = await store.reserveOrder({
      tenantId, panel: ledger.panel, service: 1, request: {}, quantity: 100, estimatedCharge: '0.2', dailyBudget: null, monthlyBudget: null, ...(key === undefined ? {} : { idempotencyKey: key })
    })
    if (!reservation.ok) throw new Error('not reserved')
    await store.markSending(reservation.localId)
    if (state === 'placed') await store.markPlaced(reservation.localId, ledger.panel, 5000 + tenantId)
    else await store.markUnknown(reservation.localId)
    const order = await store.getOrder(tenantId, reservation.id)
    if (order !== undefined) made.push(order)
    throw failure
  }
  return { made, work }
}

t.test('a claim whose order was placed but whose answer was never stored replays from the order', async (t) => {
  const id = await tenant()
  const { made, work } = ordering(id, 'placed', new Error('crashed after the add'))
  const replayOrder = (order: StoredOrder): Outcome => ({ status: 201, body: { id: order.id, panelOrderId: order.panelOrderId }, headers: { location: `/orders/${order.id}` } })
  await t.rejects(call(id, work, { key: 'placed', options: { replayOrder } }), { message: 'crashed after the add' })
  t.same(await rows(id), [{ key: 'placed', state: 'in_flight' }], 'the store kept the claim of a sent order')
  const order = made[0] as StoredOrder
  const retry = counting()
  const { sent } = await call(id, retry.work, { key: 'placed', options: { replayOrder } })
  t.same(sent, { status: 201, body: { id: order.id, panelOrderId: 5000 + id }, headers: { 'idempotent-replayed': 'true', location: `/orders/${order.id}` } })
  t.same(retry.runs, [])
  await t.rejects(call(id, retry.work, { key: 'placed' }), { code: 'internal_error' }, 'a route that places no order cannot replay one')
})

t.test('a claim whose order became unknown answers outcome unknown with the order id', async (t) => {
  const id = await tenant()
  const { made, work } = ordering(id, 'unknown', new GatewayError('upstream_outcome_unknown', 'lost', { outcomeUnknown: true }))
  await t.rejects(call(id, work, { key: 'unknown', options: { replayOrder: () => ({ status: 201, body: null }) } }), { code: 'upstream_outcome_unknown' })
  const order = made[0] as StoredOrder
  t.equal(order.state, 'unknown')
  await t.rejects(call(id, counting().work, { key: 'unknown', options: { replayOrder: () => ({ status: 201, body: null }) } }),
    { code: 'upstream_outcome_unknown', extra: { orderId: order.id } })
})
