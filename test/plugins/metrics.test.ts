import { createServer } from 'node:net'
import t from 'tap'
import { METRICS_TOKEN, gateway } from '../helper.js'
import type { Clock } from '../../src/clock.js'

const withToken = { authorization: `Bearer ${METRICS_TOKEN}` }

/** The value of an unlabelled sample, e.g. `smm_metrics_renders_total 1`. */
function sample (text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

/**
 * A clock whose monotonic reading moves only when the test moves it
 * (fixtures/time.ts `testClock()` keeps running with real time, so "within a
 * second" would depend on how fast the machine is). Wall time is the system's.
 */
function steppedClock (): Clock & { advance: (ms: number) => void } {
  let monotonic = performance.now()
  return { now: () => Date.now(), monotonic: () => monotonic, advance: (ms) => { monotonic += ms } }
}

t.test('without METRICS_TOKEN, GET /metrics on the main port is 403 forbidden, saying how to turn it on', async (t) => {
  const gw = await gateway(t, { env: { METRICS_TOKEN: '' } })
  for (const headers of [{}, { authorization: `Bearer ${gw.key}` }, { authorization: 'Bearer anything-at-all-0123456789' }]) {
    const res = await gw.app.inject({ url: '/metrics', headers })
    t.equal(res.statusCode, 403)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(res.json(), { code: 'forbidden', detail: /METRICS_TOKEN.*METRICS_PORT/ })
    t.notMatch(res.body, /smm_/, 'no metric leaks')
  }
})

t.test('with METRICS_TOKEN, GET /metrics on the main port needs that bearer token: 401 without it, 200 with it', async (t) => {
  const gw = await gateway(t)
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: `Bearer ${gw.key}` }, { 'x-api-key': METRICS_TOKEN }]) {
    const res = await gw.app.inject({ url: '/metrics', headers })
    t.equal(res.statusCode, 401, JSON.stringify(Object.keys(headers)))
    t.match(res.json(), { code: 'unauthorized', detail: /Authorization: Bearer <METRICS_TOKEN>/ })
    t.equal(res.headers['www-authenticate'], 'Bearer realm="smm-gateway"')
  }
  const res = await gw.app.inject({ url: '/metrics', headers: withToken })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  t.match(res.body, /# TYPE smm_http_requests_total counter/)
})

t.test('METRICS_PORT=0: a listener of its own on 127.0.0.1 serves GET /metrics over HTTP and nothing else; the main port refuses', async (t) => {
  const gw = await gateway(t, { env: { METRICS_TOKEN: '', METRICS_PORT: '0' } })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  const main = gw.app.server.address()
  if (main === null || typeof main === 'string') throw new Error('the app listens on TCP')
  const address = await gw.app.metricsListener
  if (address === undefined) throw new Error('METRICS_PORT is set')
  t.equal(address.address, '127.0.0.1', 'METRICS_HOST by default')
  t.not(address.port, main.port, 'a port of its own')
  const base = `http://127.0.0.1:${address.port}`

  const scrape = await fetch(`${base}/metrics`)
  t.equal(scrape.status, 200, 'no token needed there when METRICS_TOKEN is unset')
  t.match(scrape.headers.get('content-type'), /^text\/plain/)
  t.match(await scrape.text(), /# TYPE smm_http_requests_total counter/)

  for (const path of ['/health', '/services', '/orders', '/docs', '/metrics/x']) {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${gw.key}` } })
    t.equal(res.status, 404, `${path} is not served there`)
    t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    t.match(await res.json(), { code: 'route_not_found' })
  }

  const refused = await fetch(`http://127.0.0.1:${main.port}/metrics`)
  t.equal(refused.status, 403, 'the main port still refuses')
  t.match(await refused.json(), { code: 'forbidden' })
  t.equal((await fetch(`http://127.0.0.1:${main.port}/health`)).status, 200, 'the main port serves the rest')

  await gw.app.close()
  await t.rejects(fetch(`${base}/metrics`), 'the listener closes with the app')
})

t.test('METRICS_PORT with METRICS_TOKEN: the listener of its own needs the token too', async (t) => {
  const gw = await gateway(t, { env: { METRICS_PORT: '0' } })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  const address = await gw.app.metricsListener
  const url = `http://127.0.0.1:${address?.port ?? 0}/metrics`
  const missing = await fetch(url)
  t.equal(missing.status, 401)
  t.match(await missing.json(), { code: 'unauthorized' })
  t.equal((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status, 401)
  t.equal((await fetch(url, { headers: withToken })).status, 200)
})

t.test('a METRICS_PORT already taken: metricsListener rejects, the log names the port, the app still serves', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const port = (taken.address() as { port: number }).port
  const gw = await gateway(t, { env: { METRICS_PORT: String(port) } })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  await t.rejects(async () => { await gw.app.metricsListener }, { code: 'EADDRINUSE' })
  t.ok(gw.logs.some((line) => line.includes(`cannot listen on 127.0.0.1:${port}`)), 'logged for the operator')
  t.equal((await gw.request({ url: '/me' })).statusCode, 200)
})

t.test('scrapes within a second share one rendering; a scrape a second later renders again', async (t) => {
  const clock = steppedClock()
  const gw = await gateway(t, { clock })
  const bodies = await Promise.all(Array.from({ length: 30 }, async () => await gw.metrics()))
  t.equal(new Set(bodies).size, 1, '30 concurrent scrapes, one body')
  t.equal(sample(bodies[0] ?? '', 'smm_metrics_renders_total'), 1, 'rendered once')

  t.equal((await gw.request({ url: '/me' })).statusCode, 200)
  clock.advance(999)
  t.equal(await gw.metrics(), bodies[0], 'still the same bytes within the second, traffic or not')

  clock.advance(1)
  const next = await gw.metrics()
  t.equal(sample(next, 'smm_metrics_renders_total'), 2, 'rendered again')
  t.match(next, /smm_http_requests_total\{method="GET",route="\/me",status="200"\} 1/, 'with the traffic since')
})

t.test('main-port scrapes past the per-IP limit get 429, a wrong or missing token counted like any caller without a key', async (t) => {
  const gw = await gateway(t, { env: { RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '3' } })
  t.equal((await gw.app.inject({ url: '/metrics' })).statusCode, 401)
  t.equal((await gw.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).statusCode, 401)
  t.equal((await gw.app.inject({ url: '/metrics', headers: withToken })).statusCode, 200)
  for (const headers of [withToken, {}]) {
    const res = await gw.app.inject({ url: '/metrics', headers })
    t.equal(res.statusCode, 429)
    t.match(res.json(), { code: 'rate_limited' })
    t.ok(Number(res.headers['retry-after']) >= 1, 'with Retry-After')
  }
  t.equal((await gw.app.inject({ url: '/metrics', headers: withToken, remoteAddress: '10.0.0.2' })).statusCode, 200, 'another IP has its own count')
  t.equal((await gw.request({ url: '/me' })).statusCode, 200, 'the tenant is counted apart and still served')
})
