import t from 'tap'
import type { Fault } from '../../simulator/index.js'
import { gateway } from '../helper.js'

// What the client sees for each panel fault: a problem with a specific code.
// An `add` the panel may have carried out (the fault came after the request
// could have reached it) is answered upstream_outcome_unknown instead, naming
// the order, which is then listed with status `unknown`.
const FAULTS: Array<[Fault, number, string, 'add unknown' | 'add refused']> = [
  ['html', 502, 'upstream_html_response', 'add unknown'],
  ['html-503', 502, 'upstream_server_error', 'add unknown'],
  ['empty', 502, 'upstream_empty_response', 'add unknown'],
  ['malformed', 502, 'upstream_invalid_response', 'add unknown'],
  ['rate-limit', 503, 'upstream_rate_limited', 'add refused'],
  ['server-error', 502, 'upstream_server_error', 'add unknown'],
  ['bad-gateway', 502, 'upstream_server_error', 'add unknown'],
  ['reset', 503, 'upstream_unavailable', 'add unknown'],
  ['hang', 504, 'upstream_timeout', 'add unknown'],
  ['wrong-key', 502, 'upstream_auth_failed', 'add refused'],
  ['redirect', 502, 'upstream_invalid_response', 'add refused']
]

// A breaker that never opens here, so every call shows the fault's own code (test/routes/resilience.test.ts covers the breaker).
const ENV = { PANEL_TIMEOUT_MS: '500', BREAKER_FAILURES: '1000' }

for (const [fault, status, code, add] of FAULTS) {
  const title = add === 'add unknown'
    ? `panel fault "${fault}" gives ${status} ${code} on every route but add, whose outcome is unknown (502 upstream_outcome_unknown); add reaches the panel at most once`
    : `panel fault "${fault}" gives ${status} ${code} on every route, and add reaches the panel at most once`
  t.test(title, async (t) => {
    const gw = await gateway(t, { env: ENV })
    const { items } = (await gw.request({ url: '/services?type=Default&refill=true&cancel=true' })).json()
    const service = items[0]
    const order = async (): Promise<{ id: number, panelOrderId: number }> => (await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: service.min } })).json()
    const placed = await order()
    const other = (await order()).id
    gw.sim.setOrderStatus(placed.panelOrderId, 'Completed')
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
    let unknownOrder: unknown
    for (const route of routes) {
      const started = Date.now()
      const res = await gw.request(route)
      const label = `${route.method} ${route.url}`
      const outcomeUnknown = add === 'add unknown' && route.method === 'POST' && route.url === '/orders'
      t.equal(res.statusCode, outcomeUnknown ? 502 : status, `${label}: status`)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${label}: problem+json`)
      t.equal(res.json().code, outcomeUnknown ? 'upstream_outcome_unknown' : code, `${label}: code`)
      if (outcomeUnknown) {
        unknownOrder = res.json().orderId
        t.type(unknownOrder, 'number', `${label}: the problem names the order`)
      }
      t.ok(Date.now() - started < 500 + 1500, `${label}: answered within the panel timeout and a little`)
      t.notMatch(res.body, gw.sim.key, `${label}: no panel key in the body`)
      if (fault === 'rate-limit') t.ok(res.headers['retry-after'], `${label}: Retry-After`)
    }
    t.ok(gw.sim.calls('add') <= 1, 'add reached the panel at most once')
    const listed = (await gw.request({ url: '/orders' })).json().items as Array<{ id: number, status: string }>
    if (add === 'add unknown') t.match(listed[0], { id: unknownOrder, status: 'unknown' }, 'the order whose outcome is unknown is listed as such')
    else t.same(listed.map((o) => o.id).sort(), [placed.id, other].sort(), 'a refused add left no order')
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
