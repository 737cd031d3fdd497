import t from 'tap'
import { defaultCatalog, generateCatalog, SERVICE_TYPES } from '../../simulator/index.js'
import { call, panel, send, simulator } from './helper.js'

t.test('a wrong or missing key answers HTTP 200 {"error":"Invalid API key"}', async (t) => {
  const sim = await simulator(t)
  for (const fields of [{ key: 'nope', action: 'balance' }, { key: '', action: 'balance' }]) {
    const res = await call(sim, fields)
    t.equal(res.status, 200)
    t.equal(res.headers['content-type'], 'application/json')
    t.same(res.json(), { error: 'Invalid API key' })
  }
  const noKey = await send(sim, { body: 'action=balance' })
  t.same(noKey.json(), { error: 'Invalid API key' })
})

t.test('a missing or unknown action answers {"error":"Incorrect request"}', async (t) => {
  const sim = await simulator(t)
  t.same(await panel(sim, {}), { error: 'Incorrect request' })
  t.same(await panel(sim, { action: 'steal' }), { error: 'Incorrect request' })
  t.same(await panel(sim, { action: '' }), { error: 'Incorrect request' })
})

t.test('a JSON request body answers {"error":"Incorrect request"}, even with the right key', async (t) => {
  const sim = await simulator(t)
  const res = await send(sim, { body: JSON.stringify({ key: sim.key, action: 'balance' }), contentType: 'application/json' })
  t.equal(res.status, 200)
  t.same(res.json(), { error: 'Incorrect request' })
  t.equal(sim.calls('balance'), 1, 'counted under the action the JSON named')
})

t.test('a body that is not a form has no fields, so no key', async (t) => {
  const sim = await simulator(t)
  const res = await send(sim, { body: `key=${sim.key}&action=balance`, contentType: 'text/plain' })
  t.same(res.json(), { error: 'Invalid API key' })
})

t.test('form fields are decoded like a panel decodes them: the last repeated field wins', async (t) => {
  const sim = await simulator(t)
  const res = await send(sim, { body: `key=wrong&key=${encodeURIComponent(sim.key)}&action=services&action=balance` })
  t.same(res.json(), { balance: '1000.00000', currency: 'USD' })
})

t.test('the endpoint accepts a trailing slash; other paths are a 404 HTML page', async (t) => {
  const sim = await simulator(t)
  const slash = await send(sim, { path: '/api/v2/', body: `key=${sim.key}&action=balance` })
  t.same(slash.json(), { balance: '1000.00000', currency: 'USD' })
  const query = await send(sim, { path: '/api/v2?x=1', body: `key=${sim.key}&action=balance` })
  t.equal(query.status, 200)
  for (const path of ['/api/v1', '/', '/api/v2/services', '/_simx']) {
    const res = await send(sim, { path, body: `key=${sim.key}&action=balance` })
    t.equal(res.status, 404, path)
    t.match(res.headers['content-type'], /^text\/html/)
    t.match(res.text, /404 Not Found/)
  }
  t.equal(sim.calls(), 2, 'only POST /api/v2 calls are counted')
})

t.test('GET /api/v2 answers 405 with an HTML page and Allow: POST', async (t) => {
  const sim = await simulator(t)
  const res = await send(sim, { method: 'GET', contentType: null })
  t.equal(res.status, 405)
  t.equal(res.headers.allow, 'POST')
  t.match(res.headers['content-type'], /^text\/html/)
  t.equal(sim.calls(), 0)
})

t.test('a body over 1 MiB answers 413', async (t) => {
  const sim = await simulator(t)
  const res = await send(sim, { body: `key=${sim.key}&action=balance&pad=${'x'.repeat(1024 * 1024)}` })
  t.equal(res.status, 413)
  t.equal(sim.calls('unknown'), 1)
})

