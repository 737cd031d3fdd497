import t from 'tap'
import { gateway } from '../helper.js'
import { testClock, until } from '../fixtures/time.js'

const TIMEOUT_MS = 1000

t.test('past its TTL the catalog answers at once while one refresh runs, so an order waits for the panel only once', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock, env: { PANEL_TIMEOUT_MS: String(TIMEOUT_MS), SERVICES_TTL_SECONDS: '60', BREAKER_FAILURES: '1000' } })
  const service = (await gw.request({ url: '/services?type=Default' })).json().items[0]
  // Past the TTL on the gateway's clock; real time never gets there.
  clock.advance(60_100)
  gw.sim.setFault('hang')
  gw.sim.resetCalls()

  const listed = await gw.request({ url: '/services?type=Default' })
  t.equal(listed.statusCode, 200, 'the old catalog is served')
  await until(() => gw.sim.calls('services') === 1, 'the refresh to reach the panel')
  t.equal(gw.app.panelHealth().limiter.inFlight, 1, 'without waiting for the hanging refresh: it is still in flight')

  const order = gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/once', quantity: service.min } })
  await until(() => gw.sim.calls('add') === 1, 'the add to reach the panel')
  t.equal(gw.app.panelHealth().limiter.inFlight, 2, 'the add reached the panel while the refresh still hung: the order did not wait for it')
  const placed = await order
  t.equal(placed.statusCode, 502, 'an add that timed out may have been placed')
  t.equal(placed.json().code, 'upstream_outcome_unknown')
  t.equal(gw.sim.calls('add'), 1)
  t.equal(gw.sim.calls('services'), 1, 'one refresh for both reads')
})

t.test('a crowd of cold reads while the panel fails makes one call, and the panel is asked again a second later', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock, env: { BREAKER_FAILURES: '1000' } })
  gw.sim.setFault('html')
  // However long the crowd takes on a busy machine, it comes within the second of the failure.
  clock.freeze()
  const answers = await Promise.all(Array.from({ length: 300 }, async () => await gw.request({ url: '/services' })))
  t.ok(answers.every((r) => r.statusCode === 502 && r.json().code === 'upstream_html_response'), 'every read gets the panel\'s failure')
  t.ok(gw.sim.calls('services') <= 2, `${gw.sim.calls('services')} services calls for 300 reads`)

  gw.sim.setFault(null)
  t.equal((await gw.request({ url: '/services' })).statusCode, 502, 'within the second the failure still answers')
  clock.advance(1100)
  t.equal((await gw.request({ url: '/services' })).statusCode, 200, 'then the panel is asked again')
})
