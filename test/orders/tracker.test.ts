import t from 'tap'
import { ADMIN_TOKEN, gateway, type Gateway, type TestContext } from '../helper.js'
import { testClock, type TestClock } from '../fixtures/time.js'
import { toUnits } from '../../src/store/money.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'

const MIN = 1000
const MAX = 8000
const ENV = { TRACKER_MIN_INTERVAL_MS: String(MIN), TRACKER_MAX_INTERVAL_MS: String(MAX) }

interface Placed { id: number, panelOrderId: number }

async function setup (t: TestContext): Promise<{ gw: Gateway, clock: TestClock, place: () => Promise<Placed> }> {
  const clock = testClock()
  const gw = await gateway(t, { clock, env: ENV })
  const { items } = (await gw.request({ url: '/services?type=Default&limit=1' })).json()
  const service = items[0]
  const place = async (): Promise<Placed> => {
    const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://instagram.com/tracked', quantity: service.min } })
    if (res.statusCode !== 201) throw new Error(`not placed: ${res.body}`)
    const body = res.json() as Placed
    // Pinned: the simulator's own progress would race the test's steps.
    gw.sim.setOrderStatus(body.panelOrderId, 'Pending')
    return body
  }
  return { gw, clock, place }
}

async function events (gw: Gateway, type?: string) {
  const all = await gw.app.store.listEvents(undefined, { limit: 100 }) ?? []
  return all.filter((e) => type === undefined || e.type === type)
}

async function localId (gw: Gateway, id: number): Promise<number> {
  const order = await gw.app.store.getOrder(gw.tenant.id, id)
  if (order === undefined) throw new Error('no order')
  return order.localId
}

t.test('an order nobody reads is tracked to its end: events, spend, no polls after final', async (t) => {
  const { gw, clock, place } = await setup(t)
  const placed = await place()
  t.match(await events(gw), [{ type: 'order.created', tenantId: gw.tenant.id, data: { order: { id: placed.id, status: 'pending' } } }])

  t.same(await gw.app.tracker.tick(), { orders: 0, refills: 0 }, 'not due before the minimum interval')
  gw.sim.setOrderStatus(placed.panelOrderId, 'In progress')
  clock.advance(MIN)
  t.same(await gw.app.tracker.tick(), { orders: 1, refills: 0 })
  const changed = await events(gw, 'order.status_changed')
  t.equal(changed.length, 1)
  t.match(changed[0]?.data, { order: { id: placed.id, status: 'in_progress' }, previous: { status: 'pending' } })

  gw.sim.setOrderStatus(placed.panelOrderId, 'Completed')
  clock.advance(MIN)
  await gw.app.tracker.tick()
  const all = await events(gw)
  t.same(all.map((e) => e.type), ['order.created', 'order.status_changed', 'order.status_changed', 'order.completed'])
  t.match(all[2]?.data, { order: { status: 'completed' }, previous: { status: 'in_progress' } })
  const shown = (await gw.request({ url: `/orders/${placed.id}` })).json()
  t.same(all[3]?.data, { order: shown }, 'data.order is the order as GET /orders/:id shows it')

  const charge = gw.sim.order(placed.panelOrderId)?.charge
  t.equal(Number((await gw.app.store.spend(gw.tenant.id, new Date(clock.now()))).today), Number(charge), 'the spend is the panel\'s charge without a tenant lookup')

  const polls = gw.sim.calls('status')
  for (let i = 0; i < 3; i++) {
    clock.advance(MAX)
    await gw.app.tracker.tick()
  }
  t.equal(gw.sim.calls('status'), polls, 'a final order is not polled again')
  t.equal((await events(gw)).length, 4)
})

t.test('partial carries the refund; canceled its own event', async (t) => {
  const { gw, clock, place } = await setup(t)
  const partial = await place()
  const canceled = await place()
  gw.sim.setOrderStatus(partial.panelOrderId, 'In progress')
  clock.advance(MIN)
  t.same(await gw.app.tracker.tick(), { orders: 2, refills: 0 })
  const charged = gw.sim.order(partial.panelOrderId)?.charge ?? ''
  gw.sim.setOrderStatus(partial.panelOrderId, 'Partial')
  gw.sim.setOrderStatus(canceled.panelOrderId, 'Canceled')
  clock.advance(4 * MIN)
  t.same(await gw.app.tracker.tick(), { orders: 2, refills: 0 })
  const [p] = await events(gw, 'order.partial')
  const now = gw.sim.order(partial.panelOrderId)?.charge ?? ''
  t.ok(Number(now) < Number(charged), 'the panel refunded part')
  const data = p?.data as { order: { id: number, status: string, charge: string }, refund: string }
  t.match(data.order, { id: partial.id, status: 'partial' })
  t.equal(Number(data.order.charge), Number(now))
  t.equal(toUnits(data.refund), toUnits(charged) - toUnits(now), 'refund: the charge before less the charge now')
  const [c] = await events(gw, 'order.canceled')
  t.match(c?.data, { order: { id: canceled.id, status: 'canceled' } })
  t.equal((await events(gw, 'order.completed')).length, 0)
})

