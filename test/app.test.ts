import t from 'tap'
import { gateway } from './helper.js'
import { sharedGateway } from './fixtures/shared-gateway.js'

const shared = sharedGateway(t)

t.test('tenant routes refuse a missing or wrong key with 401 unauthorized', async (t) => {
  const { app, sim } = await shared()
  for (const headers of [{}, { authorization: 'Bearer wrong-key-0123456789' }, { authorization: 'Basic abc' }, { 'x-api-key': 'nope' }]) {
    const res = await app.inject({ url: '/services', headers })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(res.json(), { status: 401, code: 'unauthorized', type: /unauthorized/, title: String, detail: String })
  }
  t.equal(sim.calls(), 0, 'the panel was not called')
})

t.test('the key is accepted as a Bearer token or as X-API-Key', async (t) => {
  const { app, key } = await shared()
  t.equal((await app.inject({ url: '/services', headers: { authorization: `Bearer ${key}` } })).statusCode, 200)
  t.equal((await app.inject({ url: '/services', headers: { 'x-api-key': key } })).statusCode, 200)
})

t.test('unknown routes answer a problem+json 404', async (t) => {
  const { app } = await shared()
  const res = await app.inject({ url: '/nope' })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.json().code, 'route_not_found')
})

t.test('a known path with the wrong method is a 405 naming the methods it takes', async (t) => {
  const gw = await shared()
  const order = await gw.request({ method: 'DELETE', url: '/orders/123' })
  t.equal(order.statusCode, 405)
  t.equal(order.json().code, 'method_not_allowed')
  t.equal(order.headers.allow, 'GET, HEAD')
  t.match(order.json().detail, 'DELETE is not allowed on /orders/123; use GET or HEAD')
  const services = await gw.request({ method: 'POST', url: '/services', payload: {} })
  t.equal(services.statusCode, 405)
  t.equal(services.headers.allow, 'GET, HEAD')
  t.equal((await gw.request({ method: 'PUT', url: '/orders' })).headers.allow, 'GET, HEAD, POST')
  t.equal((await gw.request({ method: 'DELETE', url: '/nope' })).statusCode, 404, 'an unknown path stays a 404')
  t.equal(gw.sim.calls(), 0)
})

t.test('GET /health needs no key', async (t) => {
  const { app } = await shared()
  const res = await app.inject({ url: '/health' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('GET /ready checks the panel', async (t) => {
  const { app } = await shared()
  const res = await app.inject({ url: '/ready' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ready', checks: { upstream: { ok: true } } })
})

t.test('GET /balance returns the panel balance as a decimal string', async (t) => {
  const { request } = await gateway(t, { sim: { balance: '100.84292' } })
  const res = await request({ url: '/balance' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { balance: '100.84292', currency: 'USD' })
})

t.test('a validation problem says what is wrong where', async (t) => {
  const { request } = await shared()
  const res = await request({ method: 'POST', url: '/orders', payload: { service: 'one' } })
  t.equal(res.statusCode, 400)
  const body = res.json()
  t.equal(body.code, 'validation_failed')
  t.ok(Array.isArray(body.errors) && body.errors.length > 0)
  t.match(body.errors[0].path, /^body/)
})

t.test('the panel key never appears in a response or a log line', async (t) => {
  const gw = await shared()
  await gw.request({ url: '/services' })
  await gw.request({ url: '/balance' })
  gw.sim.setFault('wrong-key')
  const res = await gw.request({ url: '/balance' })
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'upstream_auth_failed')
  t.match(res.json().detail, /PANEL_KEY/, 'the problem names the configuration')
  t.notMatch(res.body, gw.sim.key)
  const logs = gw.logs.join('')
  t.ok(logs.length > 0, 'something was logged')
  t.notOk(logs.includes(gw.sim.key), 'no log line has the panel key')
  t.notOk(logs.includes(gw.key), 'no log line has the client key')
})

t.test('TRUST_PROXY=true is warned against at start-up, once; a hop count is not', async (t) => {
  const warnings = (logs: string[]): Array<{ msg: string }> => logs.map((line) => JSON.parse(line)).filter((line) => line.level === 40 && /TRUST_PROXY/.test(line.msg))
  const trusting = await gateway(t, { env: { TRUST_PROXY: 'true' } })
  const lines = warnings(trusting.logs)
  t.equal(lines.length, 1, 'one warning line')
  t.match(lines[0]?.msg, /X-Forwarded-For/)
  t.match(lines[0]?.msg, /TRUST_PROXY=1/, 'it recommends a hop count')
  t.same(warnings((await gateway(t, { env: { TRUST_PROXY: '1' } })).logs), [], 'TRUST_PROXY=1 is not warned against')
})
