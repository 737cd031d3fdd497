import t from 'tap'
import { DIALECTS, LEAK_REDIRECT, LEAK_URL } from '../../simulator/index.js'
import { gateway } from '../helper.js'

// The subtest type tap hands to a callback.
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const ORDER = { service: 1, link: 'https://x.test/p/1', quantity: 100 }

for (const dialect of DIALECTS) {
  t.test(`${dialect}: a wrong panel key is upstream_auth_failed, and the panel is not called again while the circuit is open`, async (t) => {
    const gw = await gateway(t, { sim: { dialect }, env: { PANEL_KEY: 'not-the-panel-key', BREAKER_FAILURES: '5', BREAKER_COOLDOWN_MS: '600000' } })
    const first = await gw.request({ method: 'GET', url: '/balance' })
    t.equal(first.statusCode, 502)
    t.equal(first.json().code, 'upstream_auth_failed')
    t.equal(gw.sim.calls(), 1, 'one call told the gateway its key is refused')
    t.equal(gw.app.panelHealth().breaker.state, 'open', 'one refusal of the key opens the circuit')

    const again = await Promise.all([
      gw.request({ method: 'GET', url: '/balance' }),
      gw.request({ method: 'POST', url: '/orders', payload: ORDER }),
      gw.request({ method: 'GET', url: '/services' })
    ])
    t.same(again.map((res) => res.json().code), ['upstream_auth_failed', 'upstream_auth_failed', 'upstream_auth_failed'])
    t.ok(again.every((res) => Number(res.headers['retry-after']) > 0), 'with Retry-After')
    t.equal(gw.sim.calls(), 1, 'the panel was not called again')
    t.notMatch(JSON.stringify(again.map((res) => res.json())), /not-the-panel-key/, 'the key is in no answer')

    const ready = await gw.app.inject({ method: 'GET', url: '/ready' })
    t.equal(ready.statusCode, 503)
    t.match(ready.json().checks.breaker.detail, /open: .*API key/, '/ready says why')
    t.equal(gw.sim.calls(), 1, '/ready does not ask the panel either')
  })
}

t.test('an order refused in words that sound like the key, while the key works, is that tenant\'s 422 and the circuit stays closed', async (t) => {
  const gw = await gateway(t, { env: { BREAKER_FAILURES: '1' } })
  await gw.request({ method: 'GET', url: '/services' })
  gw.sim.resetCalls()
  gw.sim.setFault('wrong-key', { actions: ['add'] })
  const refused = await gw.request({ method: 'POST', url: '/orders', payload: ORDER })
  t.equal(refused.statusCode, 422)
  t.equal(refused.json().code, 'upstream_refused')
  t.match(refused.json().detail, /Invalid API key/, 'the panel\'s words are kept')
  t.equal(gw.sim.calls('balance'), 1, 'the gateway checked its key with a call that carries nothing else')
  t.equal(gw.app.panelHealth().breaker.state, 'closed')
  const other = await gw.addTenant({ name: 'other' })
  t.equal((await other.request({ method: 'GET', url: '/balance' })).statusCode, 200, 'another tenant is served')
  t.same((await gw.request({ url: '/orders' })).json().items, [], 'the refused order is not kept as placed')
})

// A panel that echoes the key it was sent, and where its own parts live (simulator/leaks.ts).
// What reaches a tenant names neither; the operator's log has the address, never the key.
const ADDRESS = /10\.20\.30\.40|admin\.panel\.internal|:8080|:8443|https?:\/\//

function noKey (t: Test, text: string, key: string, what: string): void {
  const seen = text.toLowerCase()
  t.notOk([key, encodeURIComponent(key), key.slice(0, 8), key.slice(-8)].some((form) => seen.includes(form.toLowerCase())), `${what}: no key, nor a piece of it`)
}

t.test('a panel error naming an internal URL and the key reaches the tenant as a clean detail; the log has the URL, not the key', async (t) => {
  const gw = await gateway(t)
  const { items } = (await gw.request({ url: '/services' })).json()
  gw.sim.setLeak('error', { actions: ['add'] })
  const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: items[0].id, link: 'https://x.test/p/1', quantity: items[0].min } })
  t.equal(res.statusCode, 422)
  t.equal(res.json().code, 'upstream_refused')
  t.equal(res.json().detail, 'The panel refused the request: cURL error 7: Failed to connect to [host] port 8080 ([url]) for key [redacted]')
  t.notMatch(res.json().detail, ADDRESS, 'no address in the answer')
  noKey(t, res.body, gw.sim.key, 'the answer')
  const logs = gw.logs.join('')
  t.ok(logs.includes(`${LEAK_URL}?key=[redacted]`), 'the operator\'s log has the URL, the key taken out of it')
  noKey(t, logs, gw.sim.key, 'the log')
})

t.test('a redirect to an internal login page with the key in its query: the tenant sees neither, the log has the target without the key', async (t) => {
  const gw = await gateway(t, { env: { BREAKER_FAILURES: '1000' } })
  gw.sim.setLeak('redirect')
  const res = await gw.request({ url: '/balance' })
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'upstream_invalid_response')
  t.equal(res.json().detail, 'The panel redirected (HTTP 302): check PANEL_URL')
  t.notMatch(res.json().detail, ADDRESS)
  noKey(t, res.body, gw.sim.key, 'the answer')
  const logs = gw.logs.join('')
  t.ok(logs.includes(`${LEAK_REDIRECT}?next=%2Fapi%2Fv2&key=[redacted]`), 'the operator\'s log has the target')
  noKey(t, logs, gw.sim.key, 'the log')
})

t.test('a successful answer with the key in currency, service names and categories comes out scrubbed', async (t) => {
  const gw = await gateway(t)
  gw.sim.setLeak('answer')
  const services = await gw.request({ url: '/services' })
  t.equal(services.statusCode, 200)
  const first = services.json().items[0]
  t.match(first.name, / \[redacted\]$/, 'a service name')
  t.match(first.category, / \[redacted\]$/, 'a category')
  noKey(t, services.body, gw.sim.key, 'GET /services')
  const categories = await gw.request({ url: '/categories' })
  noKey(t, categories.body, gw.sim.key, 'GET /categories')
  const balance = await gw.request({ url: '/balance' })
  t.equal(balance.json().currency, '[redacted]')
  noKey(t, balance.body, gw.sim.key, 'GET /balance')
  const placed = await gw.request({ method: 'POST', url: '/orders', payload: { service: first.id, link: 'https://x.test/p/2', quantity: first.min } })
  t.equal(placed.statusCode, 201)
  const order = await gw.request({ url: `/orders/${placed.json().id as number}` })
  t.equal(order.statusCode, 200)
  t.equal(order.json().currency, '[redacted]', 'an order\'s currency')
  noKey(t, order.body, gw.sim.key, 'GET /orders/:id')
  noKey(t, gw.logs.join(''), gw.sim.key, 'the log')
})
