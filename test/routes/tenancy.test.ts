import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { gateway, TEST_DATABASE, type Gateway, type TestContext } from '../helper.js'

interface Service { id: number, min: number, max: number, rate: string, category: string, refill: boolean, cancel: boolean }

async function defaultService (gw: Gateway): Promise<Service> {
  return (await gw.request({ url: '/services?type=Default&refill=true&cancel=true' })).json().items[0]
}

t.test('two tenants: neither can read, refill or cancel the other\'s orders; each lists only its own', async (t) => {
  const gw = await gateway(t)
  const other = await gw.addTenant({ name: 'other' })
  const service = await defaultService(gw)
  const place = async (request: Gateway['request']): Promise<{ id: number, panelOrderId: number }> =>
    (await request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: service.min } })).json()
  const mine = (await place(gw.request)).id
  const placed = await place(other.request)
  const theirs = placed.id
  gw.sim.setOrderStatus(placed.panelOrderId, 'Completed')
  const refill = (await other.request({ method: 'POST', url: `/orders/${theirs}/refill` })).json().id as number
  gw.sim.resetCalls()

  const unknown = await gw.request({ url: '/orders/999999' })
  const foreign = await gw.request({ url: `/orders/${theirs}` })
  t.equal(foreign.statusCode, 404)
  t.same({ ...foreign.json(), detail: '', instance: '' }, { ...unknown.json(), detail: '', instance: '' }, 'another tenant\'s order looks like an unknown one')
  t.equal(foreign.json().detail, `Order ${theirs} does not exist`)

  for (const route of [
    { method: 'POST' as const, url: `/orders/${theirs}/refill` },
    { method: 'POST' as const, url: `/orders/${theirs}/cancel` },
    { method: 'GET' as const, url: `/refills/${refill}` }
  ]) {
    const res = await gw.request(route)
    t.equal(res.statusCode, 404, `${route.method} ${route.url}`)
    t.equal(res.json().code, 'not_found')
  }
  const batch = (await gw.request({ url: `/orders?ids=${mine},${theirs}` })).json().items
  t.equal(batch[0].id, mine)
  t.match(batch[1], { id: theirs, error: { code: 'not_found' } })
  const refills = (await gw.request({ method: 'POST', url: '/orders/refill', payload: { orders: [theirs] } })).json().items
  t.match(refills[0], { order: theirs, error: { code: 'not_found' } })
  const cancels = (await gw.request({ method: 'POST', url: '/orders/cancel', payload: { orders: [theirs] } })).json().items
  t.match(cancels[0], { id: theirs, error: { code: 'not_found' } })
  t.equal(gw.sim.calls('refill') + gw.sim.calls('cancel') + gw.sim.calls('refill_status'), 0, 'nothing of the other tenant reached the panel')

  t.same((await gw.request({ url: '/orders' })).json().items.map((o: { id: number }) => o.id), [mine])
  t.same((await other.request({ url: '/orders' })).json().items.map((o: { id: number }) => o.id), [theirs])
})

