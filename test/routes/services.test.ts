import t from 'tap'
import { gateway } from '../helper.js'
import { testClock, until } from '../fixtures/time.js'
import { sharedGateway } from '../fixtures/shared-gateway.js'

const shared = sharedGateway(t)

t.test('300 concurrent cold GET /services make one upstream call', async (t) => {
  const { sim, request } = await gateway(t)
  const answers = await Promise.all(Array.from({ length: 300 }, async () => await request({ url: '/services' })))
  t.ok(answers.every((r) => r.statusCode === 200), 'all 200')
  t.equal(sim.calls('services'), 1)
  t.equal(new Set(answers.map((r) => r.body)).size, 1, 'everyone got the same catalog')
})

t.test('GET /services returns typed services with items and total', async (t) => {
  const { request } = await shared()
  const res = await request({ url: '/services?limit=1000' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.equal(body.total, body.items.length)
  t.ok(body.total >= 20, 'a realistic catalog')
  for (const s of body.items) {
    t.type(s.id, 'number')
    t.type(s.min, 'number')
    t.type(s.max, 'number')
    t.type(s.refill, 'boolean')
    t.match(s.rate, /^\d+(\.\d+)?$/, 'rate is a decimal string')
  }
})

t.test('GET /services filters by category, type, name words, flags, and pages', async (t) => {
  const { request } = await shared()
  const all = (await request({ url: '/services?limit=1000' })).json().items as Array<Record<string, unknown>>
  const first = all[0] as { category: string, type: string, name: string }

  const byCategory = (await request({ url: `/services?category=${encodeURIComponent(first.category.toUpperCase())}` })).json()
  t.ok(byCategory.items.length > 0)
  t.ok(byCategory.items.every((s: { category: string }) => s.category === first.category), 'category match is case-insensitive and exact')

  const byType = (await request({ url: '/services?type=default&limit=1000' })).json()
  t.ok(byType.items.every((s: { type: string }) => s.type === 'Default'))

  const word = first.name.split(/\s+/)[0] as string
  const byName = (await request({ url: `/services?q=${encodeURIComponent(word.toLowerCase())}&limit=1000` })).json()
  t.ok(byName.items.length > 0 && byName.items.every((s: { name: string }) => s.name.toLowerCase().includes(word.toLowerCase())))

  const refillable = (await request({ url: '/services?refill=true&limit=1000' })).json()
  t.equal(refillable.total, all.filter((s) => s.refill === true).length)
  const notCancelable = (await request({ url: '/services?cancel=false&limit=1000' })).json()
  t.equal(notCancelable.total, all.filter((s) => s.cancel === false).length)

  const page = (await request({ url: '/services?limit=2&offset=1' })).json()
  t.equal(page.items.length, 2)
  t.same(page.items.map((s: { id: number }) => s.id), all.slice(1, 3).map((s) => s.id))
  t.equal(page.total, all.length)
})

t.test('GET /services answers 304 to a matching If-None-Match and a new ETag per query', async (t) => {
  const { request } = await shared()
  const first = await request({ url: '/services' })
  const etag = first.headers.etag as string
  t.match(etag, /^"[\w.-]+"$/)
  const again = await request({ url: '/services', headers: { 'if-none-match': etag } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  const weak = await request({ url: '/services', headers: { 'if-none-match': `"nope", W/${etag}` } })
  t.equal(weak.statusCode, 304, 'weak comparison, lists of tags')
  const other = await request({ url: '/services?limit=5', headers: { 'if-none-match': etag } })
  t.equal(other.statusCode, 200, 'another query has another tag')
  t.not(other.headers.etag, etag)
})

t.test('GET /services rejects bad query parameters with validation_failed', async (t) => {
  const { sim, request } = await shared()
  for (const url of ['/services?limit=0', '/services?limit=abc', '/services?offset=-1', '/services?refill=maybe', '/services?colour=red']) {
    const res = await request({ url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.json().code, 'validation_failed')
  }
  t.equal(sim.calls('services'), 0, 'the panel was not called')
})

t.test('GET /services/:id returns one service and 404 for an unknown one', async (t) => {
  const { request } = await shared()
  const [one] = (await request({ url: '/services?limit=1' })).json().items
  const res = await request({ url: `/services/${one.id}` })
  t.equal(res.statusCode, 200)
  t.same(res.json(), one)
  const missing = await request({ url: '/services/999999' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'not_found')
  t.equal((await request({ url: '/services/abc' })).json().code, 'validation_failed')
})

t.test('GET /categories counts services per category', async (t) => {
  const { request } = await shared()
  const services = (await request({ url: '/services?limit=1000' })).json().items as Array<{ category: string }>
  const { items } = (await request({ url: '/categories' })).json()
  t.equal(items.reduce((n: number, c: { serviceCount: number }) => n + c.serviceCount, 0), services.length)
  for (const c of items) t.equal(c.serviceCount, services.filter((s) => s.category === c.name).length, c.name)
})

t.test('the catalog is served stale while the panel fails, then refreshed', async (t) => {
  const clock = testClock()
  const { sim, request, logs } = await gateway(t, { clock, env: { SERVICES_TTL_SECONDS: '60', SERVICES_STALE_SECONDS: '60' } })
  const fresh = await request({ url: '/services' })
  t.equal(fresh.statusCode, 200)
  sim.setFault('server-error')
  // Past the TTL on the gateway's clock; real time never gets there.
  clock.advance(60_005)
  const stale = await request({ url: '/services' })
  t.equal(stale.statusCode, 200, 'stale catalog served')
  t.equal(stale.body, fresh.body)
  // The stale answer does not wait for the refresh behind it: its failure (after the client's retries) comes later.
  await until(() => logs.some((line) => line.includes('catalog refresh failed')), 'the background refresh to fail')
  sim.setFault(null)
  const before = sim.calls('services')
  t.equal((await request({ url: '/services' })).statusCode, 200)
  await until(() => sim.calls('services') > before, 'the next refresh to reach the panel')
  t.equal(sim.calls('services'), before + 1, 'refreshed once the panel is back')
})

t.test('with no catalog cached, a failing panel gives a problem, not an empty list', async (t) => {
  const { sim, request } = await gateway(t)
  sim.setFault('html')
  const res = await request({ url: '/services' })
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'upstream_html_response')
})
