// Two gateways on one PostgreSQL share the tracking: a claim leases an order
// to one instance, so each due order is polled once a round, and each change
// is announced once.
import t from 'tap'
import { gateway } from '../helper.js'
import { testClock } from '../fixtures/time.js'
import { postgresUnreachable } from '../store/helper.js'

const unreachable = await postgresUnreachable()
const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'
const ORDERS = 200
const GAP = 1000
const ENV = { TRACKER_MIN_INTERVAL_MS: String(GAP), TRACKER_MAX_INTERVAL_MS: String(GAP), TRACKER_BATCH: '30' }

t.test('two instances poll each due order once a round', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }
  const clock = testClock()
  const gw = await gateway(t, { clock, env: ENV, database: 'postgres' })
  const second = await gw.sibling(ENV, clock)

  const service = (await gw.request({ url: '/services?type=Default&limit=1' })).json().items[0]
  const panelIds: number[] = []
  for (let i = 0; i < ORDERS; i++) {
    const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: `https://instagram.com/p${i}`, quantity: service.min } })
    t.equal(res.statusCode, 201, 'placed', { diagnostic: res.statusCode !== 201, body: res.body })
    const panelOrderId: number = res.json().panelOrderId
    gw.sim.setOrderStatus(panelOrderId, 'Pending')
    panelIds.push(panelOrderId)
  }

  const claimed = { first: 0, second: 0 }
  async function round (): Promise<Map<number, number>> {
    gw.sim.resetCalls()
    clock.advance(GAP)
    clock.freeze()
    // Both instances tick at once until neither finds anything due.
    for (;;) {
      const [a, b] = await Promise.all([gw.app.tracker.tick(), second.tracker.tick()])
      claimed.first += a.orders
      claimed.second += b.orders
      if (a.orders + b.orders === 0) break
    }
    clock.resume()
    const polled = new Map<number, number>()
    for (const call of gw.sim.callLog()) {
      if (call.action !== 'status') continue
      const ids = (call.fields.orders ?? call.fields.order ?? '').split(',').filter((s) => s !== '').map(Number)
      for (const id of ids) polled.set(id, (polled.get(id) ?? 0) + 1)
    }
    return polled
  }

  for (let r = 0; r < 4; r++) {
    if (r === 2) for (const id of panelIds) gw.sim.setOrderStatus(id, 'In progress')
    const polled = await round()
    t.equal(polled.size, ORDERS, `round ${r}: every order polled`)
    t.ok([...polled.values()].every((n) => n === 1), `round ${r}: each once`)
  }

  t.ok(claimed.first > 0 && claimed.second > 0, 'both instances took a share')
  t.equal(claimed.first + claimed.second, 4 * ORDERS)

  const events = await gw.app.store.listEvents(undefined, { limit: 1000, types: ['order.status_changed'] }) ?? []
  t.equal(events.length, ORDERS, 'one status_changed per order')
  t.equal(new Set(events.map((e) => (e.data.order as { id: number }).id)).size, ORDERS)
})