t.test('a change a tenant\'s GET sees first is announced once', async (t) => {
  const { gw, clock, place } = await setup(t)
  const placed = await place()
  gw.sim.setOrderStatus(placed.panelOrderId, 'In progress')
  t.equal((await gw.request({ url: `/orders/${placed.id}` })).json().status, 'in_progress')
  t.equal((await events(gw, 'order.status_changed')).length, 1)
  clock.advance(MIN)
  t.same(await gw.app.tracker.tick(), { orders: 1, refills: 0 })
  t.equal((await events(gw, 'order.status_changed')).length, 1, 'the tracker saw no change')
  await gw.request({ url: `/orders/${placed.id}` })
  t.equal((await events(gw, 'order.status_changed')).length, 1)
})

t.test('the gap doubles while nothing changes, up to the max, and is back to the min after a change', async (t) => {
  const { gw, clock, place } = await setup(t)
  const placed = await place()
  const store = gw.app.store as KyselyStore
  const id = await localId(gw, placed.id)
  const gaps: number[] = []
  for (let i = 0; i < 5; i++) {
    const due = (await store.orderSchedule(id))?.nextPollAt
    if (due == null) throw new Error('not scheduled')
    clock.advance(due.getTime() - clock.now())
    clock.freeze()
    t.equal((await gw.app.tracker.tick()).orders, 1)
    const next = (await store.orderSchedule(id))?.nextPollAt
    gaps.push((next?.getTime() ?? 0) - clock.now())
    clock.resume()
  }
  t.same(gaps, [2 * MIN, 4 * MIN, MAX, MAX, MAX])
  gw.sim.setOrderStatus(placed.panelOrderId, 'In progress')
  clock.advance(MAX)
  clock.freeze()
  await gw.app.tracker.tick()
  t.equal(((await store.orderSchedule(id))?.nextPollAt?.getTime() ?? 0) - clock.now(), MIN)
  clock.resume()
})

t.test('a refill is tracked: refill.status_changed until final', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock, env: ENV })
  const service = (await gw.request({ url: '/services?type=Default&refill=true' })).json().items[0]
  const placed = (await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://instagram.com/refilled', quantity: service.min } })).json()
  gw.sim.setOrderStatus(placed.panelOrderId, 'Completed')
  const refill = await gw.request({ method: 'POST', url: `/orders/${placed.id as number}/refill` })
  t.equal(refill.statusCode, 201)
  const refillId: number = refill.json().id

  clock.advance(60_000)
  t.match(await gw.app.tracker.tick(), { refills: 1 })
  const [first] = await events(gw, 'refill.status_changed')
  t.same(first?.data, { refill: { id: refillId, order: placed.id, panelRefillId: refill.json().panelRefillId, status: 'in_progress', upstreamStatus: 'In progress' }, previous: { status: 'pending' } })

  clock.advance(60_000)
  t.match(await gw.app.tracker.tick(), { refills: 1 })
  const changes = await events(gw, 'refill.status_changed')
  t.match(changes.map((e) => e.data), [{ refill: { status: 'in_progress' } }, { refill: { status: 'completed' }, previous: { status: 'in_progress' } }])

  clock.advance(60_000)
  t.match(await gw.app.tracker.tick(), { refills: 0 }, 'a final refill is no longer polled')
  t.match((await gw.request({ url: `/refills/${refillId}` })).json(), { status: 'completed' })
  t.equal((await events(gw, 'refill.status_changed')).length, 2, 'a GET that sees nothing new adds nothing')
})

t.test('an order left sending becomes order.unknown; resolved as placed it is order.created and tracked', async (t) => {
  const { gw, clock } = await setup(t)
  const store = gw.app.store
  const reserved = await store.reserveOrder({ tenantId: gw.tenant.id, panel: gw.app.ledger.panel, service: 1, request: {}, quantity: 10, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null })
  if (!reserved.ok) throw new Error('not reserved')
  t.ok(await store.markSending(reserved.localId))
  await gw.app.ledger.sweep(new Date(Date.now() + gw.app.ledger.staleAfterMs + 60_000))
  t.match(await events(gw), [{ type: 'order.unknown', tenantId: gw.tenant.id, data: { order: { id: reserved.id, status: 'unknown' } } }])

  const resolved = await gw.app.inject({ method: 'POST', url: `/admin/orders/${reserved.id}/resolve`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { outcome: 'placed', panelOrderId: 987654 } })
  t.equal(resolved.statusCode, 200)
  t.same((await events(gw)).map((e) => e.type), ['order.unknown', 'order.created'])
  clock.advance(MIN)
  t.equal((await gw.app.tracker.tick()).orders, 1, 'tracked once resolved')
})
