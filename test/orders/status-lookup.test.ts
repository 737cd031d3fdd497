import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { StatusLookup } from '../../src/orders/status-lookup.js'
import { startSimulator, type Simulator } from '../../simulator/index.js'
import { createPanelClient, type PanelApi } from '../../src/upstream/client.js'
import type { TestContext } from '../helper.js'
import { fakeClock } from '../fixtures/fakes.js'
import { until } from '../fixtures/time.js'

// The real client against the simulator: what counts is how many status calls reach the panel.
async function setup (t: TestContext, windowMs: number): Promise<{ sim: Simulator, panel: PanelApi, lookup: StatusLookup, orders: number[], batches: number[] }> {
  const sim = await startSimulator({ progressMs: 60_000 })
  const panel = createPanelClient({ url: sim.url, key: sim.key, timeoutMs: 5000 })
  const batches: number[] = []
  const lookup = new StatusLookup(panel, { windowMs, onBatch: (size) => { batches.push(size) } })
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

t.test('lookups that keep arriving a little apart share one call', async (t) => {
  const { sim, lookup, orders, batches } = await setup(t, 30)
  const pending = []
  for (const id of orders) {
    pending.push(lookup.one(id))
    await sleep(10)
  }
  const results = await Promise.all(pending)
  t.ok(results.every((r) => r.ok), 'every order answered')
  // 200 ms of lookups: two bursts of at most 150 ms; a fixed 30 ms window would make about seven calls.
  t.ok(sim.calls('status') <= 4, `20 lookups 10 ms apart with a 30 ms window: ${sim.calls('status')} status calls (${batches.join(', ')} ids)`)
})

t.test('a burst is held back at most five windows', async (t) => {
  const { sim, lookup, orders } = await setup(t, 10)
  const started = performance.now()
  const first = lookup.one(orders[0] as number).then(() => performance.now() - started)
  const rest = []
  for (const id of orders.slice(1)) {
    rest.push(lookup.one(id))
    await sleep(5)
  }
  const waited = await first
  await Promise.all(rest)
  t.ok(waited < 300, `the first lookup was answered after ${Math.round(waited)} ms, while lookups kept coming for ~100 ms`)
  t.ok(sim.calls('status') >= 2, 'the burst went out in more than one call')
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
