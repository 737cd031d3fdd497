import type { FastifyBaseLogger } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { Catalog } from '../../src/catalog/catalog.js'
import type { Ledger } from '../../src/orders/ledger-plugin.js'
import { placeOrder } from '../../src/orders/place.js'
import { Metrics } from '../../src/plugins/metrics.js'
import { GatewayError, type ErrorCode } from '../../src/problems/errors.js'
import { openStore } from '../../src/store/open.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import type { NewTenant, OrderState, Store, StoredOrder, Tenant } from '../../src/store/types.js'
import type { AddFields } from '../../src/upstream/types.js'
import type { NewOrderT } from '../../schemas/orders.js'
import { fakePanel, service } from '../fixtures/fakes.js'

let store: KyselyStore
t.before(async () => { store = await openStore({ url: 'sqlite::memory:' }) })
t.teardown(async () => { await store.close() })

const LINK = 'https://instagram.com/p/1'
const ledger: Ledger = { panel: 'unit-panel', staleAfterMs: 60_000, staleBefore: () => new Date(Date.now() - 60_000), sweep: async () => {} }

const CATALOG = [
  service(1), // Default, rate 2, 10–10000, category Likes
  service(2, { type: 'Custom Comments', panelType: 'custom_comments', category: 'Comments', rate: '8', min: 1, max: 100 }),
  service(3, { type: 'Subscriptions', panelType: 'subscriptions', category: 'Auto', rate: '1', min: 10, max: 1000 }),
  service(4, { rate: '100000000000' }) // any order of it costs more than a BIGINT of 1e-8 units holds
]

let tenants = 0
async function tenant (extra: Partial<NewTenant> = {}): Promise<Tenant> {
  return await store.createTenant({ name: `place-${++tenants}`, scopes: ['orders:write'], ...extra })
}

interface Logged { level: string, bindings: Record<string, unknown>, obj: Record<string, unknown>, msg: string }

/** Records what placeOrder logs, with the bindings of the child logger it wrote through. */
function fakeLog (logged: Logged[], bindings: Record<string, unknown> = {}): FastifyBaseLogger {
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => { logged.push({ level, bindings, obj, msg }) }
  const log = {
    level: 'info',
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    silent: () => {},
    child: (more: Record<string, unknown>) => fakeLog(logged, { ...bindings, ...more })
  }
  return log as unknown as FastifyBaseLogger
}

type Add = (fields: AddFields) => Promise<{ order: number }>

/** placeOrder's dependencies: the real store (or a wrapper of it), a catalog and a panel both over a fake panel. */
function setUp (add: Add = async () => ({ order: 777 }), over: Store = store) {
  const adds: Array<{ fields: AddFields, tenant: number | string | undefined }> = []
  const panel = fakePanel({
    services: async () => CATALOG,
    add: async (fields, tenant) => { adds.push({ fields, tenant }); return await add(fields) }
  })
  const metrics = new Metrics()
  const logged: Logged[] = []
  const deps = { catalog: new Catalog(panel, { ttlMs: 60_000, staleMs: 0 }), store: over, panel, ledger, metrics }
  const place = async (tenant: Tenant, body: NewOrderT, key?: string) => await placeOrder(deps, fakeLog(logged), tenant, body, key)
  return { place, adds, metrics, logged }
}

async function refused (promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  if (err instanceof GatewayError) return err
  throw new Error(`expected a GatewayError, got ${String(err)}`)
}

async function ordersOf (tenant: Tenant): Promise<Array<{ state: OrderState, service: number }>> {
  const result = await sql<{ state: OrderState, service: bigint }>`select state, service from orders where tenant_id = ${tenant.id} order by local_id`.execute(store.db)
  return result.rows.map((r) => ({ state: r.state, service: Number(r.service) }))
}

