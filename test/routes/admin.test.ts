import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { startSimulator } from '../../simulator/index.js'
import { ADMIN_TOKEN, NO_LOAD_SHEDDING, gateway } from '../helper.js'
import { testClock } from '../fixtures/time.js'
import { sharedGateway } from '../fixtures/shared-gateway.js'

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const shared = sharedGateway(t)

t.test('admin routes need the ADMIN_TOKEN; a tenant key is not enough', async (t) => {
  const gw = await shared()
  t.equal((await gw.app.inject({ url: '/admin/tenants' })).statusCode, 401)
  t.equal((await gw.request({ url: '/admin/tenants' })).statusCode, 401)
  t.equal((await gw.app.inject({ url: '/admin/tenants', headers: { authorization: 'Bearer not-the-admin-token' } })).json().code, 'unauthorized')
  t.equal((await gw.app.inject({ url: '/admin/tenants', headers: admin })).statusCode, 200)
})

t.test('without ADMIN_TOKEN there are no admin routes', async (t) => {
  const gw = await gateway(t, { env: { ADMIN_TOKEN: '' } })
  t.equal((await gw.app.inject({ url: '/admin/tenants', headers: admin })).statusCode, 404)
})

t.test('POST /admin/tenants creates a tenant with every scope but balance:read and shows its key once', async (t) => {
  const gw = await shared()
  const res = await gw.app.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'reports', dailyBudget: '25.50' } })
  t.equal(res.statusCode, 201)
  const { tenant, key, keyId } = res.json()
  t.match(tenant, { name: 'reports', dailyBudget: '25.5', monthlyBudget: null, disabled: false })
  t.same(tenant.scopes, ['services:read', 'orders:read', 'orders:write', 'refills:write', 'cancels:write'])
  t.match(key, /^sgw_[\w-]{8}_[\w-]{43}$/)
  t.type(keyId, 'number')
  t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${key as string}` } })).json().tenant.name, 'reports')
  const listed = (await gw.app.inject({ url: `/admin/tenants/${tenant.id as number}/keys`, headers: admin })).json().items
  t.equal(listed.length, 1)
  t.notOk(JSON.stringify(listed).includes(key), 'the key list holds no secret')
  t.match(listed[0], { id: keyId, prefix: key.slice(0, 12), revokedAt: null })
  t.notOk('hash' in listed[0], 'nor the hash')
  t.ok(Date.now() - Date.parse(listed[0].lastUsedAt) < 60_000, 'the key shows its last use')

  const second = (await gw.app.inject({ method: 'POST', url: `/admin/tenants/${tenant.id as number}/keys`, headers: admin, payload: {} })).json()
  const both = (await gw.app.inject({ url: `/admin/tenants/${tenant.id as number}/keys`, headers: admin })).json().items
  t.equal(both.find((k: { id: number }) => k.id === second.id)?.lastUsedAt, null, 'a key never used says so')
})

t.test('a tenant created without scopes may not read the shared panel balance (403); one granted balance:read may', async (t) => {
  const gw = await shared()
  const create = async (payload: Record<string, unknown>) => (await gw.app.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload })).json().key as string
  const balance = async (key: string) => await gw.app.inject({ url: '/balance', headers: { authorization: `Bearer ${key}` } })
  const plain = await balance(await create({ name: 'plain' }))
  t.equal(plain.statusCode, 403)
  t.equal(plain.json().code, 'forbidden')
  t.equal(gw.sim.calls('balance'), 0, 'the panel was not asked')
  const granted = await balance(await create({ name: 'treasurer', scopes: ['balance:read'] }))
  t.equal(granted.statusCode, 200)
  t.type(granted.json().balance, 'string')
})

t.test('admin refuses bad tenant input', async (t) => {
  const gw = await shared()
  for (const payload of [{}, { name: '' }, { name: 'x', scopes: ['root'] }, { name: 'x', dailyBudget: 1.5 }, { name: 'x', dailyBudget: '1,5' }, { name: 'x', extra: 1 }]) {
    const res = await gw.app.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().code, 'validation_failed')
  }
  t.equal((await gw.app.inject({ url: '/admin/tenants/999', headers: admin })).statusCode, 404)
})

t.test('budgets must be non-negative decimals the store can hold: else 400 validation_failed, never 500', async (t) => {
  const gw = await shared()
  const tenants = (await gw.app.inject({ url: '/admin/tenants', headers: admin })).json().items.length
  const refused = ['99999999999999999999.99', '1' + '0'.repeat(25), '10000000000', '-1', '-0.5', '0.000000001', '1.', '.5', '1e3', ' 1']
  for (const budget of refused) {
    for (const field of ['dailyBudget', 'monthlyBudget']) {
      const created = await gw.app.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'x', [field]: budget } })
      t.equal(created.statusCode, 400, `POST ${field} ${budget}`)
      t.match(created.json(), { code: 'validation_failed', errors: [{ path: `body/${field}` }] })
      const patched = await gw.app.inject({ method: 'PATCH', url: `/admin/tenants/${gw.tenant.id}`, headers: admin, payload: { [field]: budget } })
      t.equal(patched.statusCode, 400, `PATCH ${field} ${budget}`)
      t.equal(patched.json().code, 'validation_failed')
    }
  }
  t.equal((await gw.app.inject({ url: '/admin/tenants', headers: admin })).json().items.length, tenants, 'no tenant was created')

  const largest = '9999999999.99999999'
  const created = await gw.app.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'rich', dailyBudget: largest, monthlyBudget: '0' } })
  t.equal(created.statusCode, 201)
  t.match(created.json().tenant, { dailyBudget: largest, monthlyBudget: '0' })
  const patched = await gw.app.inject({ method: 'PATCH', url: `/admin/tenants/${gw.tenant.id}`, headers: admin, payload: { monthlyBudget: largest, dailyBudget: '0.00000001' } })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { monthlyBudget: largest, dailyBudget: '0.00000001' })
})

t.test('a revoked key is refused at once while the tenant\'s other key keeps working', async (t) => {
  const gw = await shared()
  const second = await gw.app.inject({ method: 'POST', url: `/admin/tenants/${gw.tenant.id}/keys`, headers: admin, payload: {} })
  t.equal(second.statusCode, 201)
  const rotated = second.json().key as string
  t.equal((await gw.request({ url: '/me' })).statusCode, 200, 'old key works (and is now cached)')
  const keys = (await gw.app.inject({ url: `/admin/tenants/${gw.tenant.id}/keys`, headers: admin })).json().items
  const old = keys.find((k: { prefix: string }) => gw.key.startsWith(k.prefix))
  t.equal((await gw.app.inject({ method: 'DELETE', url: `/admin/keys/${old.id as number}`, headers: admin })).statusCode, 204)
  const refused = await gw.request({ url: '/me' })
  t.equal(refused.statusCode, 401, 'revoked key refused from the next request on')
  t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${rotated}` } })).statusCode, 200, 'the other key works')
  t.equal((await gw.app.inject({ method: 'DELETE', url: '/admin/keys/99999', headers: admin })).statusCode, 404)
})

