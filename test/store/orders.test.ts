import t from 'tap'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import { eachEngine, newTenant } from './helper.js'

let nextUpstreamId = 1000

const PANEL = 'test-panel'
const GATEWAY_ID_BOUND = 2 ** 48

/** reserve → sending → placed with a panel id; `panelOrderId` repeats one the panel gave before */
async function place (store: KyselyStore, tenantId: number, extra: { estimatedCharge?: string | null, service?: number, panelOrderId?: number, panel?: string } = {}): Promise<{ localId: number, id: number, panelOrderId: number, superseded: number }> {
  const panel = extra.panel ?? PANEL
  const reserved = await store.reserveOrder({
    tenantId,
    panel,
    service: extra.service ?? 1,
    request: { link: 'https://example.com/p/1', quantity: 100 },
    quantity: 100,
    estimatedCharge: extra.estimatedCharge ?? '0.5',
    dailyBudget: null,
    monthlyBudget: null
  })
  if (!reserved.ok) throw new Error('unexpected refusal')
  const panelOrderId = extra.panelOrderId ?? ++nextUpstreamId
  if (!await store.markSending(reserved.localId)) throw new Error('not reserved')
  const { placed, superseded } = await store.markPlaced(reserved.localId, panel, panelOrderId)
  if (!placed) throw new Error('not placed')
  return { localId: reserved.localId, id: reserved.id, panelOrderId, superseded }
}

async function reserve (store: KyselyStore, tenantId: number, estimatedCharge: string) {
  const reserved = await store.reserveOrder({ tenantId, panel: PANEL, service: 1, request: {}, quantity: 1, estimatedCharge, dailyBudget: null, monthlyBudget: null })
  if (!reserved.ok) throw new Error('refused')
  return reserved
}

const COMPLETED = { status: 'completed', upstreamStatus: 'Completed', charge: '0.4', startCount: 10, remains: 0, currency: 'USD', final: true }
const PENDING = { status: 'pending', upstreamStatus: 'Pending', charge: '0.5', startCount: 0, remains: 100, currency: 'USD', final: false }

