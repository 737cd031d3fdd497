import t from 'tap'
import { gateway, type Gateway } from '../helper.js'

async function service (gw: Gateway): Promise<{ id: number, min: number }> {
  return (await gw.request({ url: '/services?type=Default&refill=true&cancel=true' })).json().items[0]
}

t.test('20 concurrent POST /orders with one Idempotency-Key make exactly one add', async (t) => {
  const gw = await gateway(t, { sim: { latencyMs: 100 } })
  const s = await service(gw)
  const body = { service: s.id, link: 'https://a.b/c', quantity: s.min }
  const answers = await Promise.all(Array.from({ length: 20 }, async () =>
    await gw.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': 'order-42' } })))
  t.equal(gw.sim.calls('add'), 1, 'one upstream add')
  const placed = answers.filter((r) => r.statusCode === 201)
  const busy = answers.filter((r) => r.statusCode === 409)
  t.equal(placed.length + busy.length, 20, 'every answer is the order or 409 in flight')
  t.ok(placed.length >= 1)
  t.equal(new Set(placed.map((r) => r.json().id)).size, 1, 'every 201 is the same order')
  for (const r of busy) {
    t.equal(r.json().code, 'idempotency_in_flight')
    t.ok(r.headers['retry-after'])
  }

  const replay = await gw.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': 'order-42' } })
  t.equal(replay.statusCode, 201)
  t.same(replay.json(), placed[0]?.json())
  t.equal(replay.headers.location, placed[0]?.headers.location)
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(gw.sim.calls('add'), 1, 'the replay made no upstream call')
})

t.test('the same Idempotency-Key with another body is 422; key order in the body does not matter', async (t) => {
  const gw = await gateway(t)
  const s = await service(gw)
  const headers = { 'idempotency-key': 'k1' }
  t.equal((await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/c', quantity: s.min }, headers })).statusCode, 201)
  const same = await gw.request({ method: 'POST', url: '/orders', payload: { quantity: s.min, link: 'https://a.b/c', service: s.id }, headers })
  t.equal(same.statusCode, 201, 'same request, keys reordered')
  const other = await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/c', quantity: s.min + 1 }, headers })
  t.equal(other.statusCode, 422)
  t.equal(other.json().code, 'idempotency_key_reused')
  t.equal(gw.sim.calls('add'), 1)
})

t.test('another tenant\'s same Idempotency-Key is its own', async (t) => {
  const gw = await gateway(t)
  const other = await gw.addTenant()
  const s = await service(gw)
  const body = { service: s.id, link: 'https://a.b/c', quantity: s.min }
  const a = await gw.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': 'shared' } })
  const b = await other.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': 'shared' } })
  t.equal(a.statusCode, 201)
  t.equal(b.statusCode, 201)
  t.not(a.json().id, b.json().id)
  t.equal(gw.sim.calls('add'), 2)
})

t.test('a lost answer to add is recorded: the retry answers upstream_outcome_unknown, not a second order', async (t) => {
  const gw = await gateway(t, { env: { PANEL_TIMEOUT_MS: '300' } })
  const s = await service(gw)
  const body = { service: s.id, link: 'https://a.b/c', quantity: s.min }
  const headers = { 'idempotency-key': 'lost-1' }
  gw.sim.setFault('hang', { actions: ['add'] })
  const first = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
  t.equal(first.statusCode, 502, 'the panel timed out on an add that may have reached it: its outcome is unknown')
  t.equal(first.json().code, 'upstream_outcome_unknown')
  const orderId = first.json().orderId
  t.type(orderId, 'number', 'the problem names the order')
  gw.sim.setFault(null)
  const retry = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
  t.equal(retry.statusCode, 502)
  t.equal(retry.json().code, 'upstream_outcome_unknown')
  t.equal(retry.json().orderId, orderId, 'the retry names the same order')
  t.equal(gw.sim.calls('add'), 1, 'the retry did not reach the panel')
  t.match((await gw.request({ url: '/orders' })).json().items, [{ id: orderId, status: 'unknown', panelOrderId: null }], 'listed with status unknown')
})

t.test('a failure before the panel frees the key for a corrected retry', async (t) => {
  const gw = await gateway(t)
  const s = await service(gw)
  const headers = { 'idempotency-key': 'fix-me' }
  const bad = await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/c', quantity: s.min - 1 }, headers })
  t.equal(bad.statusCode, 422)
  const again = await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/c', quantity: s.min - 1 }, headers })
  t.equal(again.json().code, 'quantity_out_of_range', 'still validated, not replayed as in flight')
  t.equal(gw.sim.calls('add'), 0)
})

t.test('refill and cancel honour Idempotency-Key too', async (t) => {
  const gw = await gateway(t)
  const s = await service(gw)
  const { id, panelOrderId } = (await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/c', quantity: s.min } })).json()
  gw.sim.setOrderStatus(panelOrderId, 'Completed')
  const r1 = await gw.request({ method: 'POST', url: `/orders/${id as number}/refill`, headers: { 'idempotency-key': 'r' } })
  const r2 = await gw.request({ method: 'POST', url: `/orders/${id as number}/refill`, headers: { 'idempotency-key': 'r' } })
  t.equal(r1.statusCode, 201)
  t.same(r2.json(), r1.json())
  t.equal(gw.sim.calls('refill'), 1)
  const { id: id2 } = (await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/d', quantity: s.min } })).json()
  const c1 = await gw.request({ method: 'POST', url: '/orders/cancel', payload: { orders: [id2] }, headers: { 'idempotency-key': 'c' } })
  const c2 = await gw.request({ method: 'POST', url: '/orders/cancel', payload: { orders: [id2] }, headers: { 'idempotency-key': 'c' } })
  t.same(c2.json(), c1.json())
  t.equal(gw.sim.calls('cancel'), 1)
})

t.test('a malformed Idempotency-Key is refused', async (t) => {
  const gw = await gateway(t)
  const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: 1, link: 'https://a.b/c', quantity: 100 }, headers: { 'idempotency-key': 'x'.repeat(300) } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'invalid_idempotency_key')
})