async function unknownCount (metrics: Metrics, reason: string): Promise<number> {
  return (await metrics.ordersUnknown.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0
}

t.test('an order is reserved, sent to the panel as the tenant\'s call, and recorded as placed', async (t) => {
  const { place, adds } = setUp()
  const owner = await tenant()
  const body = { service: 1, link: LINK, quantity: 1500 }
  const placed = await place(owner, body)
  t.match(placed, { panelOrderId: 777, service: 1, status: 'pending', quantity: 1500, estimatedCharge: '3' })
  t.type(placed.id, 'number')
  t.same(adds, [{ fields: { service: 1, link: LINK, quantity: 1500 }, tenant: owner.id }])
  const stored = await store.getOrder(owner.id, placed.id) as StoredOrder
  t.match(stored, { state: 'placed', panel: 'unit-panel', panelOrderId: 777, service: 1, quantity: 1500, estimatedCharge: '3', status: 'pending' })
  t.same(stored.request, body, 'the request as the tenant sent it')
})

t.test('the panel gets the fields the rules prepared, and the answer their quantity and bound', async (t) => {
  const { place, adds } = setUp()
  const owner = await tenant()
  const comments = await place(owner, { service: 2, link: LINK, comments: 'great\r\n\r\nlove it\rwow ' })
  t.match(comments, { quantity: 3, estimatedCharge: '0.024' })
  t.same(adds[0]?.fields, { service: 2, link: LINK, comments: 'great\nlove it\nwow', quantity: 3 })
  const drip = await place(owner, { service: 1, link: LINK, quantity: 100, runs: 3, interval: 10 })
  t.match(drip, { quantity: 300, estimatedCharge: '0.6' })
  t.same(adds[1]?.fields, { service: 1, link: LINK, quantity: 100, runs: 3, interval: 10 })
})

t.test('a service not in the catalog is unknown, and nothing is reserved or sent', async (t) => {
  const { place, adds } = setUp()
  const owner = await tenant()
  const err = await refused(place(owner, { service: 99, link: LINK, quantity: 100 }))
  t.match(err, { code: 'unknown_service', statusCode: 422, message: 'Service 99 is not in your catalog' })
  t.same(adds, [])
  t.same(await ordersOf(owner), [])
})

t.test('a service outside the tenant\'s allowlist is unknown to it; ids and categories (any case) allow', async (t) => {
  const { place, adds } = setUp()
  const byId = await tenant({ allowedServices: { ids: [2], categories: [] } })
  t.match(await refused(place(byId, { service: 1, link: LINK, quantity: 100 })), { code: 'unknown_service' })
  t.equal((await place(byId, { service: 2, link: LINK, comments: 'a' })).service, 2)
  const byCategory = await tenant({ allowedServices: { ids: [], categories: ['LIKES'] } })
  t.equal((await place(byCategory, { service: 1, link: LINK, quantity: 100 })).service, 1)
  t.match(await refused(place(byCategory, { service: 2, link: LINK, comments: 'a' })), { code: 'unknown_service' })
  t.same(adds.map((a) => a.fields.service), [2, 1])
  t.same(await ordersOf(byId), [{ state: 'placed', service: 2 }])
})

t.test('an order the rules refuse is never reserved', async (t) => {
  const { place, adds } = setUp()
  const owner = await tenant()
  t.match(await refused(place(owner, { service: 1, link: LINK, quantity: 9 })), { code: 'quantity_out_of_range' })
  t.match(await refused(place(owner, { service: 1, quantity: 100 })), { code: 'missing_field', message: /link/ })
  t.match(await refused(place(owner, { service: 1, link: LINK, quantity: 100, comments: 'x' })), { code: 'field_not_allowed' })
  t.same(adds, [])
  t.same(await ordersOf(owner), [])
})

t.test('an unbounded order is refused for a tenant with a budget, and placed for one without', async (t) => {
  const { place, adds } = setUp()
  const subscription = { service: 3, username: 'someone', min: 10, max: 100, delay: 0 }
  const budgeted = await tenant({ monthlyBudget: '100' })
  t.match(await refused(place(budgeted, subscription)), { code: 'charge_unbounded', statusCode: 422, message: /"posts"/ })
  t.same(await ordersOf(budgeted), [])
  const free = await tenant()
  t.match(await place(free, subscription), { quantity: null, estimatedCharge: null })
  t.same(adds.map((a) => a.fields.link), ['someone'], 'only the unbudgeted one was sent')
})

t.test('a charge too large for the ledger to account for is refused as unbounded, before any send', async (t) => {
  const { place, adds } = setUp()
  const owner = await tenant()
  const err = await refused(place(owner, { service: 4, link: LINK, quantity: 10_000 }))
  t.match(err, { code: 'charge_unbounded', message: 'This order could be charged up to 1000000000000, more than the gateway can account for' })
  t.same(adds, [])
  t.same(await ordersOf(owner), [])
})

t.test('an order past the daily or monthly budget is refused with what is spent, and nothing is sent', async (t) => {
  const { place, adds } = setUp()
  const daily = await tenant({ dailyBudget: '5' })
  await place(daily, { service: 1, link: LINK, quantity: 1500 })
  const err = await refused(place(daily, { service: 1, link: LINK, quantity: 1500 }))
  t.match(err, { code: 'budget_exceeded', statusCode: 402, message: 'This order (at most 3) would exceed the daily budget of 5; 3 is spent' })
  t.same(err.extra, { limit: 'daily', budget: '5', spent: '3', estimatedCharge: '3' })
  t.equal((await place(daily, { service: 1, link: LINK, quantity: 1000 })).estimatedCharge, '2', 'what still fits is placed: 3 + 2 = 5')
  const monthly = await tenant({ monthlyBudget: '1', dailyBudget: '100' })
  t.same((await refused(place(monthly, { service: 1, link: LINK, quantity: 1500 }))).extra, { limit: 'monthly', budget: '1', spent: '0', estimatedCharge: '3' })
  t.equal(adds.length, 2)
  t.same(await ordersOf(monthly), [])
})

t.test('a panel refusal is thrown as it is, the order is rejected and its budget released', async (t) => {
  const refusal = new GatewayError('invalid_link', 'the panel refused the link')
  let answers: Array<Error | number> = [refusal, 778]
  const { place } = setUp(async () => {
    const next = answers[0] as Error | number
    answers = answers.slice(1)
    if (next instanceof Error) throw next
    return { order: next }
  })
  const owner = await tenant({ dailyBudget: '3' })
  t.equal(await place(owner, { service: 1, link: LINK, quantity: 1500 }).catch((e: unknown) => e), refusal)
  t.match(await place(owner, { service: 1, link: LINK, quantity: 1500 }), { panelOrderId: 778 }, 'the whole budget again: the refused one holds none')
  t.same((await ordersOf(owner)).map((o) => o.state), ['rejected', 'placed'])
})

t.test('a call that never left fails the order and releases its budget', async (t) => {
  const notSent: ErrorCode[] = ['upstream_unavailable', 'upstream_overloaded', 'upstream_timeout', 'upstream_rate_limited']
  for (const code of notSent) {
    const { place, metrics } = setUp(async () => { throw new GatewayError(code) })
    const owner = await tenant({ dailyBudget: '3' })
    t.match(await refused(place(owner, { service: 1, link: LINK, quantity: 1500 })), { code }, `${code}: thrown as it is`)
    t.match(await refused(place(owner, { service: 1, link: LINK, quantity: 1500 })), { code }, `${code}: the budget was released, so the retry was sent`)
    t.same((await ordersOf(owner)).map((o) => o.state), ['failed', 'failed'], code)
    t.equal(await unknownCount(metrics, 'answer_lost'), 0)
  }
})

t.test('an answer lost on the way back leaves the order unknown, its budget held, and says not to place it again', async (t) => {
  const lost = new GatewayError('upstream_timeout', 'no answer in time', { outcomeUnknown: true })
  const { place, metrics } = setUp(async () => { throw lost })
  const owner = await tenant({ dailyBudget: '5' })
  const err = await refused(place(owner, { service: 1, link: LINK, quantity: 1500 }))
  const [order] = await store.listOrders(owner.id, { limit: 10 })
  t.match(err, { code: 'upstream_outcome_unknown', statusCode: 502, outcomeUnknown: true, message: /do not place it again/ })
  t.same(err.extra, { orderId: order?.id })
  t.equal(err.cause, lost)
  t.equal(order?.state, 'unknown')
  t.equal(await unknownCount(metrics, 'answer_lost'), 1)
  t.same((await refused(place(owner, { service: 1, link: LINK, quantity: 1500 }))).extra,
    { limit: 'daily', budget: '5', spent: '3', estimatedCharge: '3' }, 'the unknown order still holds its 3')
})

t.test('a panel call failing with something other than a gateway error is treated as possibly placed', async (t) => {
  const { place, metrics } = setUp(async () => { throw new TypeError('socket hang up') })
  const owner = await tenant()
  t.match(await refused(place(owner, { service: 1, link: LINK, quantity: 100 })), { code: 'upstream_outcome_unknown', cause: { message: 'socket hang up' } })
  t.same((await ordersOf(owner)).map((o) => o.state), ['unknown'])
  t.equal(await unknownCount(metrics, 'answer_lost'), 1)
})

/** The real store with some methods replaced. */
function storeWith (overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get (target, prop, receiver) {
      const override = (overrides as Record<string | symbol, unknown>)[prop]
      if (override !== undefined) return override
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    }
  })
}

