import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { gateway } from '../helper.js'

const TIMEOUT_MS = 1000

t.test('past its TTL the catalog answers at once while one refresh runs, so an order waits for the panel only once', async (t) => {
  const gw = await gateway(t, { env: { PANEL_TIMEOUT_MS: String(TIMEOUT_MS), SERVICES_TTL_SECONDS: '1', BREAKER_FAILURES: '1000' } })
  const service = (await gw.request({ url: '/services?type=Default' })).json().items[0]
  await sleep(1100)
  gw.sim.setFault('hang')
  gw.sim.resetCalls()

  let started = performance.now()
  const listed = await gw.request({ url: '/services?type=Default' })
  t.equal(listed.statusCode, 200, 'the old catalog is served')
  t.ok(performance.now() - started < TIMEOUT_MS / 2, 'without waiting for the hanging refresh')

  started = performance.now()
  const placed = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/once', quantity: service.min } })
  const took = performance.now() - started
  t.equal(placed.statusCode, 502, 'an add that timed out may have been placed')
  t.equal(placed.json().code, 'upstream_outcome_unknown')
  t.ok(took < TIMEOUT_MS * 1.6, `the order's outcome was unknown after one PANEL_TIMEOUT_MS, not two (${Math.round(took)} ms)`)
  t.equal(gw.sim.calls('add'), 1)
  t.equal(gw.sim.calls('services'), 1, 'one refresh for both reads')
})

t.test('a crowd of cold reads while the panel fails makes one call, and the panel is asked again a second later', async (t) => {
  const gw = await gateway(t, { env: { BREAKER_FAILURES: '1000' } })
  gw.sim.setFault('html')
  const answers = await Promise.all(Array.from({ length: 300 }, async () => await gw.request({ url: '/services' })))
  t.ok(answers.every((r) => r.statusCode === 502 && r.json().code === 'upstream_html_response'), 'every read gets the panel\'s failure')
  t.ok(gw.sim.calls('services') <= 2, `${gw.sim.calls('services')} services calls for 300 reads`)

  gw.sim.setFault(null)
  t.equal((await gw.request({ url: '/services' })).statusCode, 502, 'within the second the failure still answers')
  await sleep(1100)
  t.equal((await gw.request({ url: '/services' })).statusCode, 200, 'then the panel is asked again')
})
