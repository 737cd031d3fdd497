import { Decimal } from 'decimal.js'
import t from 'tap'
import { testClock, type TestClock } from '../fixtures/time.js'
import { call, panel, simulator } from './helper.js'

const LINK = 'https://instagram.com/p/Cx1'
// A step no real pause of a busy machine comes near: only the tests' clocks move orders on.
const STEP = 60_000

/** The simulator's clock, stopped: only the test's steps move its orders, not the real time spent between them. */
function stoppedClock (): TestClock {
  const clock = testClock()
  clock.freeze()
  return clock
}

t.test('status answers charge, start_count, status, remains and currency as strings', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })
  t.same(await panel(sim, { action: 'status', order }), { charge: '0.90000', start_count: '0', status: 'Pending', remains: '1000', currency: 'USD' })
  t.same(await panel(sim, { action: 'status', order: 999 }), { error: 'Incorrect order ID' })
  t.same(await panel(sim, { action: 'status', order: 'abc' }), { error: 'Incorrect order ID' })
  t.same(await panel(sim, { action: 'status' }), { error: 'Incorrect order ID' }, 'no order at all')
})

t.test('multi status answers an object keyed by id in the order asked, unknown ids as errors', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const a = (await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })).order
  const b = (await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 200 })).order
  const res = await call(sim, { action: 'status', orders: `${b}, 10,${a},abc,${b}` })
  const body = res.json()
  t.same(body, {
    [b]: { charge: '0.18000', start_count: '0', status: 'Pending', remains: '200', currency: 'USD' },
    10: { error: 'Incorrect order ID' },
    [a]: { charge: '0.09000', start_count: '0', status: 'Pending', remains: '100', currency: 'USD' },
    abc: { error: 'Incorrect order ID' }
  })
  t.ok(res.text.indexOf(`"${b}"`) < res.text.indexOf('"10"') && res.text.indexOf('"10"') < res.text.indexOf(`"${a}"`), 'keys in the order asked, duplicates once')
  const hundred = Array.from({ length: 100 }, (_, i) => 1 + i).join(',')
  t.equal(Object.keys(await panel(sim, { action: 'status', orders: hundred })).length, 100, '100 ids are fine')
  t.same(await panel(sim, { action: 'status', orders: `${hundred},101` }), { error: 'Incorrect request' }, 'more than 100 ids')
  t.same(await panel(sim, { action: 'status', orders: ' , ,' }), { error: 'Incorrect request' }, 'an empty list')
})

t.test('orders progress Pending → In progress (remains counting down) → Completed with progressMs', async (t) => {
  const clock = stoppedClock()
  const sim = await simulator(t, { progressMs: STEP, clock })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })
  const seen: Array<{ status: string, remains: number, startCount: number }> = []
  // Fifteen looks a step, for ten steps at most.
  for (let elapsed = 0; elapsed < 10 * STEP; elapsed += STEP / 15) {
    const s = await panel(sim, { action: 'status', order })
    seen.push({ status: s.status, remains: Number(s.remains), startCount: Number(s.start_count) })
    if (s.status === 'Completed') break
    clock.advance(STEP / 15)
  }
  const statuses = [...new Set(seen.map((s) => s.status))]
  t.same(statuses, ['Pending', 'In progress', 'Completed'])
  const pending = seen.filter((s) => s.status === 'Pending')
  t.ok(pending.every((s) => s.remains === 1000 && s.startCount === 0), 'pending: nothing delivered, no start count yet')
  const running = seen.filter((s) => s.status === 'In progress')
  t.ok(running.every((s, i) => s.remains > 0 && s.remains <= 1000 && (i === 0 || s.remains <= (running[i - 1]?.remains ?? 0))), 'remains never grows')
  t.ok(new Set(running.map((s) => s.remains)).size > 1, 'remains counts down')
  t.ok(running.every((s) => s.startCount > 0), 'a start count once started')
  t.match(seen.at(-1), { status: 'Completed', remains: 0 })
  t.equal(sim.order(order)?.charge, '0.90000', 'completed orders keep their charge')
})

