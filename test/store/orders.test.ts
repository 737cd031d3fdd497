import t from 'tap'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import { eachEngine, newTenant } from './helper.js'

let nextUpstreamId = 1000

async function place (store: KyselyStore, tenantId: number, extra: { estimatedCharge?: string | null, service?: number, id?: number } = {}): Promise<{ localId: number, id: number }> {
  const reserved = await store.reserveOrder({
    tenantId,
    service: extra.service ?? 1,
    request: { link: 'https://example.com/p/1', quantity: 100 },
    quantity: 100,
    estimatedCharge: extra.estimatedCharge ?? '0.5',
    dailyBudget: null,
    monthlyBudget: null
  })
  if (!reserved.ok) throw new Error('unexpected refusal')
  const id = extra.id ?? ++nextUpstreamId
  await store.markPlaced(reserved.localId, id)
  return { localId: reserved.localId, id }
}

const COMPLETED = { status: 'completed', upstreamStatus: 'Completed', charge: '0.4', startCount: 10, remains: 0, currency: 'USD', final: true }
const PENDING = { status: 'pending', upstreamStatus: 'Pending', charge: '0.5', startCount: 0, remains: 100, currency: 'USD', final: false }

await eachEngine(t, async (t, { store }) => {
  t.test('reserveOrder records a reserved order; markPlaced makes it findable by the panel id', async (t) => {
    const tenant = await newTenant(store)
    const request = { link: 'https://example.com/x', quantity: 250, comments: 'a\nb', nested: { ok: true } }
    const now = new Date('2031-05-06T07:08:09.010Z')
    const reserved = await store.reserveOrder({ tenantId: tenant.id, service: 42, request, quantity: 250, estimatedCharge: '0.27819', dailyBudget: null, monthlyBudget: null, now })
    t.match(reserved, { ok: true })
    if (!reserved.ok) return
    t.equal(await store.getOrder(tenant.id, reserved.localId), undefined, 'no panel id yet')
    t.same(await store.listOrders(tenant.id, { limit: 10 }), [], 'reserved orders are not listed')

    await store.markPlaced(reserved.localId, 777_001)
    const order = await store.getOrder(tenant.id, 777_001)
    t.match(order, {
      localId: reserved.localId,
      id: 777_001,
      tenantId: tenant.id,
      service: 42,
      request,
      quantity: 250,
      estimatedCharge: '0.27819',
      charge: null,
      state: 'placed',
      status: 'pending',
      upstreamStatus: null,
      startCount: null,
      remains: null,
      currency: null,
      final: false
    })
    t.same(order?.request, request, 'request JSON round-trips exactly')
    t.same(order?.createdAt, now)
  })

  t.test('reserveOrder accepts a null quantity and estimate', async (t) => {
    const tenant = await newTenant(store)
    const reserved = await store.reserveOrder({ tenantId: tenant.id, service: 1, request: {}, quantity: null, estimatedCharge: null, dailyBudget: '1', monthlyBudget: '1' })
    t.match(reserved, { ok: true })
    if (!reserved.ok) return
    await store.markPlaced(reserved.localId, 777_002)
    t.match(await store.getOrder(tenant.id, 777_002), { quantity: null, estimatedCharge: null })
  })

  t.test('markFailed and markUnknown set the state', async (t) => {
    const tenant = await newTenant(store)
    const a = await store.reserveOrder({ tenantId: tenant.id, service: 1, request: {}, quantity: 1, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null })
    const b = await store.reserveOrder({ tenantId: tenant.id, service: 1, request: {}, quantity: 1, estimatedCharge: '2', dailyBudget: null, monthlyBudget: null })
    if (!a.ok || !b.ok) throw new Error('refused')
    await store.markFailed(a.localId)
    await store.markUnknown(b.localId)
    t.same(await store.spend(tenant.id), { today: '2', month: '2' }, 'failed released, unknown held')
  })

  t.test('getOrder and getOrders never return another tenant\'s order', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    const mine = await place(store, a.id)
    const theirs = await place(store, b.id)
    t.equal(await store.getOrder(a.id, theirs.id), undefined)
    t.equal((await store.getOrder(b.id, theirs.id))?.id, theirs.id)
    const found = await store.getOrders(a.id, [mine.id, theirs.id, 999_999_999])
    t.same([...found.keys()], [mine.id])
    t.equal(found.get(mine.id)?.tenantId, a.id)
    t.same(await store.getOrders(a.id, []), new Map())
  })

  t.test('getOrders handles more ids than one query takes', async (t) => {
    const tenant = await newTenant(store)
    const placed = []
    for (let i = 0; i < 3; i++) placed.push(await place(store, tenant.id))
    const ids = [...Array.from({ length: 1100 }, (_, i) => 50_000_000 + i), ...placed.map((o) => o.id), placed[0]?.id ?? 0]
    const found = await store.getOrders(tenant.id, ids)
    t.same([...found.keys()].sort(), placed.map((o) => o.id).sort())
  })

  t.test('listOrders lists placed orders newest first, with a cursor and a status filter', async (t) => {
    const tenant = await newTenant(store)
    const other = await newTenant(store)
    const orders = []
    for (let i = 0; i < 5; i++) orders.push(await place(store, tenant.id))
    await place(store, other.id)
    const failed = await store.reserveOrder({ tenantId: tenant.id, service: 1, request: {}, quantity: 1, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null })
    if (failed.ok) await store.markFailed(failed.localId)

    const newest = [...orders].reverse().map((o) => o.localId)
    const page1 = await store.listOrders(tenant.id, { limit: 2 })
    t.same(page1.map((o) => o.localId), newest.slice(0, 2))
    const page2 = await store.listOrders(tenant.id, { limit: 2, before: page1[1]?.localId })
    t.same(page2.map((o) => o.localId), newest.slice(2, 4))
    const page3 = await store.listOrders(tenant.id, { limit: 2, before: page2[1]?.localId })
    t.same(page3.map((o) => o.localId), newest.slice(4))

    const done = { status: 'completed', upstreamStatus: 'Completed', charge: '0.5', startCount: 10, remains: 0, currency: 'USD', final: true }
    await store.updateOrderStatus(tenant.id, orders[1]?.localId ?? 0, done)
    await store.updateOrderStatus(tenant.id, orders[3]?.localId ?? 0, done)
    const completed = await store.listOrders(tenant.id, { limit: 10, status: 'completed' })
    t.same(completed.map((o) => o.localId), [orders[3]?.localId, orders[1]?.localId])
    t.same(await store.listOrders(tenant.id, { limit: 10, status: 'canceled' }), [])
  })

  t.test('updateOrderStatus stores the panel\'s report', async (t) => {
    const tenant = await newTenant(store)
    const { id, localId } = await place(store, tenant.id, { estimatedCharge: '0.5' })
    const before = await store.getOrder(tenant.id, id)
    await new Promise((resolve) => setTimeout(resolve, 5))
    await store.updateOrderStatus(tenant.id, localId, { status: 'in_progress', upstreamStatus: 'In progress', charge: '0.48765432', startCount: 1234, remains: 55, currency: 'USD', final: false })
    const order = await store.getOrder(tenant.id, id)
    t.match(order, { status: 'in_progress', upstreamStatus: 'In progress', charge: '0.48765432', estimatedCharge: '0.5', startCount: 1234, remains: 55, currency: 'USD', final: false })
    t.ok(order !== undefined && before !== undefined && order.updatedAt > before.updatedAt)
    t.same(order?.createdAt, before?.createdAt)

    await store.updateOrderStatus(tenant.id, localId, { status: 'partial', upstreamStatus: 'Partial', charge: null, startCount: null, remains: null, currency: null, final: true })
    t.match(await store.getOrder(tenant.id, id), { status: 'partial', charge: null, startCount: null, remains: null, currency: null, final: true })
    await t.resolves(store.updateOrderStatus(tenant.id, 888_888_888, { status: 'completed', upstreamStatus: 'Completed', charge: null, startCount: null, remains: null, currency: null, final: true }), 'an unknown row is a no-op')
  })

  t.test('order and panel ids beyond 2^31 survive', async (t) => {
    const tenant = await newTenant(store)
    const reserved = await store.reserveOrder({ tenantId: tenant.id, service: 2 ** 33, request: {}, quantity: 2 ** 40, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null })
    if (!reserved.ok) throw new Error('refused')
    const id = Number.MAX_SAFE_INTEGER - 1
    await store.markPlaced(reserved.localId, id)
    await store.updateOrderStatus(tenant.id, reserved.localId, { status: 'in_progress', upstreamStatus: 'In progress', charge: '1', startCount: 2 ** 45, remains: 2 ** 41, currency: 'USD', final: false })
    t.match(await store.getOrder(tenant.id, id), { id, service: 2 ** 33, quantity: 2 ** 40, startCount: 2 ** 45, remains: 2 ** 41 })
  })

  t.test('a panel id that repeats across tenants: each tenant sees and updates only its own row', async (t) => {
    const alice = await newTenant(store)
    const bob = await newTenant(store)
    const id = ++nextUpstreamId
    const hers = await place(store, alice.id, { id })
    await store.updateOrderStatus(alice.id, hers.localId, COMPLETED)
    const before = await store.getOrder(alice.id, id)
    const his = await place(store, bob.id, { id, estimatedCharge: '7' })
    await store.updateOrderStatus(bob.id, his.localId, PENDING)
    t.same(await store.getOrder(alice.id, id), before, 'her row is untouched')
    t.match(await store.getOrder(bob.id, id), { localId: his.localId, status: 'pending', charge: '0.5', final: false })
    t.same(await store.spend(alice.id), { today: '0.4', month: '0.4' })
    await store.updateOrderStatus(alice.id, his.localId, COMPLETED)
    t.match(await store.getOrder(bob.id, id), { status: 'pending', final: false }, 'another tenant\'s row is never changed')
  })

  t.test('a panel id that repeats for one tenant resolves to the newest order; the older keeps its status', async (t) => {
    const tenant = await newTenant(store)
    const id = ++nextUpstreamId
    const old = await place(store, tenant.id, { id })
    await store.updateOrderStatus(tenant.id, old.localId, COMPLETED)
    const newer = await place(store, tenant.id, { id })
    t.equal((await store.getOrder(tenant.id, id))?.localId, newer.localId)
    t.equal((await store.getOrders(tenant.id, [id])).get(id)?.localId, newer.localId)
    await store.updateOrderStatus(tenant.id, newer.localId, PENDING)
    const listed = await store.listOrders(tenant.id, { limit: 10 })
    t.match(listed, [{ localId: newer.localId, status: 'pending', final: false }, { localId: old.localId, status: 'completed', final: true }])
  })

  t.test('getRefills answers which ids belong to the tenant', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    await store.recordRefill({ id: 501, orderId: 11, tenantId: a.id })
    await store.recordRefill({ id: 502, orderId: 12, tenantId: a.id })
    await store.recordRefill({ id: 503, orderId: 13, tenantId: b.id })
    const mine = await store.getRefills(a.id, [501, 502, 503, 504])
    t.same([...mine.keys()].sort(), [501, 502])
    t.match(mine.get(502), { id: 502, orderId: 12, tenantId: a.id, createdAt: Date })
    t.same([...(await store.getRefills(b.id, [501, 502, 503])).keys()], [503])
    t.same(await store.getRefills(a.id, []), new Map())
  })

  t.test('recordRefill keeps every record: a refill id that repeats belongs to each tenant that got it, the newest first', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    await store.recordRefill({ id: 601, orderId: 21, tenantId: a.id })
    await store.recordRefill({ id: 601, orderId: 99, tenantId: b.id })
    t.match((await store.getRefills(b.id, [601])).get(601), { orderId: 99, tenantId: b.id }, 'the panel gave the id again: recorded for the new owner')
    t.match((await store.getRefills(a.id, [601])).get(601), { orderId: 21, tenantId: a.id }, 'the first owner keeps its record')
    await store.recordRefill({ id: 601, orderId: 22, tenantId: a.id })
    t.match((await store.getRefills(a.id, [601, 601])).get(601), { orderId: 22 }, 'the newest record of the tenant wins')
  })

  t.test('getRefills handles more ids than one query takes', async (t) => {
    const a = await newTenant(store)
    const ids = Array.from({ length: 1200 }, (_, i) => 10_000 + i)
    for (const id of ids.filter((id) => id % 100 === 0)) await store.recordRefill({ id, orderId: 1, tenantId: a.id })
    t.same([...(await store.getRefills(a.id, ids)).keys()].sort(), ids.filter((id) => id % 100 === 0))
  })

  t.test('refill ids beyond 2^31 survive', async (t) => {
    const a = await newTenant(store)
    const id = 2 ** 40 + 7
    await store.recordRefill({ id, orderId: 2 ** 35, tenantId: a.id })
    t.match((await store.getRefills(a.id, [id])).get(id), { id, orderId: 2 ** 35 })
  })
})
