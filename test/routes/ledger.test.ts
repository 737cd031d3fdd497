import t from 'tap'
import { startSimulator } from '../../simulator/index.js'
import { ADMIN_TOKEN, gateway, type Gateway } from '../helper.js'

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

async function defaultService (gw: Gateway): Promise<{ id: number, min: number, rate: string }> {
  return (await gw.request({ url: '/services?type=Default&refill=true' })).json().items[0]
}

t.test('an add whose answer is lost: 502 upstream_outcome_unknown with the order id, listed as unknown, never sent again, resolved by an operator', async (t) => {
  const gw = await gateway(t)
  const service = await defaultService(gw)
  const body = { service: service.id, link: 'https://a.b/lost', quantity: service.min }
  const headers = { 'idempotency-key': 'lost-1' }
  gw.sim.resetCalls()
  gw.sim.setFault('reset-after', { times: 1, actions: ['add'] })

  const first = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
  t.equal(first.statusCode, 502)
  t.equal(first.headers['content-type'], 'application/problem+json; charset=utf-8')
  const { code, orderId } = first.json()
  t.equal(code, 'upstream_outcome_unknown', 'not upstream_unavailable: the add may have been placed')
  t.type(orderId, 'number')
  t.equal(gw.sim.calls('add'), 1)
  const panelOrder = gw.sim.order(23501)
  t.ok(panelOrder, 'the panel did place it')

  for (let i = 0; i < 3; i++) {
    const retry = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
    t.match(retry.json(), { code: 'upstream_outcome_unknown', orderId }, 'a retry with the key never sends it again')
  }
  t.equal(gw.sim.calls('add'), 1)

  t.match((await gw.request({ url: '/orders' })).json().items, [{ id: orderId, status: 'unknown', panelOrderId: null }])
  t.match((await gw.request({ url: '/orders?status=unknown' })).json().items, [{ id: orderId }])
  t.match((await gw.request({ url: `/orders/${orderId as number}` })).json(), { id: orderId, status: 'unknown' })
  const refill = await gw.request({ method: 'POST', url: `/orders/${orderId as number}/refill` })
  t.equal(refill.json().code, 'order_outcome_unknown')
  t.match(await gw.metrics(), /smm_orders_unknown_total\{reason="answer_lost"\} 1/)

  const listed = (await gw.app.inject({ url: '/admin/orders', headers: admin })).json()
  t.match(listed.items, [{ id: orderId, state: 'unknown', tenantId: gw.tenant.id, request: { link: 'https://a.b/lost' } }])
  const resolved = await gw.app.inject({ method: 'POST', url: `/admin/orders/${orderId as number}/resolve`, headers: admin, payload: { outcome: 'placed', panelOrderId: 23501 } })
  t.equal(resolved.statusCode, 200)
  t.match(resolved.json(), { id: orderId, state: 'placed', panelOrderId: 23501 })
  const again = await gw.app.inject({ method: 'POST', url: `/admin/orders/${orderId as number}/resolve`, headers: admin, payload: { outcome: 'not_placed' } })
  t.equal(again.json().code, 'order_not_unknown')

  gw.sim.setOrderStatus(23501, 'Completed')
  t.match((await gw.request({ url: `/orders/${orderId as number}` })).json(), { id: orderId, status: 'completed', panelOrderId: 23501 })
  const replay = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
  t.equal(replay.statusCode, 201, 'once resolved, the key replays the placed order')
  t.match(replay.json(), { id: orderId, panelOrderId: 23501 })
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(gw.sim.calls('add'), 1)
})

t.test('an unknown order resolved as not placed releases its budget, and its key sends it afresh', async (t) => {
  const gw = await gateway(t, { tenant: { dailyBudget: '1000' } })
  const service = await defaultService(gw)
  const body = { service: service.id, link: 'https://a.b/not-placed', quantity: service.min }
  const headers = { 'idempotency-key': 'not-placed-1' }
  gw.sim.setFault('reset', { times: 1, actions: ['add'] })
  const first = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
  t.equal(first.json().code, 'upstream_outcome_unknown', 'a reset after sending: the panel may have it')
  const held = (await gw.request({ url: '/me' })).json().spend.today
  t.not(held, '0', 'the unknown order holds budget')
  const orderId = first.json().orderId as number
  const resolved = await gw.app.inject({ method: 'POST', url: `/admin/orders/${orderId}/resolve`, headers: admin, payload: { outcome: 'not_placed' } })
  t.match(resolved.json(), { state: 'failed' })
  t.equal((await gw.request({ url: '/me' })).json().spend.today, '0')
  t.same((await gw.request({ url: '/orders' })).json().items, [], 'no longer listed')
  gw.sim.resetCalls()
  const retry = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
  t.equal(retry.statusCode, 201)
  t.not(retry.json().id, orderId, 'a new order')
  t.equal(gw.sim.calls('add'), 1)
})