t.test('an expired key is refused', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock })
  const soon = new Date(clock.now() + 60_000).toISOString()
  const { key } = (await gw.app.inject({ method: 'POST', url: `/admin/tenants/${gw.tenant.id}/keys`, headers: admin, payload: { expiresAt: soon } })).json()
  t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${key as string}` } })).statusCode, 200)
  clock.advance(60_001)
  t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${key as string}` } })).statusCode, 401)
  const late = await gw.app.inject({ method: 'POST', url: `/admin/tenants/${gw.tenant.id}/keys`, headers: admin, payload: { expiresAt: soon } })
  t.equal(late.statusCode, 400, 'an expiry past on the gateway\'s clock is refused at issue too')
  const past = await gw.app.inject({ method: 'POST', url: `/admin/tenants/${gw.tenant.id}/keys`, headers: admin, payload: { expiresAt: '2000-01-01T00:00:00Z' } })
  t.equal(past.statusCode, 400)
})

t.test('PATCH can disable a tenant: its keys are refused at once, and enabled again', async (t) => {
  const gw = await shared()
  t.equal((await gw.request({ url: '/me' })).statusCode, 200)
  const off = await gw.app.inject({ method: 'PATCH', url: `/admin/tenants/${gw.tenant.id}`, headers: admin, payload: { disabled: true } })
  t.equal(off.statusCode, 200)
  t.equal(off.json().disabled, true)
  t.equal((await gw.request({ url: '/me' })).statusCode, 401)
  await gw.app.inject({ method: 'PATCH', url: `/admin/tenants/${gw.tenant.id}`, headers: admin, payload: { disabled: false, rateLimitPerMinute: 7 } })
  t.equal((await gw.request({ url: '/me' })).json().rateLimitPerMinute, 7, 'changes apply at once')
})

t.test('GET /admin/tenants/:id/usage counts orders and spend per day and month', async (t) => {
  const gw = await shared()
  const s = (await gw.request({ url: '/services?type=Default' })).json().items[0]
  await gw.request({ method: 'POST', url: '/orders', payload: { service: s.id, link: 'https://a.b/c', quantity: s.min } })
  const usage = (await gw.app.inject({ url: `/admin/tenants/${gw.tenant.id}/usage?days=3`, headers: admin })).json()
  t.equal(usage.days.length, 3)
  t.equal(usage.days.at(-1).orders, 1)
  t.equal(usage.months.at(-1).orders, 1)
  t.match(usage.days.at(-1).spend, /^\d+(\.\d+)?$/)
})

t.test('after a restart nothing is lost, and the database holds no plaintext key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-gateway-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })
  const config = loadConfig({ PANEL_URL: sim.url, PANEL_KEY: sim.key, ADMIN_TOKEN, DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`, LOG_LEVEL: 'silent', ...NO_LOAD_SHEDDING })

  const first = await buildApp(config)
  const { tenant, key } = (await first.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'durable' } })).json()
  const auth = { authorization: `Bearer ${key as string}` }
  const s = (await first.inject({ url: '/services?type=Default', headers: auth })).json().items[0]
  const body = { service: s.id, link: 'https://a.b/c', quantity: s.min }
  const placed = await first.inject({ method: 'POST', url: '/orders', headers: { ...auth, 'idempotency-key': 'durable-1' }, payload: body })
  t.equal(placed.statusCode, 201)
  await first.close()

  const files = await readdir(dir)
  for (const file of files) {
    t.notOk((await readFile(join(dir, file))).includes(key), `${file} holds no plaintext key`)
  }

  const second = await buildApp(config)
  t.teardown(async () => { await second.close() })
  t.equal((await second.inject({ url: '/me', headers: auth })).json().tenant.id, tenant.id, 'the key still works')
  t.same((await second.inject({ url: '/orders', headers: auth })).json().items.map((o: { id: number }) => o.id), [placed.json().id], 'the order is there')
  const replay = await second.inject({ method: 'POST', url: '/orders', headers: { ...auth, 'idempotency-key': 'durable-1' }, payload: body })
  t.same(replay.json(), placed.json(), 'the idempotency record survived')
  t.equal(sim.calls('add'), 1)
})
