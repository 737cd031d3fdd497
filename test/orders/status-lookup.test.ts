import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { StatusLookup } from '../../src/orders/status-lookup.js'
import { startSimulator, type Simulator } from '../../simulator/index.js'
import { createPanelClient, type PanelApi } from '../../src/upstream/client.js'
import type { TestContext } from '../helper.js'
import { fakeClock, type FakeClock } from '../fixtures/fakes.js'
import { until } from '../fixtures/time.js'

// The real client against the simulator: what counts is how many status calls reach the panel.
async function setup (t: TestContext, windowMs: number, now?: () => number): Promise<{ sim: Simulator, panel: PanelApi, lookup: StatusLookup, orders: number[], batches: number[] }> {
  const sim = await startSimulator({ progressMs: 60_000 })
  const panel = createPanelClient({ url: sim.url, key: sim.key, timeoutMs: 5000 })
  const batches: number[] = []
  const lookup = new StatusLookup(panel, { windowMs, onBatch: (size) => { batches.push(size) }, ...(now === undefined ? {} : { now }) })
  t.teardown(async () => {
    lookup.close()
    await panel.close()
    await sim.close()
  })
  const service = (await panel.services()).find((s) => s.type === 'Default')
  if (service === undefined) throw new Error('no Default service')
  const orders: number[] = []
  for (let i = 0; i < 20; i++) orders.push((await panel.add({ service: service.id, link: `https://a.b/${i}`, quantity: service.min ?? 100 })).order)
  sim.resetCalls()
  return { sim, panel, lookup, orders, batches }
}

// The window is measured on a fake clock, moved by the test: the real timer only
// looks at it, so what goes out together does not depend on how busy the machine is.

/** One lookup per id, `stepMs` of the clock apart; `pauseMs` of real time after each lets the window's timer look. */
async function lookUpApart (lookup: StatusLookup, ids: number[], clock: FakeClock, stepMs: number, pauseMs = 0): Promise<Array<ReturnType<StatusLookup['one']>>> {
  const pending = []
  for (const id of ids) {
    pending.push(lookup.one(id))
    clock.advance(stepMs)
    if (pauseMs > 0) await sleep(pauseMs)
  }
  return pending
}
t.test('lookups that keep arriving within the window share one call, though they span several windows', async (t) => {
  const clock = fakeClock()
  const { sim, lookup, orders, batches } = await setup(t, 30, clock.monotonic)
  // The timer fires every <= 30 ms: a 35 ms pause lets it look after each lookup; what it decides depends on the clock alone.
  const pending = await lookUpApart(lookup, orders.slice(0, 10), clock, 10, 35)
  // 100 ms of lookups 10 ms apart: a fixed 30 ms window would have made four calls.
  clock.advance(30)
  const results = await Promise.all(pending)
  t.ok(results.every((r) => r.ok), 'every order answered')
  t.equal(sim.calls('status'), 1, 'one status call')
  t.same(batches, [10])
})

t.test('a burst is held back at most five windows', async (t) => {
  const clock = fakeClock()
  const { sim, lookup, orders, batches } = await setup(t, 10, clock.monotonic)
  const first = await lookUpApart(lookup, orders.slice(0, 10), clock, 5)
  // Lookups keep coming every 5 ms, so the window never goes quiet; at five windows the batch goes anyway.
  t.equal(sim.calls('status'), 0, 'nothing sent within five windows')
  const answered = Promise.all(first)
  await until(() => sim.calls('status') === 1, 'the held batch to go at five windows')
  const second = await lookUpApart(lookup, orders.slice(10), clock, 5)
  t.ok((await answered).every((r) => r.ok), 'the first ten were answered by the first call')
  clock.advance(10)
  t.ok((await Promise.all(second)).every((r) => r.ok))
  t.equal(sim.calls('status'), 2)
  t.same(batches, [10, 10], 'the later lookups went in a batch of their own')
})

t.test('an id asked for while its status is being fetched joins that call', async (t) => {
  const { sim, lookup, orders } = await setup(t, 5)
  sim.setLatency(300)
  const id = orders[0] as number
  const early = lookup.one(id)
  await until(() => sim.calls('status') === 1, 'the first call to reach the panel')
  t.equal(sim.calls('status'), 1, 'the first call is on its way')
  const late = lookup.one(id)
  const [a, b] = await Promise.all([early, late])
  t.same(a, b)
  t.ok(a.ok)
  t.equal(sim.calls('status'), 1, 'no second call for the same id')
  sim.setLatency(0)
  await lookup.one(id)
  t.equal(sim.calls('status'), 2, 'once answered, a new lookup asks the panel again')
})

t.test('the window is measured on the clock the lookups are given: a stopped one holds the batch however long real time runs', async (t) => {
  const { sim, panel, lookup: onRealTime, orders } = await setup(t, 10)
  const clock = fakeClock()
  const stopped = new StatusLookup(panel, { windowMs: 10, now: clock.monotonic })
  t.teardown(() => { stopped.close() })
  const held = stopped.one(orders[0] as number)
  // Armed after the held batch with the same window: its timer fires after the held one's does.
  t.ok((await onRealTime.one(orders[1] as number)).ok)
  t.equal(sim.calls('status'), 1, 'only the lookup on real time reached the panel')
  clock.advance(10)
  t.ok((await held).ok, 'once its clock moves on, the held batch goes at its next look')
  t.equal(sim.calls('status'), 2)
})