t.test('a reservation a retry took over before it was sent is not sent', async (t) => {
  // A retry with the same Idempotency-Key found this reservation stale and released it, between reserve and send.
  const racing = storeWith({
    reserveOrder: async (o) => {
      const reservation = await store.reserveOrder(o)
      if (reservation.ok) await store.markFailed(reservation.localId)
      return reservation
    }
  })
  const { place, adds } = setUp(undefined, racing)
  const owner = await tenant()
  t.match(await refused(place(owner, { service: 1, link: LINK, quantity: 100 })), { code: 'idempotency_in_flight', statusCode: 409, retryAfter: 1 })
  t.same(adds, [])
  t.same((await ordersOf(owner)).map((o) => o.state), ['failed'], 'left as the retry released it')
})

t.test('when the order cannot be marked as sending it fails and nothing is sent', async (t) => {
  const broken = storeWith({ markSending: async () => { throw new Error('database gone') } })
  const { place, adds } = setUp(undefined, broken)
  const owner = await tenant()
  t.match(await place(owner, { service: 1, link: LINK, quantity: 100 }).catch((e: unknown) => e), { message: 'database gone' })
  t.same(adds, [])
  t.same((await ordersOf(owner)).map((o) => o.state), ['failed'], 'the reservation released')
})

t.test('a placement the store no longer takes is answered as unknown and logged with the panel order id', async (t) => {
  // While the add was on its way the sweep made the order unknown and an operator resolved it as not placed.
  const { place, metrics, logged } = setUp(async () => {
    const [sending] = await store.listOrdersInState('sending', { limit: 1 })
    if (sending === undefined) throw new Error('no order is sending')
    await store.markUnknown(sending.localId)
    await store.resolveOrder(sending.id, { outcome: 'not_placed' })
    return { order: 9001 }
  })
  const owner = await tenant()
  const err = await refused(place(owner, { service: 1, link: LINK, quantity: 100 }))
  const order = (await store.listOrdersInState('failed', { limit: 100 })).find((o) => o.tenantId === owner.id)
  t.match(err, { code: 'upstream_outcome_unknown', extra: { orderId: order?.id } })
  t.equal(await unknownCount(metrics, 'record_failed'), 1)
  t.equal(logged.length, 1)
  t.match(logged, [{ level: 'error', bindings: { order: order?.id, tenant: owner.id }, obj: { panelOrderId: 9001 }, msg: /placed on the panel but not recorded/ }])
})

