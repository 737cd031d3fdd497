import t from 'tap'
import type { Fault } from '../../src/simulator/index.js'
import { gateway } from '../helper.js'

// What the client sees for each panel fault: a problem with a specific code.
const FAULTS: Array<[Fault, number, string]> = [
  ['html', 502, 'upstream_html_response'],
  ['html-503', 502, 'upstream_server_error'],
  ['empty', 502, 'upstream_empty_response'],
  ['malformed', 502, 'upstream_invalid_response'],
  ['rate-limit', 503, 'upstream_rate_limited'],
  ['server-error', 502, 'upstream_server_error'],
  ['bad-gateway', 502, 'upstream_server_error'],
  ['reset', 503, 'upstream_unavailable'],
  ['hang', 504, 'upstream_timeout'],
  ['wrong-key', 502, 'upstream_auth_failed'],
  ['redirect', 502, 'upstream_invalid_response']
]

// A breaker that never opens here, so every call shows the fault's own code (test/routes/resilience.test.ts covers the breaker).
const ENV = { PANEL_TIMEOUT_MS: '500', BREAKER_FAILURES: '1000' }

for (const [fault, status, code] of FAULTS) {
  t.test(`panel fault "${fault}" gives ${status} ${code} on every route, and add reaches the panel at most once`, async (t) => {
    const gw = await gateway(t, { env: ENV })
    const { items } = (await gw.request({ url: '/services?type=Default&refill=true&cancel=true' })).json()
    const service = items[0]
    const order = async (): Promise<number> => (await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: service.min } })).json().id
    const placed = { id: await order() }
    const other = await order()
    gw.sim.setOrderStatus(placed.id, 'Completed')
    const refill = (await gw.request({ method: 'POST', url: `/orders/${placed.id}/refill` })).json().id as number
    gw.sim.resetCalls()
    gw.sim.setFault(fault)

    const routes: Array<{ method: 'GET' | 'POST', url: string, payload?: object }> = [
      { method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/d', quantity: service.min } },
      { method: 'GET', url: `/orders/${placed.id}` },
      { method: 'GET', url: `/orders?ids=${placed.id},${other}` },
      { method: 'POST', url: `/orders/${placed.id}/refill` },
      { method: 'POST', url: '/orders/refill', payload: { orders: [placed.id] } },
      { method: 'GET', url: `/refills/${refill}` },
      { method: 'GET', url: `/refills?ids=${refill}` },
      { method: 'POST', url: `/orders/${placed.id}/cancel` },
      { method: 'POST', url: '/orders/cancel', payload: { orders: [placed.id] } },
      { method: 'GET', url: '/balance' }
    ]
    for (const route of routes) {
      const started = Date.now()
      const res = await gw.request(route)
      const label = `${route.method} ${route.url}`
      t.equal(res.statusCode, status, `${label}: status`)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${label}: problem+json`)
      t.equal(res.json().code, code, `${label}: code`)
      t.ok(Date.now() - started < 500 + 1500, `${label}: answered within the panel timeout and a little`)
      t.notMatch(res.body, gw.sim.key, `${label}: no panel key in the body`)
      if (fault === 'rate-limit') t.ok(res.headers['retry-after'], `${label}: Retry-After`)
    }
    t.ok(gw.sim.calls('add') <= 1, 'add reached the panel at most once')
    t.ok(gw.sim.calls('refill') <= 2, 'refill (one and many) reached the panel at most once each')
    t.ok(gw.sim.calls('cancel') <= 2, 'cancel (one and many) reached the panel at most once each')
    t.notOk(gw.logs.join('').includes(gw.sim.key), 'no panel key in any log line')
  })
}

t.test('the gateway recovers by itself when the panel does', async (t) => {
  const gw = await gateway(t, { env: ENV })
  gw.sim.setFault('reset')
  t.equal((await gw.request({ url: '/balance' })).statusCode, 503)
  gw.sim.setFault(null)
  const res = await gw.request({ url: '/balance' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { balance: /^\d+(\.\d+)?$/, currency: 'USD' })
})

t.test('/health stays 200 while the panel fails; /ready says not ready', async (t) => {
  const gw = await gateway(t, { env: ENV })
  gw.sim.setFault('server-error')
  t.equal((await gw.app.inject({ url: '/health' })).statusCode, 200)
  const ready = await gw.app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'not_ready', checks: { upstream: { ok: false, detail: 'upstream_server_error' } } })
})
