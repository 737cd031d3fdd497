import t from 'tap'
import { gateway, type Gateway } from '../helper.js'
import { testClock, type TestClock } from '../fixtures/time.js'

// The subtest type tap hands to a callback.
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

// Longer than any real pause of a busy machine: only the test's clock ends the cool-down.
const COOLDOWN_MS = 60_000
const ENV = {
  // Generous: a loaded machine must not turn the warm-up calls into timeouts.
  PANEL_TIMEOUT_MS: '3000',
  BREAKER_FAILURES: '3',
  BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
  // Every catalog read asks the panel, so a stale answer is visibly one.
  SERVICES_TTL_SECONDS: '0'
}

function breakerState (gw: Gateway): string | undefined {
  return gw.app.panelHealth()?.breaker.state
}

/** A gateway with a warm catalog and one placed order, then the panel failing with `reset`. */
async function failingPanel (t: Test) {
  // The breaker's cool-down runs on the gateway's monotonic clock: the test moves it on.
  const clock = testClock()
  const gw = await gateway(t, { env: ENV, clock })
  const all = await gw.request({ url: '/services' })
  const some = await gw.request({ url: '/services?type=Default' })
  t.equal(all.statusCode, 200, `warm-up: ${all.body.slice(0, 200)}`)
  t.equal(some.statusCode, 200, `warm-up: ${some.body.slice(0, 200)}`)
  const total = all.json().total as number
  const service = some.json().items[0]
  const placed = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: service.min } })
  t.equal(placed.statusCode, 201)
  gw.sim.setFault('reset')
  gw.sim.resetCalls()
  return { gw, clock, service, order: placed.json().id as number, total }
}

/** Past the cool-down (nothing is in flight). */
function coolDown (clock: TestClock): void {
  clock.advance(COOLDOWN_MS)
}

async function tripBreaker (t: Test, gw: Gateway): Promise<void> {
  for (let i = 1; i <= 3; i++) {
    const res = await gw.request({ url: '/balance' })
    t.equal(res.statusCode, 503, `failure ${i} reaches the panel`)
    t.equal(res.json().code, 'upstream_unavailable')
    t.notMatch(res.json().detail, /circuit/, `failure ${i} is the panel's own`)
  }
  t.equal(breakerState(gw), 'open', 'three consecutive failures open the circuit')
}