t.test('a panel order id handed out again supersedes the older order, counted and logged', async (t) => {
  const { place, metrics, logged } = setUp(async () => ({ order: 4242 }))
  const owner = await tenant()
  const first = await place(owner, { service: 1, link: LINK, quantity: 100 })
  const second = await place(owner, { service: 1, link: LINK, quantity: 200 })
  t.equal(second.panelOrderId, 4242)
  t.equal((await metrics.panelIdReused.get()).values[0]?.value, 1)
  t.equal(logged.length, 1)
  t.match(logged, [{ level: 'warn', bindings: { order: second.id }, obj: { panelOrderId: 4242, superseded: 1 } }])
  t.equal((await store.getOrder(owner.id, first.id))?.panelSuperseded, true)
  t.equal((await store.getOrder(owner.id, second.id))?.panelSuperseded, false)
})

t.test('with an Idempotency-Key the claim is linked to the order it placed', async (t) => {
  const { place } = setUp()
  const owner = await tenant()
  const claim = { tenantId: owner.id, key: 'place-1', fingerprint: 'f', route: 'POST /orders', ttlSeconds: 60 }
  t.same(await store.claimIdempotency(claim), { state: 'claimed' })
  const placed = await place(owner, { service: 1, link: LINK, quantity: 100 }, 'place-1')
  t.match(await store.claimIdempotency(claim), { state: 'placed', order: { id: placed.id, panelOrderId: 777 } })
})