t.test('services lists the catalog: numeric ids, rate/min/max strings, boolean flags', async (t) => {
  const sim = await simulator(t)
  const services = await panel(sim, { action: 'services' })
  t.ok(Array.isArray(services))
  t.ok(services.length >= 30, 'a few dozen services')
  t.same(services[0], {
    service: 1,
    name: 'Instagram Followers [Refill 30D]',
    type: 'Default',
    category: 'Instagram Followers',
    rate: '0.90',
    min: '50',
    max: '10000',
    refill: true,
    cancel: true
  })
  for (const s of services) {
    t.type(s.service, 'number')
    t.match(s.rate, /^\d+(\.\d+)?$/)
    t.match(s.min, /^\d+$/)
    t.match(s.max, /^\d+$/)
    t.ok(Number(s.min) <= Number(s.max), `${s.name as string}: min ≤ max`)
    t.type(s.refill, 'boolean')
    t.type(s.cancel, 'boolean')
  }
  t.same(new Set(services.map((s: { type: string }) => s.type)), new Set(SERVICE_TYPES), 'every order type is in the catalog')
  const defaults = services.filter((s: { type: string }) => s.type === 'Default')
  for (const flag of ['refill', 'cancel']) {
    t.ok(defaults.some((s: Record<string, boolean>) => s[flag]) && defaults.some((s: Record<string, boolean>) => !s[flag]), `Default services with ${flag} on and off`)
  }
  t.equal(new Set(services.map((s: { service: number }) => s.service)).size, services.length, 'ids are unique')
})

t.test('services can be a given catalog or N generated services', async (t) => {
  const given = await simulator(t, { services: [{ service: 7, name: 'Only', type: 'Default', category: 'C', rate: '1.5', min: 1, max: 2, refill: false, cancel: false }] })
  t.same(await panel(given, { action: 'services' }), [{ service: 7, name: 'Only', type: 'Default', category: 'C', rate: '1.5', min: '1', max: '2', refill: false, cancel: false }])
  const generated = await simulator(t, { services: 500 })
  const services = await panel(generated, { action: 'services' })
  t.equal(services.length, 500)
  t.same(services.map((s: { service: number }) => s.service), Array.from({ length: 500 }, (_, i) => i + 1))
})

t.test('balance answers the balance with 5 decimals and the currency', async (t) => {
  const sim = await simulator(t, { balance: '100.84292' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '100.84292', currency: 'USD' })
  sim.setBalance('12.5')
  t.same(await panel(sim, { action: 'balance' }), { balance: '12.50000', currency: 'USD' })
  t.throws(() => sim.setBalance('lots'), RangeError)
})

t.test('startSimulator listens on the given host and port and rejects a taken port', async (t) => {
  const sim = await simulator(t)
  t.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/)
  t.equal(sim.url, `${sim.origin}/api/v2`)
  t.equal(sim.key, 'sim-secret-key')
  const port = Number(new URL(sim.origin).port)
  const { startSimulator } = await import('../../simulator/index.js')
  await t.rejects(startSimulator({ port }), { code: 'EADDRINUSE' })
  const custom = await simulator(t, { key: 'other-key' })
  t.same(await panel(custom, { action: 'balance', key: 'other-key' }), { balance: '1000.00000', currency: 'USD' })
})

t.test('defaultCatalog gives a fresh copy each time', async (t) => {
  const a = defaultCatalog()
  a[0]!.rate = '999'
  t.equal(defaultCatalog()[0]?.rate, '0.90')
})

t.test('generateCatalog(n) makes n deterministic services with ids 1..n and every order type', async (t) => {
  const services = generateCatalog(1000)
  t.equal(services.length, 1000)
  t.same(services.map((s) => s.service), Array.from({ length: 1000 }, (_, i) => i + 1))
  t.same(generateCatalog(1000), services, 'deterministic')
  t.same(new Set(services.map((s) => s.type)), new Set(SERVICE_TYPES))
  t.same(new Set(generateCatalog(81).map((s) => s.type)), new Set(SERVICE_TYPES), 'all types from 81 services on')
  for (const s of services) {
    if (!/^\d+\.\d{3}$/.test(s.rate) || Number(s.rate) <= 0 || s.min > s.max || s.min < 1) t.fail(`bad service ${JSON.stringify(s)}`)
  }
  t.ok(services.some((s) => s.refill) && services.some((s) => !s.refill))
  t.ok(services.some((s) => s.cancel) && services.some((s) => !s.cancel))
  t.equal(new Set(services.map((s) => s.category)).size, 100, 'categories of 10 services')
  t.same(generateCatalog(0), [])
  t.throws(() => generateCatalog(-1), RangeError)
  t.throws(() => generateCatalog(1.5), RangeError)
})