t.test('every 4th order id ends Partial and refunds the undelivered part to the balance', async (t) => {
  const clock = stoppedClock()
  const sim = await simulator(t, { progressMs: STEP, clock })
  const ids: number[] = []
  for (let i = 0; i < 4; i++) ids.push((await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })).order)
  t.same(await panel(sim, { action: 'balance' }), { balance: '996.40000', currency: 'USD' })
  clock.advance(3 * STEP)
  const all = await panel(sim, { action: 'status', orders: ids.join(',') })
  const partial = ids.filter((id) => id % 4 === 0)
  t.equal(partial.length, 1)
  for (const id of ids) t.equal(all[id].status, partial.includes(id) ? 'Partial' : 'Completed', `order ${id}`)
  const p = all[partial[0] as number]
  const remains = Number(p.remains)
  t.ok(remains > 0 && remains < 1000, 'partial orders have remains')
  const refund = new Decimal('0.9').times(remains).dividedBy(1000)
  t.equal(p.charge, new Decimal('0.9').minus(refund).toFixed(5), 'charge is what was delivered')
  t.same(await panel(sim, { action: 'balance' }), { balance: new Decimal('996.4').plus(refund).toFixed(5), currency: 'USD' })
})

t.test('progressMs 0 completes orders at once', async (t) => {
  const sim = await simulator(t, { progressMs: 0 })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  t.match(await panel(sim, { action: 'status', order }), { status: 'Completed', remains: '0' })
})

t.test('setOrderStatus pins an order: it stops progressing', async (t) => {
  const clock = stoppedClock()
  const sim = await simulator(t, { progressMs: STEP, clock })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })
  const unpinned = (await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })).order
  sim.setOrderStatus(order, 'In progress', { remains: 500, startCount: 42 })
  clock.advance(4 * STEP)
  t.same(await panel(sim, { action: 'status', order }), { charge: '0.90000', start_count: '42', status: 'In progress', remains: '500', currency: 'USD' })
  t.match(await panel(sim, { action: 'status', order: unpinned }), { status: /^(Completed|Partial)$/ }, 'meanwhile an order left alone finished')
  t.equal(sim.order(order)?.pinned, true)
  sim.setOrderStatus(order, 'Processing')
  t.match(await panel(sim, { action: 'status', order }), { status: 'Processing', remains: '500' })
  sim.setOrderStatus(order, 'Pending')
  t.match(await panel(sim, { action: 'status', order }), { status: 'Pending', remains: '1000', start_count: '0' })
})

t.test('setOrderStatus Partial refunds the undelivered part; back to Completed takes the refund back', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })
  sim.setOrderStatus(order, 'Partial', { remains: 157, startCount: 3572 })
  t.same(await panel(sim, { action: 'status', order }), { charge: '0.75870', start_count: '3572', status: 'Partial', remains: '157', currency: 'USD' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '999.24130', currency: 'USD' }, '1000 − 0.9 + 0.1413')
  sim.setOrderStatus(order, 'Completed')
  t.match(await panel(sim, { action: 'status', order }), { charge: '0.90000', status: 'Completed', remains: '0' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '999.10000', currency: 'USD' })
  sim.setOrderStatus(order, 'Canceled', { remains: 1000 })
  t.match(await panel(sim, { action: 'status', order }), { charge: '0.00000', status: 'Canceled', remains: '1000' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '1000.00000', currency: 'USD' })
})

t.test('setOrderStatus refuses unknown orders, statuses and non-integer counts', async (t) => {
  const sim = await simulator(t)
  t.throws(() => sim.setOrderStatus(1, 'Completed'), RangeError)
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  t.throws(() => sim.setOrderStatus(order, 'Done' as 'Completed'), RangeError)
  t.throws(() => sim.setOrderStatus(order, 'Partial', { remains: 1.5 }), RangeError)
  t.equal(sim.order(order)?.status, 'Pending')
  t.equal(sim.order(4242), undefined)
})

t.test('remains may be set negative (over-delivery) without refunding anything', async (t) => {
  const sim = await simulator(t)
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  sim.setOrderStatus(order, 'Partial', { remains: -12 })
  t.match(await panel(sim, { action: 'status', order }), { status: 'Partial', remains: '-12', charge: '0.09000' })
})