await eachEngine(t, async (t, { store }) => {
  t.test('reserveOrder records a reserved order under a gateway id; markPlaced adds the panel id beside it', async (t) => {
    const tenant = await newTenant(store)
    const request = { link: 'https://example.com/x', quantity: 250, comments: 'a\nb', nested: { ok: true } }
    const now = new Date('2031-05-06T07:08:09.010Z')
    const reserved = await store.reserveOrder({ tenantId: tenant.id, panel: PANEL, service: 42, request, quantity: 250, estimatedCharge: '0.27819', dailyBudget: null, monthlyBudget: null, now })
    t.match(reserved, { ok: true })
    if (!reserved.ok) return
    t.ok(Number.isSafeInteger(reserved.id) && reserved.id >= 1 && reserved.id < GATEWAY_ID_BOUND, 'a gateway id below 2^48')
    t.not(reserved.id, reserved.localId)
    t.match(await store.getOrder(tenant.id, reserved.id), { localId: reserved.localId, id: reserved.id, state: 'reserved', panel: PANEL, panelOrderId: null }, 'no panel id yet')
    t.same(await store.listOrders(tenant.id, { limit: 10 }), [], 'reserved orders are not listed')

    t.equal(await store.markSending(reserved.localId), true)
    t.match(await store.getOrder(tenant.id, reserved.id), { state: 'sending', panelOrderId: null })
    t.same(await store.listOrders(tenant.id, { limit: 10 }), [], 'sending orders are not listed')
    t.same(await store.markPlaced(reserved.localId, PANEL, 777_001), { placed: true, superseded: 0 })
    t.equal(await store.getOrder(tenant.id, 777_001), undefined, 'the panel id is not an id of ours')
    const order = await store.getOrder(tenant.id, reserved.id)
    t.match(order, {
      localId: reserved.localId,
      id: reserved.id,
      panel: PANEL,
      panelOrderId: 777_001,
      panelSuperseded: false,
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
    const reserved = await store.reserveOrder({ tenantId: tenant.id, panel: PANEL, service: 1, request: {}, quantity: null, estimatedCharge: null, dailyBudget: '1', monthlyBudget: '1' })
    t.match(reserved, { ok: true })
    if (!reserved.ok) return
    t.equal(await store.markSending(reserved.localId), true)
    t.match(await store.markPlaced(reserved.localId, PANEL, 777_002), { placed: true })
    t.match(await store.getOrder(tenant.id, reserved.id), { panelOrderId: 777_002, quantity: null, estimatedCharge: null })
  })

  t.test('markFailed and markUnknown set the state', async (t) => {
    const tenant = await newTenant(store)
    const a = await reserve(store, tenant.id, '1')
    const b = await reserve(store, tenant.id, '2')
    t.equal(await store.markFailed(a.localId), true)
    t.equal(await store.markUnknown(b.localId), false, 'a reserved order was never sent: it cannot be unknown')
    t.equal(await store.markSending(b.localId), true)
    t.equal(await store.markUnknown(b.localId), true)
    t.match(await store.getOrder(tenant.id, a.id), { state: 'failed' })
    t.match(await store.getOrder(tenant.id, b.id), { state: 'unknown' })
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

  t.test('listOrders resolves `after` within the tenant: another tenant\'s order, or none, is no place to start', async (t) => {
    const alice = await newTenant(store)
    const bob = await newTenant(store)
    const hers = []
    const his = []
    for (let i = 0; i < 3; i++) {
      hers.push(await place(store, alice.id))
      his.push(await place(store, bob.id))
    }
    const [first, second, third] = hers
    t.same((await store.listOrders(alice.id, { limit: 10, after: third?.id }))?.map((o) => o.id), [second?.id, first?.id], 'her own order: the ones before it, none of his between')
    t.equal(await store.listOrders(alice.id, { limit: 10, after: his[2]?.id }), undefined, 'his newest order: refused, not a page from its row')
    t.equal(await store.listOrders(bob.id, { limit: 10, after: third?.id }), undefined, 'and the other way round')
    t.equal(await store.listOrders(alice.id, { limit: 10, after: 2 ** 48 - 1 }), undefined, 'an id no order has')
    t.same(await store.listOrders(alice.id, { limit: 10, after: first?.id }), [], 'her oldest: an empty page, not a refusal')

    const failed = await reserve(store, alice.id, '1')
    await store.markFailed(failed.localId)
    t.same((await store.listOrders(alice.id, { limit: 10, after: failed.id }))?.map((o) => o.id), [third?.id, second?.id, first?.id],
      'an order of hers that is no longer listed still marks a place')
    t.same((await store.listOrders(alice.id, { limit: 10, status: 'completed', after: third?.id })), [], 'with a filter the start is the same row')
  })

  t.test('listOrdersInState pages across tenants after an order named by its public id', async (t) => {
    const alice = await newTenant(store)
    const bob = await newTenant(store)
    const state = 'rejected'
    const rejected: number[] = []
    for (const tenant of [alice, bob, alice, bob]) {
      const r = await reserve(store, tenant.id, '0.1')
      await store.markSending(r.localId)
      await store.markRejected(r.localId)
      rejected.push(r.id)
    }
    const newest = [...rejected].reverse()
    const all = (await store.listOrdersInState(state, { limit: 1000 })).map((o) => o.id)
    const start = all.indexOf(newest[0] as number)
    t.same(all.slice(start, start + 4), newest, 'newest first, both tenants')
    t.same((await store.listOrdersInState(state, { limit: 2, after: newest[1] }))?.map((o) => o.id), newest.slice(2, 4))
    t.same((await store.listOrdersInState(state, { limit: 2, after: newest[3] }))?.map((o) => o.id).filter((id) => rejected.includes(id)), [], 'after the oldest: none of these')
    t.equal(await store.listOrdersInState(state, { limit: 2, after: 2 ** 48 - 1 }), undefined, 'an id no order has')
  })

  t.test('listOrders lists placed orders newest first, with a cursor and a status filter', async (t) => {
    const tenant = await newTenant(store)
    const other = await newTenant(store)
    const orders = []
    for (let i = 0; i < 5; i++) orders.push(await place(store, tenant.id))
    await place(store, other.id)
    const failed = await reserve(store, tenant.id, '1')
    await store.markFailed(failed.localId)

    const newest = [...orders].reverse().map((o) => o.localId)
    const page1 = await store.listOrders(tenant.id, { limit: 2 })
    t.same(page1.map((o) => o.localId), newest.slice(0, 2))
    const page2 = await store.listOrders(tenant.id, { limit: 2, after: page1[1]?.id })
    t.same(page2?.map((o) => o.localId), newest.slice(2, 4), 'after names the last order by its public id')
    const page3 = await store.listOrders(tenant.id, { limit: 2, after: page2?.[1]?.id })
    t.same(page3?.map((o) => o.localId), newest.slice(4))

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
    const reserved = await store.reserveOrder({ tenantId: tenant.id, panel: PANEL, service: 2 ** 33, request: {}, quantity: 2 ** 40, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null })
    if (!reserved.ok) throw new Error('refused')
    const panelOrderId = Number.MAX_SAFE_INTEGER - 1
    t.equal(await store.markSending(reserved.localId), true)
    t.match(await store.markPlaced(reserved.localId, PANEL, panelOrderId), { placed: true })
    await store.updateOrderStatus(tenant.id, reserved.localId, { status: 'in_progress', upstreamStatus: 'In progress', charge: '1', startCount: 2 ** 45, remains: 2 ** 41, currency: 'USD', final: false })
    t.match(await store.getOrder(tenant.id, reserved.id), { id: reserved.id, panelOrderId, service: 2 ** 33, quantity: 2 ** 40, startCount: 2 ** 45, remains: 2 ** 41 })
  })

  t.test('a panel id that repeats across tenants: each tenant sees and updates only its own row; the older is superseded', async (t) => {
    const alice = await newTenant(store)
    const bob = await newTenant(store)
    const panelOrderId = ++nextUpstreamId
    const hers = await place(store, alice.id, { panelOrderId })
    await store.updateOrderStatus(alice.id, hers.localId, COMPLETED)
    const before = await store.getOrder(alice.id, hers.id)
    const his = await place(store, bob.id, { panelOrderId, estimatedCharge: '7' })
    t.equal(his.superseded, 1, 'the panel handed the id out again: the older order is superseded')
    t.not(his.id, hers.id, 'each order has its own gateway id')
    await store.updateOrderStatus(bob.id, his.localId, PENDING)
    const after = await store.getOrder(alice.id, hers.id)
    t.same(after && { ...after, updatedAt: null }, before && { ...before, panelSuperseded: true, updatedAt: null }, 'her row keeps what it knew, only marked superseded')
    t.equal(await store.getOrder(alice.id, his.id), undefined, 'his order is not hers')
    t.match(await store.getOrder(bob.id, his.id), { localId: his.localId, panelOrderId, panelSuperseded: false, status: 'pending', charge: '0.5', final: false })
    t.same(await store.spend(alice.id), { today: '0.4', month: '0.4' })
    await store.updateOrderStatus(alice.id, his.localId, COMPLETED)
    t.match(await store.getOrder(bob.id, his.id), { status: 'pending', final: false }, 'another tenant\'s row is never changed')
  })

  t.test('the same panel id on another panel supersedes nothing', async (t) => {
    const alice = await newTenant(store)
    const bob = await newTenant(store)
    const panelOrderId = ++nextUpstreamId
    const hers = await place(store, alice.id, { panelOrderId })
    const before = await store.getOrder(alice.id, hers.id)
    const his = await place(store, bob.id, { panelOrderId, panel: 'other-panel' })
    t.equal(his.superseded, 0)
    t.same(await store.getOrder(alice.id, hers.id), before, 'her row is untouched')
    t.match(await store.getOrder(bob.id, his.id), { panel: 'other-panel', panelOrderId, panelSuperseded: false })
  })

  t.test('a panel id that repeats for one tenant: both orders keep their gateway ids; the older keeps its status, superseded', async (t) => {
    const tenant = await newTenant(store)
    const panelOrderId = ++nextUpstreamId
    const old = await place(store, tenant.id, { panelOrderId })
    await store.updateOrderStatus(tenant.id, old.localId, COMPLETED)
    const newer = await place(store, tenant.id, { panelOrderId })
    t.equal(newer.superseded, 1)
    t.match(await store.getOrder(tenant.id, newer.id), { localId: newer.localId, panelOrderId, panelSuperseded: false })
    t.match(await store.getOrder(tenant.id, old.id), { localId: old.localId, panelOrderId, panelSuperseded: true, status: 'completed', final: true })
    const both = await store.getOrders(tenant.id, [old.id, newer.id])
    t.equal(both.get(newer.id)?.localId, newer.localId)
    t.equal(both.get(old.id)?.localId, old.localId)
    await store.updateOrderStatus(tenant.id, newer.localId, PENDING)
    const listed = await store.listOrders(tenant.id, { limit: 10 })
    t.match(listed, [{ localId: newer.localId, status: 'pending', final: false }, { localId: old.localId, status: 'completed', final: true }])
  })

  t.test('getRefills answers which ids belong to the tenant', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    const [o1, o2, o3] = [await place(store, a.id), await place(store, a.id), await place(store, b.id)]
    const r1 = await store.recordRefill({ tenantId: a.id, orderLocalId: o1.localId, panel: PANEL, panelRefillId: 501 })
    const r2 = await store.recordRefill({ tenantId: a.id, orderLocalId: o2.localId, panel: PANEL, panelRefillId: 502 })
    const r3 = await store.recordRefill({ tenantId: b.id, orderLocalId: o3.localId, panel: PANEL, panelRefillId: 503 })
    t.match(r2, { panel: PANEL, panelRefillId: 502, orderId: o2.id, orderLocalId: o2.localId, tenantId: a.id, createdAt: Date })
    t.ok(r2.id >= 1 && r2.id < GATEWAY_ID_BOUND, 'a gateway refill id below 2^48')
    const mine = await store.getRefills(a.id, [r1.id, r2.id, r3.id, 504])
    t.same([...mine.keys()].sort(), [r1.id, r2.id].sort())
    t.match(mine.get(r2.id), { id: r2.id, panelRefillId: 502, orderId: o2.id, tenantId: a.id, createdAt: Date })
    t.same(mine.get(r2.id), r2, 'read back as recorded')
    t.same([...(await store.getRefills(a.id, [501, 502])).keys()], [], 'panel refill ids are not ids of ours')
    t.same([...(await store.getRefills(b.id, [r1.id, r2.id, r3.id])).keys()], [r3.id])
    t.same(await store.getRefills(a.id, []), new Map())
  })

  t.test('recordRefill keeps every record: a refill id that repeats is recorded again, under a gateway id of its own', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    const [oa, ob, oa2] = [await place(store, a.id), await place(store, b.id), await place(store, a.id)]
    const first = await store.recordRefill({ tenantId: a.id, orderLocalId: oa.localId, panel: PANEL, panelRefillId: 601 })
    const again = await store.recordRefill({ tenantId: b.id, orderLocalId: ob.localId, panel: PANEL, panelRefillId: 601 })
    t.not(again.id, first.id)
    t.match((await store.getRefills(b.id, [again.id])).get(again.id), { panelRefillId: 601, orderId: ob.id, tenantId: b.id }, 'the panel gave the id again: recorded for the new owner')
    t.match((await store.getRefills(a.id, [first.id])).get(first.id), { panelRefillId: 601, orderId: oa.id, tenantId: a.id }, 'the first owner keeps its record')
    const third = await store.recordRefill({ tenantId: a.id, orderLocalId: oa2.localId, panel: PANEL, panelRefillId: 601 })
    const hers = await store.getRefills(a.id, [first.id, third.id, third.id])
    t.match(hers.get(third.id), { orderId: oa2.id }, 'the tenant\'s newer record is its own')
    t.match(hers.get(first.id), { orderId: oa.id }, 'and the older one is kept')
  })

  t.test('getRefills handles more ids than one query takes', async (t) => {
    const a = await newTenant(store)
    const order = await place(store, a.id)
    const recorded: number[] = []
    for (let i = 0; i < 12; i++) recorded.push((await store.recordRefill({ tenantId: a.id, orderLocalId: order.localId, panel: PANEL, panelRefillId: 10_000 + i * 100 })).id)
    const ids = [...Array.from({ length: 1200 }, (_, i) => 10_000 + i), ...recorded]
    t.same([...(await store.getRefills(a.id, ids)).keys()].sort(), [...recorded].sort())
  })

  t.test('refill ids beyond 2^31 survive', async (t) => {
    const a = await newTenant(store)
    const order = await place(store, a.id, { panelOrderId: 2 ** 35 })
    const panelRefillId = 2 ** 40 + 7
    const refill = await store.recordRefill({ tenantId: a.id, orderLocalId: order.localId, panel: PANEL, panelRefillId })
    t.match((await store.getRefills(a.id, [refill.id])).get(refill.id), { id: refill.id, panelRefillId, orderId: order.id })
    t.match(await store.getOrder(a.id, order.id), { panelOrderId: 2 ** 35 })
  })
})