t.test('an open circuit answers 503 with Retry-After at once without calling the panel, and recovers by itself', async (t) => {
  const { gw, clock, service, order, total } = await failingPanel(t)
  t.equal(breakerState(gw), 'closed')
  await tripBreaker(t, gw)
  const calls = gw.sim.calls()
  t.ok(calls >= 3, `the failures reached the panel (${calls} attempts)`)

  const routes: Array<{ method: 'GET' | 'POST', url: string, payload?: object }> = [
    { method: 'GET', url: '/balance' },
    { method: 'GET', url: `/orders/${order}` },
    { method: 'GET', url: `/orders?ids=${order}` },
    { method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/d', quantity: service.min } },
    { method: 'POST', url: `/orders/${order}/cancel` }
  ]
  for (const route of routes) {
    const label = `${route.method} ${route.url}`
    const started = Date.now()
    const res = await gw.request(route)
    t.equal(res.statusCode, 503, `${label}: 503`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${label}: problem+json`)
    t.match(res.json(), { code: 'upstream_unavailable', detail: /circuit .*open/ }, `${label}: says the circuit is open`)
    t.ok(Number(res.headers['retry-after']) >= 1, `${label}: Retry-After ${String(res.headers['retry-after'])}`)
    // At once: within one panel timeout, which a call to the panel could take.
    t.ok(Date.now() - started < Number(ENV.PANEL_TIMEOUT_MS), `${label}: answered at once (${Date.now() - started} ms)`)
  }

  const services = await gw.request({ url: '/services' })
  t.equal(services.statusCode, 200, 'GET /services serves the stale catalog while open')
  t.equal(services.json().total, total)
  t.equal(gw.sim.calls(), calls, 'no call reached the panel while the circuit was open')

  t.equal((await gw.app.inject({ url: '/health' })).statusCode, 200, '/health stays 200')
  const ready = await gw.app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'not_ready', checks: { upstream: { ok: false }, breaker: { ok: false, detail: 'open' } } })
  t.equal(gw.sim.calls(), calls, '/ready did not probe the panel while open')
  t.match(await gw.metrics(), /^smm_upstream_breaker_state 2$/m, 'the gauge says open')

  gw.sim.setFault(null)
  coolDown(clock)
  t.equal(breakerState(gw), 'half_open', 'half-open after the cool-down, without traffic')
  const res = await gw.request({ url: '/balance' })
  t.equal(res.statusCode, 200, 'the probe call succeeds')
  t.match(res.json(), { balance: /^\d+(\.\d+)?$/, currency: 'USD' })
  t.equal(breakerState(gw), 'closed', 'and closes the circuit')
  t.equal(gw.sim.calls(), calls + 1, 'the probe was one panel call')
  t.equal((await gw.request({ url: `/orders/${order}` })).statusCode, 200, 'other routes work again')
  const readyAgain = await gw.app.inject({ url: '/ready' })
  t.equal(readyAgain.statusCode, 200)
  t.match(readyAgain.json(), { status: 'ready', checks: { upstream: { ok: true }, breaker: { ok: true, detail: 'closed' } } })
})

t.test('a failed half-open probe opens the circuit for another cool-down', async (t) => {
  const { gw, clock } = await failingPanel(t)
  await tripBreaker(t, gw)
  t.equal(breakerState(gw), 'open', 'open before the cool-down')
  coolDown(clock)
  t.equal(breakerState(gw), 'half_open', 'half-open after it')
  const calls = gw.sim.calls()
  const probe = await gw.request({ url: '/balance' })
  t.equal(probe.statusCode, 503)
  t.notMatch(probe.json().detail, /circuit/, 'the probe reached the panel and failed there')
  t.ok(gw.sim.calls() > calls, 'the probe called the panel')
  t.equal(breakerState(gw), 'open', 'open again')
  const after = gw.sim.calls()
  const res = await gw.request({ url: '/balance' })
  t.match(res.json(), { code: 'upstream_unavailable', detail: /circuit .*open/ })
  t.equal(gw.sim.calls(), after)
})

t.test('/ready probes the panel once the circuit is half-open, and that probe can close it', async (t) => {
  const { gw, clock } = await failingPanel(t)
  await tripBreaker(t, gw)
  gw.sim.setFault(null)
  coolDown(clock)
  t.equal(breakerState(gw), 'half_open')
  const ready = await gw.app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 200, 'a pod taken out of rotation gets back in without client traffic')
  t.match(ready.json(), { status: 'ready', checks: { upstream: { ok: true } } })
  t.equal(breakerState(gw), 'closed')
})

t.test('the panel\'s business answers do not open the circuit; a wrong panel key does', async (t) => {
  const gw = await gateway(t, { env: ENV })
  const { items } = (await gw.request({ url: '/services?type=Default' })).json()
  const service = items[0]
  gw.sim.setBalance('0')
  for (let i = 0; i < 5; i++) {
    const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: `https://a.b/${i}`, quantity: service.min } })
    t.equal(res.json().code, 'upstream_insufficient_funds', `order ${i}: the panel's own answer`)
  }
  t.equal(breakerState(gw), 'closed', 'five refusals are five answers, not failures')

  gw.sim.setFault('wrong-key')
  for (let i = 0; i < 3; i++) t.equal((await gw.request({ url: '/balance' })).json().code, 'upstream_auth_failed')
  t.equal(breakerState(gw), 'open', 'a wrong key is a configuration failure: stop hammering the panel with it')
})
