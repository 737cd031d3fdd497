import t from 'tap'
import { DIALECTS } from '../../simulator/index.js'
import { gateway } from '../helper.js'

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