t.test('a panel refusal releases the reservation; the same key may be tried again', async (t) => {
  const gw = await gateway(t, { tenant: { dailyBudget: '1000' } })
  const service = await defaultService(gw)
  const headers = { 'idempotency-key': 'refused-1' }
  gw.sim.setBalance('0')
  const refused = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/r', quantity: service.min }, headers })
  t.equal(refused.statusCode, 402, 'the panel refused: not enough funds')
  gw.sim.setBalance('1000')
  t.equal((await gw.request({ url: '/me' })).json().spend.today, '0')
  t.same((await gw.request({ url: '/orders' })).json().items, [])
  const retry = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/r', quantity: service.min }, headers })
  t.equal(retry.statusCode, 201)
})

t.test('a panel restarted with its ids starting over never mixes two tenants\' orders', async (t) => {
  const gw = await gateway(t)
  const service = await defaultService(gw)
  const alice = { request: gw.request }
  const bob = await gw.addTenant({ name: 'bob' })
  const placedA = (await alice.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/alice', quantity: service.min } })).json()
  t.equal(placedA.panelOrderId, 23501)

  // The same URL, a new panel: its order ids start over.
  const port = Number(new URL(gw.sim.url).port)
  await gw.sim.close()
  const reborn = await startSimulator({ port, key: gw.sim.key, progressMs: 60_000 })
  t.teardown(async () => { await reborn.close() })
  const placedB = (await bob.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/bob', quantity: service.min * 2 } })).json()
  t.equal(placedB.panelOrderId, 23501, 'the panel handed the id out again')
  t.not(placedB.id, placedA.id, 'the gateway\'s ids differ')

  reborn.setOrderStatus(23501, 'Completed')
  reborn.resetCalls()
  const a = (await alice.request({ url: `/orders/${placedA.id as number}` })).json()
  t.match(a, { id: placedA.id, status: 'pending', quantity: service.min }, 'alice sees her own order, not bob\'s completed one')
  t.equal(reborn.calls('status'), 0, 'the panel is not asked about an id it has given to another order')
  t.match((await bob.request({ url: `/orders/${placedB.id as number}` })).json(), { id: placedB.id, status: 'completed', quantity: service.min * 2 })
  t.equal((await bob.request({ url: `/orders/${placedA.id as number}` })).statusCode, 404)
  t.equal((await alice.request({ method: 'POST', url: `/orders/${placedA.id as number}/cancel` })).json().code, 'order_not_on_panel')
  t.equal(reborn.calls('cancel'), 0)
  t.match(await gw.metrics(), /smm_panel_order_id_reused_total 1/)
  t.ok(gw.logs.some((line) => line.includes('handed out an order id it had given before')), 'logged for the operator')
})

t.test('budgets hold for every order type: an unbounded subscription is refused for a tenant with a budget', async (t) => {
  const gw = await gateway(t, { tenant: { dailyBudget: '0.01' } })
  const { items } = (await gw.request({ url: '/services?type=Subscriptions' })).json()
  const sub = items[0]
  t.ok(sub, 'the simulator has a Subscriptions service')
  const unbounded = await gw.request({ method: 'POST', url: '/orders', payload: { service: sub.id, username: 'someone', min: sub.min, max: sub.max, delay: 0 } })
  t.equal(unbounded.statusCode, 422)
  t.equal(unbounded.json().code, 'charge_unbounded')
  const bounded = await gw.request({ method: 'POST', url: '/orders', payload: { service: sub.id, username: 'someone', min: sub.min, max: sub.max, delay: 0, posts: 10 } })
  t.equal(bounded.json().code, 'budget_exceeded', 'bounded by max × posts, which the budget does not cover')
  t.equal(gw.sim.calls('add'), 0)
})
