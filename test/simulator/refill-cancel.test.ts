import t from 'tap'
import { defaultCatalog, type Simulator } from '../../simulator/index.js'
import { testClock, type TestClock } from '../fixtures/time.js'
import { panel, simulator } from './helper.js'

const LINK = 'https://instagram.com/p/Cx1'
// A step no real pause of a busy machine comes near: only the tests' clocks move refills and orders on.
const STEP = 60_000

/** The simulator's clock, stopped: only the test's steps move it, not the real time spent between them. */
function stoppedClock (): TestClock {
  const clock = testClock()
  clock.freeze()
  return clock
}
const catalog = defaultCatalog().filter((s) => s.type === 'Default')
const serviceWith = (refill: boolean, cancel: boolean): number => {
  const found = catalog.find((s) => s.refill === refill && s.cancel === cancel)
  if (found === undefined) throw new Error(`no Default service with refill ${String(refill)} and cancel ${String(cancel)}`)
  return found.service
}

async function place (sim: Simulator, service: number, quantity?: number): Promise<number> {
  const min = catalog.find((s) => s.service === service)?.min ?? 100
  return (await panel(sim, { action: 'add', service, link: LINK, quantity: quantity ?? min })).order
}

t.test('refill of a completed order answers the refill id as a string', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const order = await place(sim, serviceWith(true, true))
  sim.setOrderStatus(order, 'Completed')
  const answer = await panel(sim, { action: 'refill', order })
  t.match(answer, { refill: /^\d+$/ })
  const partial = await place(sim, serviceWith(true, true))
  sim.setOrderStatus(partial, 'Partial')
  const second = await panel(sim, { action: 'refill', order: partial })
  t.equal(Number(second.refill), Number(answer.refill) + 1, 'partial orders refill too; ids increase')
})

t.test('refill refuses unknown orders, refill-less services and unfinished orders', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  t.same(await panel(sim, { action: 'refill', order: 999 }), { error: 'Incorrect order ID' })
  t.same(await panel(sim, { action: 'refill' }), { error: 'Incorrect order ID' })
  const noRefill = await place(sim, serviceWith(false, true))
  sim.setOrderStatus(noRefill, 'Completed')
  t.same(await panel(sim, { action: 'refill', order: noRefill }), { error: 'Refill is disabled for this service' })
  const running = await place(sim, serviceWith(true, true))
  t.same(await panel(sim, { action: 'refill', order: running }), { error: 'The order is not completed' })
  sim.setOrderStatus(running, 'In progress')
  t.same(await panel(sim, { action: 'refill', order: running }), { error: 'The order is not completed' })
  sim.setOrderStatus(running, 'Canceled')
  t.same(await panel(sim, { action: 'refill', order: running }), { error: 'The order is not completed' })
})

t.test('multi refill answers an array with a numeric refill id or an error per order', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const done = await place(sim, serviceWith(true, true))
  sim.setOrderStatus(done, 'Completed')
  const pending = await place(sim, serviceWith(true, true))
  const answer = await panel(sim, { action: 'refill', orders: `${done},3,${pending}` })
  t.match(answer, [
    { order: done, refill: Number },
    { order: 3, refill: { error: 'Incorrect order ID' } },
    { order: pending, refill: { error: 'The order is not completed' } }
  ])
  t.equal(answer.length, 3)
  const tooMany = Array.from({ length: 101 }, (_, i) => i + 1).join(',')
  t.same(await panel(sim, { action: 'refill', orders: tooMany }), { error: 'Incorrect request' })
})

t.test('refill_status goes Pending → In progress → Completed; unknown refills are not found', async (t) => {
  const clock = stoppedClock()
  const sim = await simulator(t, { progressMs: STEP, clock })
  const order = await place(sim, serviceWith(true, true))
  sim.setOrderStatus(order, 'Completed')
  const { refill } = await panel(sim, { action: 'refill', order })
  t.same(await panel(sim, { action: 'refill_status', refill }), { status: 'Pending' })
  clock.advance(1.3 * STEP)
  t.same(await panel(sim, { action: 'refill_status', refill }), { status: 'In progress' })
  clock.advance(STEP)
  t.same(await panel(sim, { action: 'refill_status', refill }), { status: 'Completed' })
  t.same(await panel(sim, { action: 'refill_status', refill: 1 }), { error: 'Refill not found' })
  t.same(await panel(sim, { action: 'refill_status' }), { error: 'Refill not found' })
  t.same(await panel(sim, { action: 'refill_status', refills: `${refill as string},3` }), [
    { refill: Number(refill), status: 'Completed' },
    { refill: 3, status: { error: 'Refill not found' } }
  ])
})

t.test('cancel answers an array: 1 for canceled, an error per refused order', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const cancelable = await place(sim, serviceWith(true, true))
  const noCancel = await place(sim, serviceWith(true, false))
  const done = await place(sim, serviceWith(true, true))
  sim.setOrderStatus(done, 'Completed')
  t.same(await panel(sim, { action: 'cancel', orders: `9,${cancelable},${noCancel},${done}` }), [
    { order: 9, cancel: { error: 'Incorrect order ID' } },
    { order: cancelable, cancel: 1 },
    { order: noCancel, cancel: { error: 'Cancel is disabled for this service' } },
    { order: done, cancel: { error: 'The order can not be canceled' } }
  ])
  t.same(await panel(sim, { action: 'cancel', orders: String(cancelable) }), [{ order: cancelable, cancel: { error: 'The order can not be canceled' } }], 'canceled is final')
  t.same(await panel(sim, { action: 'cancel', order: cancelable }), { error: 'Incorrect request' }, 'cancel only has the multi form')
})

t.test('a canceled order reports Canceled and refunds the undelivered part', async (t) => {
  const sim = await simulator(t, { progressMs: 60_000 })
  const pending = await place(sim, serviceWith(true, true), 1000) // 0.90
  const running = await place(sim, serviceWith(true, true), 1000)
  sim.setOrderStatus(running, 'In progress', { remains: 250 })
  t.same(await panel(sim, { action: 'balance' }), { balance: '998.20000', currency: 'USD' })
  await panel(sim, { action: 'cancel', orders: `${pending},${running}` })
  t.same(await panel(sim, { action: 'status', order: pending }), { charge: '0.00000', start_count: '0', status: 'Canceled', remains: '1000', currency: 'USD' })
  t.match(await panel(sim, { action: 'status', order: running }), { charge: '0.67500', status: 'Canceled', remains: '250' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '999.32500', currency: 'USD' }, 'all of the pending one and a quarter of the running one back')
})

t.test('canceled orders stop progressing', async (t) => {
  const clock = stoppedClock()
  const sim = await simulator(t, { progressMs: STEP, clock })
  const order = await place(sim, serviceWith(true, true))
  const kept = await place(sim, serviceWith(true, true))
  t.same(await panel(sim, { action: 'cancel', orders: String(order) }), [{ order, cancel: 1 }])
  clock.advance(2.5 * STEP)
  t.match(await panel(sim, { action: 'status', order }), { status: 'Canceled' })
  t.match(await panel(sim, { action: 'status', order: kept }), { status: /^(Completed|Partial)$/ }, 'meanwhile an order not canceled finished')
})