/** Two gateways on one database, each before its own panel: the panel was replaced, its ids start again. */
async function panelReplaced (t: TestContext): Promise<[Gateway, Gateway]> {
  if (TEST_DATABASE === 'postgres') {
    const before = await gateway(t)
    const shared = { DATABASE_URL: before.config.store.url, DATABASE_SCHEMA: before.config.store.schema ?? '' }
    return [before, await gateway(t, { env: shared })]
  }
  const dir = await mkdtemp(join(tmpdir(), 'smm-replaced-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const shared = { DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}` }
  return [await gateway(t, { env: shared }), await gateway(t, { env: shared })]
}

t.test('after the panel restarts its ids, one tenant\'s lookups never change another\'s order, and a repeated refill id is found', async (t) => {
  const [before, after] = await panelReplaced(t)
  const alice = before.request
  const bob = after.request
  const service = await defaultService(before)
  const payload = { service: service.id, link: 'https://a.b/c', quantity: service.min }
  const hers = (await alice({ method: 'POST', url: '/orders', payload })).json() as { id: number, panelOrderId: number }
  before.sim.setOrderStatus(hers.panelOrderId, 'Completed')
  const done = (await alice({ url: `/orders/${hers.id}` })).json()
  t.equal(done.status, 'completed')
  const herRefill = (await alice({ method: 'POST', url: `/orders/${hers.id}/refill` })).json() as { id: number, panelRefillId: number }

  const placed = await bob({ method: 'POST', url: '/orders', payload })
  t.equal(placed.statusCode, 201)
  const his = placed.json() as { id: number, panelOrderId: number }
  t.equal(his.panelOrderId, hers.panelOrderId, 'the new panel hands out her order id again')
  t.not(his.id, hers.id, 'but the gateway\'s ids differ')
  t.equal((await bob({ url: `/orders/${his.id}` })).json().status, 'pending')
  t.equal((await bob({ url: `/orders/${hers.id}` })).statusCode, 404, 'her order is not his')
  const aliceNow = await after.app.inject({ url: `/orders/${hers.id}`, headers: { authorization: `Bearer ${before.key}` } })
  t.same(aliceNow.json(), done, 'her final order is untouched by his lookup')

  after.sim.setOrderStatus(his.panelOrderId, 'Completed')
  const refilled = await bob({ method: 'POST', url: `/orders/${his.id}/refill` })
  t.equal(refilled.statusCode, 201)
  t.equal(refilled.json().panelRefillId, herRefill.panelRefillId, 'the new panel hands out her refill id again')
  const hisRefill = refilled.json().id as number
  t.not(hisRefill, herRefill.id)
  const hisStatus = await bob({ url: `/refills/${hisRefill}` })
  t.equal(hisStatus.statusCode, 200, 'his refill is found')
  t.match(hisStatus.json(), { id: hisRefill, order: his.id, panelRefillId: herRefill.panelRefillId })
  t.same((await bob({ url: `/refills?ids=${hisRefill}` })).json().items.map((r: { id: number, error?: unknown }) => r.error), [undefined])
  const hersNow = await after.app.inject({ url: `/refills/${herRefill.id}`, headers: { authorization: `Bearer ${before.key}` } })
  t.equal(hersNow.json().code, 'order_not_on_panel', 'the new panel is never asked about her refill by an id it handed out again')
})

t.test('GET /orders lists the tenant\'s orders newest first with cursor paging and a status filter', async (t) => {
  const gw = await gateway(t)
  const service = await defaultService(gw)
  const ids: number[] = []
  const panelIds: number[] = []
  for (let i = 0; i < 5; i++) {
    const placed = (await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: `https://a.b/${i}`, quantity: service.min } })).json()
    ids.push(placed.id)
    panelIds.push(placed.panelOrderId)
  }
  const first = (await gw.request({ url: '/orders?limit=2' })).json()
  t.same(first.items.map((o: { id: number }) => o.id), [ids[4], ids[3]])
  t.match(first.items[0], { service: service.id, status: 'pending', quantity: service.min, estimatedCharge: String, createdAt: String })
  const second = (await gw.request({ url: `/orders?limit=2&cursor=${first.nextCursor as string}` })).json()
  t.same(second.items.map((o: { id: number }) => o.id), [ids[2], ids[1]])
  const last = (await gw.request({ url: `/orders?limit=2&cursor=${second.nextCursor as string}` })).json()
  t.same(last.items.map((o: { id: number }) => o.id), [ids[0]])
  t.equal(last.nextCursor, null)

  gw.sim.setOrderStatus(panelIds[2] as number, 'Completed')
  await gw.request({ url: `/orders/${ids[2] as number}` })
  t.same((await gw.request({ url: '/orders?status=completed' })).json().items.map((o: { id: number }) => o.id), [ids[2]])
  t.equal((await gw.request({ url: '/orders?status=pending' })).json().items.length, 4)
})

t.test('a final status is stored and answered without the panel', async (t) => {
  const gw = await gateway(t)
  const service = await defaultService(gw)
  const { id, panelOrderId } = (await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: service.min } })).json()
  gw.sim.setOrderStatus(panelOrderId, 'Partial', { remains: 3 })
  const live = (await gw.request({ url: `/orders/${id}` })).json()
  t.equal(live.status, 'partial')
  gw.sim.resetCalls()
  gw.sim.setFault('server-error')
  const stored = await gw.request({ url: `/orders/${id}` })
  t.equal(stored.statusCode, 200)
  t.same(stored.json(), live)
  t.equal(gw.sim.calls('status'), 0)
})

t.test('a missing scope is a 403 forbidden', async (t) => {
  const gw = await gateway(t, { tenant: { scopes: ['services:read', 'orders:read'] } })
  t.equal((await gw.request({ url: '/services' })).statusCode, 200)
  for (const route of [
    { method: 'POST' as const, url: '/orders', payload: { service: 1, link: 'https://a.b/c', quantity: 100 } },
    { method: 'POST' as const, url: '/orders/1/refill' },
    { method: 'POST' as const, url: '/orders/1/cancel' },
    { method: 'GET' as const, url: '/balance' }
  ]) {
    const res = await gw.request(route)
    t.equal(res.statusCode, 403, `${route.method} ${route.url}`)
    t.equal(res.json().code, 'forbidden')
  }
  t.equal(gw.sim.calls('add') + gw.sim.calls('balance'), 0)
})

