import t from 'tap'
import { METRICS_TOKEN, gateway } from '../helper.js'
import { testClock } from '../fixtures/time.js'

function metric (text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text.split('\n').find((l) => l.startsWith(name + '{') || l.startsWith(name + ' ')
    ? Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))
    : false)
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

t.test('a valid X-Request-Id is kept and echoed; anything else is replaced', async (t) => {
  const gw = await gateway(t)
  const kept = await gw.request({ url: '/services', headers: { 'x-request-id': 'trace-abc.123' } })
  t.equal(kept.headers['x-request-id'], 'trace-abc.123')
  t.ok(gw.logs.some((l) => JSON.parse(l).requestId === 'trace-abc.123'), 'the id is in the log lines')
  const replaced = await gw.request({ url: '/services', headers: { 'x-request-id': 'bad id\twith "quotes"' } })
  t.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const problem = await gw.app.inject({ url: '/nope' })
  t.ok(problem.headers['x-request-id'], 'errors carry the id too')
})

t.test('logs are JSON lines with request ids and no secrets', async (t) => {
  const gw = await gateway(t)
  await gw.request({ url: '/services', headers: { 'x-api-key': gw.key, authorization: `Bearer ${gw.key}` } })
  await gw.request({ method: 'POST', url: '/orders', payload: { service: 1, link: 'https://a.b/c', quantity: 1 } })
  for (const line of gw.logs) {
    const entry = JSON.parse(line)
    t.type(entry.level, 'number')
    t.notOk(line.includes(gw.key), 'no tenant key')
    t.notOk(line.includes(gw.sim.key), 'no panel key')
  }
  t.ok(gw.logs.filter((l) => JSON.parse(l).msg === 'request completed').every((l) => JSON.parse(l).requestId !== undefined))
})

t.test('GET /metrics is Prometheus text that moves with traffic', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock })
  const before = await gw.metrics()
  t.match(before, /# TYPE smm_http_requests_total counter/)
  await gw.request({ url: '/services' })
  await gw.request({ url: '/services' })
  await gw.request({ method: 'POST', url: '/orders', payload: { service: 987654, link: 'https://a.b/c', quantity: 100 } })
  await gw.request({ url: '/orders?ids=1,2' })
  clock.advance(1000) // past the rendering the first scrape made (metrics.ts renders at most once a second)
  const res = await gw.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const text = res.body
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    t.match(line, /^[a-zA-Z_:][\w:]*(\{[^}]*\})? (-?[\d.e+-]+|nan|[+-]inf)$/i, 'a sample line (Go parses NaN in any case)')
  }
  t.equal(metric(text, 'smm_http_requests_total', { route: '/services', status: '200' }), 2)
  t.equal(metric(text, 'smm_upstream_calls_total', { action: 'services', outcome: 'ok' }), 1)
  t.equal(metric(text, 'smm_catalog_reads_total', { result: 'miss' }), 1)
  t.ok(metric(text, 'smm_catalog_reads_total', { result: 'hit' }) >= 2)
  t.equal(metric(text, 'smm_problems_total', { code: 'unknown_service' }), 1)
  // Metric names may speak of orders (smm_orders_unknown_total); their labels never name one.
  const labels = text.split('\n').filter((l) => !l.startsWith('#')).map((l) => /\{[^}]*\}/.exec(l)?.[0] ?? '').join('\n')
  t.notOk(/order|tenant|key=/.test(labels.replace(/route="[^"]*"/g, '')), 'no per-order, per-tenant or per-key labels')
})

t.test('under event-loop pressure the gateway sheds load with 503 overloaded, but /health answers', async (t) => {
  const gw = await gateway(t, { env: { MAX_EVENT_LOOP_DELAY_MS: '10' } })
  const end = Date.now() + 1200
  while (Date.now() < end) {
    // block the event loop for longer than one pressure sample
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  const res = await gw.request({ url: '/me' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'overloaded')
  t.equal(res.headers['retry-after'], '5')
  t.equal((await gw.app.inject({ url: '/health' })).statusCode, 200)
})
