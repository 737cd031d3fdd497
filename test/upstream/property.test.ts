import fc from 'fast-check'
import t from 'tap'
import { GatewayError } from '../../src/problems/errors.js'
import { classifyAnswer } from '../../src/upstream/classify.js'
import {
  normaliseAdd, normaliseBalance, normaliseCancel, normaliseRefill, normaliseRefillMany, normaliseRefillStatus,
  normaliseRefillStatusMany, normaliseServices, normaliseStatus, normaliseStatusMany
} from '../../src/upstream/normalise.js'
import { gateway } from '../helper.js'

const SECRET = 'panel-secret-key-123'

function typedOrValue (fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch (err) {
    return err instanceof GatewayError && !err.message.includes(SECRET)
  }
}

// Panel-ish JSON: real field names with values of any type, plus anything at all.
const panelish = fc.oneof(
  fc.jsonValue(),
  fc.anything(),
  fc.array(fc.record({ service: fc.jsonValue(), name: fc.jsonValue(), rate: fc.jsonValue(), min: fc.jsonValue(), max: fc.jsonValue(), refill: fc.jsonValue(), type: fc.jsonValue() }, { requiredKeys: [] })),
  fc.dictionary(fc.oneof(fc.integer().map(String), fc.string()), fc.oneof(fc.jsonValue(), fc.record({ charge: fc.jsonValue(), status: fc.jsonValue(), remains: fc.jsonValue(), error: fc.jsonValue() }, { requiredKeys: [] }))),
  fc.record({ error: fc.oneof(fc.string(), fc.constant(`Invalid key ${SECRET}`), fc.jsonValue()) })
)

t.test('no panel answer makes a normaliser throw anything but a typed error', async (t) => {
  const ids = [1, 2, 3]
  fc.assert(fc.property(panelish, (body) =>
    typedOrValue(() => normaliseServices(body, [SECRET])) &&
    typedOrValue(() => normaliseAdd(body, [SECRET])) &&
    typedOrValue(() => normaliseStatus(body, 1, [SECRET])) &&
    typedOrValue(() => normaliseStatusMany(body, ids, [SECRET])) &&
    typedOrValue(() => normaliseRefill(body, 1, [SECRET])) &&
    typedOrValue(() => normaliseRefillMany(body, ids, [SECRET])) &&
    typedOrValue(() => normaliseRefillStatus(body, 1, [SECRET])) &&
    typedOrValue(() => normaliseRefillStatusMany(body, ids, [SECRET])) &&
    typedOrValue(() => normaliseCancel(body, ids, [SECRET])) &&
    typedOrValue(() => normaliseBalance(body, [SECRET]))
  ), { numRuns: 2000 })
  t.pass('2000 generated answers, each through every normaliser')
})

t.test('no HTTP answer makes the classifier throw anything but a typed error', async (t) => {
  const answer = fc.record({
    statusCode: fc.integer({ min: 100, max: 599 }),
    headers: fc.dictionary(fc.constantFrom('content-type', 'retry-after', 'location', 'x-other'), fc.oneof(fc.string(), fc.constantFrom('text/html', 'application/json', '120', 'Wed, 21 Oct 2015 07:28:00 GMT'))),
    body: fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v) ?? ''), fc.uint8Array({ maxLength: 200 }), fc.constant('<html>' + SECRET + '</html>'))
  })
  fc.assert(fc.property(answer, (a) => typedOrValue(() => classifyAnswer(a, [SECRET]))), { numRuns: 2000 })
  t.pass('2000 generated HTTP answers')
})

t.test('no POST /orders body gets a 5xx or reaches the panel unless valid', async (t) => {
  const gw = await gateway(t)
  const services = (await gw.request({ url: '/services?limit=1000' })).json().items as Array<{ id: number }>
  const ids = services.map((s) => s.id)
  const body = fc.oneof(
    fc.jsonValue(),
    fc.record({
      service: fc.oneof(fc.constantFrom(...ids), fc.integer(), fc.string(), fc.constant(null)),
      link: fc.oneof(fc.webUrl(), fc.string(), fc.constant('https://a.b/c\r\nkey=x')),
      quantity: fc.oneof(fc.integer({ min: -10, max: 200000 }), fc.double(), fc.string()),
      runs: fc.integer({ min: -1, max: 20 }),
      interval: fc.integer({ min: -1, max: 100 }),
      comments: fc.string(),
      username: fc.string(),
      answerNumber: fc.integer()
    }, { requiredKeys: [] })
  ).map((v) => JSON.stringify(v) ?? 'null')
  const raw = fc.oneof(
    body,
    fc.string(),
    fc.constant('{"__proto__":{"quantity":100},"service":1,"link":"https://a.b/c"}'),
    fc.constant('{"constructor":{"prototype":{"x":1}},"service":1}')
  )
  await fc.assert(fc.asyncProperty(raw, async (payload) => {
    const before = gw.sim.calls('add')
    const res = await gw.request({ method: 'POST', url: '/orders', payload, headers: { 'content-type': 'application/json' } })
    if (res.statusCode === 201) return gw.sim.calls('add') === before + 1
    return res.statusCode >= 400 && res.statusCode < 500 &&
      res.headers['content-type'] === 'application/problem+json; charset=utf-8' &&
      typeof res.json().code === 'string' &&
      // a refusal before the panel costs nothing; one from the panel was its own check
      (gw.sim.calls('add') === before || res.json().code !== 'validation_failed')
  }), { numRuns: 300 })
  t.pass('300 generated order bodies')
})

t.test('no query string makes GET /services or GET /orders fail with a 5xx', async (t) => {
  const gw = await gateway(t)
  const query = fc.dictionary(fc.constantFrom('limit', 'offset', 'q', 'category', 'type', 'refill', 'cancel', 'ids', 'status', 'cursor', 'x'), fc.string(), { maxKeys: 4 })
  await fc.assert(fc.asyncProperty(query, fc.constantFrom('/services', '/orders'), async (q, path) => {
    const res = await gw.request({ url: path, query: q })
    return res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500 && typeof res.json().code === 'string')
  }), { numRuns: 300 })
  t.pass('300 generated query strings')
})