t.test('the allowlist filters the catalog a tenant sees and may order from', async (t) => {
  const gw = await gateway(t)
  const all = (await gw.request({ url: '/services?limit=1000' })).json().items as Service[]
  const byCategory = all[0] as Service
  const byId = all.find((s) => s.category !== byCategory.category) as Service
  const limited = await gw.addTenant({ allowedServices: { ids: [byId.id], categories: [byCategory.category] } })
  const seen = (await limited.request({ url: '/services?limit=1000' })).json().items as Service[]
  t.same(seen.map((s) => s.id).sort((a, b) => a - b),
    all.filter((s) => s.id === byId.id || s.category === byCategory.category).map((s) => s.id).sort((a, b) => a - b))
  const categories = (await limited.request({ url: '/categories' })).json().items as Array<{ name: string }>
  t.same(categories.map((c) => c.name).sort(), [byCategory.category, byId.category].sort())
  const hidden = all.find((s) => s.id !== byId.id && s.category !== byCategory.category) as Service
  t.equal((await limited.request({ url: `/services/${hidden.id}` })).statusCode, 404)
  const order = await limited.request({ method: 'POST', url: '/orders', payload: { service: hidden.id, link: 'https://a.b/c', quantity: hidden.min } })
  t.equal(order.statusCode, 422)
  t.equal(order.json().code, 'unknown_service')
  t.equal(gw.sim.calls('add'), 0)
})

t.test('budgets: a daily budget of 1.00 refuses a 1.80 order before the panel and allows a 0.90 one', async (t) => {
  const gw = await gateway(t, { tenant: { dailyBudget: '1.00' } })
  const service = (await gw.request({ url: '/services?type=Default&limit=1000' })).json().items
    .find((s: Service) => s.rate === '0.9' && s.min <= 2000 && s.max >= 2000) as Service | undefined
  if (service === undefined) throw new Error('the simulator catalog has no Default service at rate 0.9')
  const big = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: 2000 } })
  t.equal(big.statusCode, 402)
  t.match(big.json(), { code: 'budget_exceeded', limit: 'daily', budget: '1', estimatedCharge: '1.8' })
  t.equal(gw.sim.calls('add'), 0, 'refused before the panel')
  const small = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: 1000 } })
  t.equal(small.statusCode, 201)
  t.equal(small.json().estimatedCharge, '0.9')
  const again = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/d', quantity: 1000 } })
  t.equal(again.statusCode, 402, 'the first order counts against the budget')
  t.match((await gw.request({ url: '/me' })).json(), { dailyBudget: '1', spend: { today: '0.9' } })
})

t.test('a tenant over its rate limit gets 429 with Retry-After; another tenant is not affected', async (t) => {
  const gw = await gateway(t, { tenant: { rateLimitPerMinute: 3 } })
  const other = await gw.addTenant()
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await gw.request({ url: '/me' })).statusCode)
  t.same(codes, [200, 200, 200, 429])
  const limited = await gw.request({ url: '/me' })
  t.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After')
  t.ok(limited.headers.ratelimit ?? limited.headers['ratelimit-limit'], 'RateLimit headers')
  t.equal((await other.request({ url: '/me' })).statusCode, 200, 'the other tenant goes on')
  t.equal((await gw.app.inject({ url: '/docs/' })).statusCode, 200, 'Swagger UI is not limited')
})

t.test('callers without a valid key are limited by IP', async (t) => {
  const gw = await gateway(t, { env: { RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2' } })
  const codes: number[] = []
  for (let i = 0; i < 3; i++) codes.push((await gw.app.inject({ url: '/services', headers: { authorization: 'Bearer sgw_AAAAAAAA_' + 'A'.repeat(43) } })).statusCode)
  t.same(codes, [401, 401, 429])
  t.equal((await gw.request({ url: '/services' })).statusCode, 200, 'a tenant from the same IP is counted apart')
})

t.test('GET /me describes the calling tenant without secrets', async (t) => {
  const gw = await gateway(t, { tenant: { name: 'billing', scopes: ['services:read'], rateLimitPerMinute: 42, monthlyBudget: '100.50' } })
  const res = await gw.request({ url: '/me' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    tenant: { id: gw.tenant.id, name: 'billing' },
    scopes: ['services:read'],
    rateLimitPerMinute: 42,
    dailyBudget: null,
    monthlyBudget: '100.5',
    spend: { today: '0', month: '0' },
    allowedServices: null
  })
  t.notMatch(res.body, gw.key)
})
