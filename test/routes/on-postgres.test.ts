// The gateway end to end on PostgreSQL (the scale-out store): the whole
// suite runs there too with TEST_DATABASE=postgres; these run on it always.
import t from 'tap'
import { ADMIN_TOKEN, gateway, type Gateway, type TestContext } from '../helper.js'
import { postgresUnreachable } from '../store/helper.js'

interface Service { id: number, min: number, max: number, rate: string, refill: boolean, cancel: boolean }

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const unreachable = await postgresUnreachable()
const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'

async function onPostgres (t: TestContext, options: Parameters<typeof gateway>[1] = {}): Promise<Gateway> {
  return await gateway(t, { ...options, database: 'postgres' })
}

async function defaultService (gw: Gateway): Promise<Service> {
  return (await gw.request({ url: '/services?type=Default&refill=true&cancel=true' })).json().items[0]
}

t.test('routes on PostgreSQL', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }

  t.test('an order\'s life: placed, looked up, listed, completed, refilled; another cancelled; usage and spend add up', async (t) => {
    const gw = await onPostgres(t)
    const s = await defaultService(gw)
    const placed = await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/1', quantity: s.min } })
    t.equal(placed.statusCode, 201)
    const id: number = placed.json().id
    const panelOrderId: number = placed.json().panelOrderId
    t.equal(placed.headers.location, `/orders/${id}`)
    t.match((await gw.request({ url: `/orders/${id}` })).json(), { id, panelOrderId, service: s.id, status: 'pending' })

    gw.sim.setOrderStatus(panelOrderId, 'Completed')
    t.match((await gw.request({ url: `/orders/${id}` })).json(), { id, status: 'completed' })
    gw.sim.resetCalls()
    t.match((await gw.request({ url: `/orders/${id}` })).json(), { id, status: 'completed' })
    t.equal(gw.sim.calls('status'), 0, 'the final status is answered from PostgreSQL')

    const refill = await gw.request({ method: 'POST', url: `/orders/${id}/refill` })
    t.equal(refill.statusCode, 201)
    t.equal((await gw.request({ url: `/refills/${refill.json().id as number}` })).statusCode, 200)

    const second = (await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/2', quantity: s.min } })).json().id as number
    t.equal((await gw.request({ method: 'POST', url: `/orders/${second}/cancel` })).statusCode, 202)

    const page = (await gw.request({ url: '/orders?limit=1' })).json()
    t.same(page.items.map((o: { id: number }) => o.id), [second], 'newest first')
    const next = (await gw.request({ url: `/orders?limit=1&cursor=${encodeURIComponent(page.nextCursor as string)}` })).json()
    t.same(next.items.map((o: { id: number }) => o.id), [id])
    t.same((await gw.request({ url: '/orders?status=completed' })).json().items.map((o: { id: number }) => o.id), [id])

    const usage = (await gw.app.inject({ url: `/admin/tenants/${gw.tenant.id}/usage?days=1`, headers: admin })).json()
    t.equal(usage.days.at(-1).orders, 2)
    t.match((await gw.request({ url: '/me' })).json(), { spend: { today: /^\d+(\.\d+)?$/ } })

    const other = await gw.addTenant({ name: 'other' })
    t.equal((await other.request({ url: `/orders/${id}` })).statusCode, 404, 'another tenant cannot see it')
  })

  t.test('concurrent orders cannot overspend a daily budget: 2.00 allows two 0.90 orders of six', async (t) => {
    const gw = await onPostgres(t, { tenant: { dailyBudget: '2.00' }, sim: { latencyMs: 100 } })
    const s = (await gw.request({ url: '/services?type=Default&limit=1000' })).json().items
      .find((x: Service) => x.rate === '0.9' && x.min <= 1000 && x.max >= 1000) as Service
    const answers = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: `https://a.b/${i}`, quantity: 1000 } })))
    const codes = answers.map((r) => r.statusCode).sort()
    t.same(codes, [201, 201, 402, 402, 402, 402])
    t.equal(gw.sim.calls('add'), 2, 'the refused ones never reached the panel')
    t.match((await gw.request({ url: '/me' })).json(), { spend: { today: '1.8' } })
  })

  t.test('20 concurrent POST /orders with one Idempotency-Key make one add; the replay comes from PostgreSQL', async (t) => {
    const gw = await onPostgres(t, { sim: { latencyMs: 100 } })
    const s = await defaultService(gw)
    const body = { service: s.id, link: 'https://a.b/c', quantity: s.min }
    const headers = { 'idempotency-key': 'pg-1' }
    const answers = await Promise.all(Array.from({ length: 20 }, async () => await gw.request({ method: 'POST', url: '/orders', payload: body, headers })))
    t.equal(gw.sim.calls('add'), 1)
    t.equal(answers.filter((r) => r.statusCode === 201).length + answers.filter((r) => r.statusCode === 409).length, 20)
    const replay = await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
    t.equal(replay.headers['idempotent-replayed'], 'true')
    t.equal((await gw.request({ method: 'POST', url: '/orders', payload: { ...body, quantity: s.min + 1 }, headers })).statusCode, 422)
  })

  t.test('admin on PostgreSQL: a revoked key and a disabled tenant are refused at once', async (t) => {
    const gw = await onPostgres(t)
    const second = (await gw.app.inject({ method: 'POST', url: `/admin/tenants/${gw.tenant.id}/keys`, headers: admin, payload: {} })).json()
    t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${second.key as string}` } })).statusCode, 200)
    t.equal((await gw.app.inject({ method: 'DELETE', url: `/admin/keys/${second.id as number}`, headers: admin })).statusCode, 204)
    t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${second.key as string}` } })).statusCode, 401)
    t.equal((await gw.request({ url: '/me' })).statusCode, 200)
    t.equal((await gw.app.inject({ method: 'PATCH', url: `/admin/tenants/${gw.tenant.id}`, headers: admin, payload: { disabled: true } })).statusCode, 200)
    t.equal((await gw.request({ url: '/me' })).statusCode, 401)
  })

  t.test('a second gateway on the same schema sees the first one\'s tenants, orders and idempotency records', async (t) => {
    const gw = await onPostgres(t)
    const s = await defaultService(gw)
    const body = { service: s.id, link: 'https://a.b/c', quantity: s.min }
    const placed = await gw.request({ method: 'POST', url: '/orders', payload: body, headers: { 'idempotency-key': 'shared-1' } })
    t.equal(placed.statusCode, 201)
    const second = await gw.sibling()
    const auth = { authorization: `Bearer ${gw.key}` }
    t.equal((await second.inject({ url: `/orders/${placed.json().id as number}`, headers: auth })).statusCode, 200)
    const replay = await second.inject({ method: 'POST', url: '/orders', payload: body, headers: { ...auth, 'idempotency-key': 'shared-1' } })
    t.equal(replay.headers['idempotent-replayed'], 'true')
    t.same(replay.json(), placed.json())
    t.equal(gw.sim.calls('add'), 1)
  })
})
