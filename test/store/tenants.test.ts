import { randomBytes } from 'node:crypto'
import t from 'tap'
import { ALL_SCOPES } from '../../src/store/types.js'
import { eachEngine, newTenant } from './helper.js'
import { until } from '../fixtures/time.js'

const prefix = (): string => 'sgw_' + randomBytes(6).toString('base64url')
const hash = (): string => randomBytes(32).toString('hex')

await eachEngine(t, async (t, { store }) => {
  t.test('createTenant stores every field and fills defaults', async (t) => {
    const before = Date.now()
    const plain = await store.createTenant({ name: 'plain', scopes: [...ALL_SCOPES] })
    t.match(plain, {
      name: 'plain',
      scopes: ALL_SCOPES,
      rateLimitPerMinute: null,
      dailyBudget: null,
      monthlyBudget: null,
      allowedServices: null,
      disabled: false
    })
    t.type(plain.id, 'number')
    t.ok(plain.createdAt instanceof Date && plain.createdAt.getTime() >= before - 5)
    t.same(plain.updatedAt, plain.createdAt)

    const full = await store.createTenant({
      name: 'full',
      scopes: ['services:read'],
      rateLimitPerMinute: 120,
      dailyBudget: '10.50',
      monthlyBudget: '250.12345678',
      allowedServices: { ids: [1, 2], categories: ['Instagram'] }
    })
    t.match(full, {
      scopes: ['services:read'],
      rateLimitPerMinute: 120,
      dailyBudget: '10.5',
      monthlyBudget: '250.12345678',
      allowedServices: { ids: [1, 2], categories: ['Instagram'] }
    })
    t.same(await store.getTenant(full.id), full, 'reads back what it returned')
  })

  t.test('tenant and key ids are random, not counters: one says nothing of how many came before it', async (t) => {
    const tenants = await Promise.all(Array.from({ length: 5 }, async (_, i) => await store.createTenant({ name: `t${i}`, scopes: [] })))
    const keys = await Promise.all(tenants.map(async (tenant) => await store.createKey({ tenantId: tenant.id, prefix: prefix(), hash: hash() })))
    for (const ids of [tenants.map((x) => x.id), keys.map((x) => x.id)]) {
      t.ok(ids.every((id) => Number.isSafeInteger(id) && id >= 1 && id < 2 ** 48), 'positive, below 2^48')
      t.ok(ids.some((id) => id > 1_000_000), `not a small sequence (${ids.join(', ')})`)
      const sorted = [...ids].sort((a, b) => a - b)
      t.not(sorted.at(-1)! - sorted[0]!, ids.length - 1, 'not consecutive')
    }
  })

  t.test('getTenant answers undefined for an unknown id', async (t) => {
    t.equal(await store.getTenant(987654), undefined)
  })

  t.test('listTenants pages by id', async (t) => {
    const created = await Promise.all(Array.from({ length: 4 }, async () => await newTenant(store)))
    const seen: number[] = []
    for (let after: number | undefined; ;) {
      const page = await store.listTenants({ limit: 2, after })
      seen.push(...page.map((x) => x.id))
      if (page.length < 2) break
      after = page.at(-1)?.id
    }
    t.same(seen, [...seen].sort((a, b) => a - b), 'ascending by id')
    t.equal(new Set(seen).size, seen.length, 'none twice')
    t.ok(created.every((x) => seen.includes(x.id)), 'every tenant on some page')
    t.same(await store.listTenants({ limit: 10, after: Math.max(...seen) }), [])
  })

  t.test('updateTenant changes only what the patch names; null clears', async (t) => {
    const tenant = await newTenant(store, { dailyBudget: '5', rateLimitPerMinute: 10, allowedServices: { ids: [3], categories: [] } })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const renamed = await store.updateTenant(tenant.id, { name: 'renamed', dailyBudget: '7.25' })
    t.match(renamed, { name: 'renamed', dailyBudget: '7.25', rateLimitPerMinute: 10, allowedServices: { ids: [3], categories: [] }, disabled: false })
    t.ok(renamed !== undefined && renamed.updatedAt > tenant.updatedAt, 'updatedAt moves')
    t.same(renamed?.createdAt, tenant.createdAt)

    const cleared = await store.updateTenant(tenant.id, { dailyBudget: null, rateLimitPerMinute: null, allowedServices: null, monthlyBudget: '100' })
    t.match(cleared, { dailyBudget: null, rateLimitPerMinute: null, allowedServices: null, monthlyBudget: '100' })

    const disabled = await store.updateTenant(tenant.id, { disabled: true, scopes: ['balance:read'] })
    t.match(disabled, { disabled: true, scopes: ['balance:read'], name: 'renamed' })
    t.equal((await store.getTenant(tenant.id))?.disabled, true)
    t.equal((await store.updateTenant(tenant.id, { disabled: false }))?.disabled, false)
  })

  t.test('updateTenant answers undefined for an unknown id', async (t) => {
    t.equal(await store.updateTenant(987654, { name: 'x' }), undefined)
  })

  t.test('createKey stores the key; getKey and findKeyByPrefix find it', async (t) => {
    const tenant = await newTenant(store)
    const p = prefix()
    const h = hash()
    const key = await store.createKey({ tenantId: tenant.id, prefix: p, hash: h })
    t.match(key, { tenantId: tenant.id, prefix: p, hash: h, expiresAt: null, revokedAt: null, lastUsedAt: null })
    t.type(key.id, 'number')
    t.ok(key.createdAt instanceof Date)
    t.same(await store.getKey(key.id), key)
    t.same(await store.findKeyByPrefix(p), key)
  })

  t.test('createKey keeps expiresAt to the millisecond', async (t) => {
    const tenant = await newTenant(store)
    const expiresAt = new Date(Date.now() + 86_400_123)
    const key = await store.createKey({ tenantId: tenant.id, prefix: prefix(), hash: hash(), expiresAt })
    t.equal(key.expiresAt?.getTime(), expiresAt.getTime())
    t.equal((await store.getKey(key.id))?.expiresAt?.getTime(), expiresAt.getTime())
  })

  t.test('createKey refuses a duplicate prefix', async (t) => {
    const tenant = await newTenant(store)
    const p = prefix()
    await store.createKey({ tenantId: tenant.id, prefix: p, hash: hash() })
    await t.rejects(store.createKey({ tenantId: tenant.id, prefix: p, hash: hash() }))
  })

  t.test('createKey refuses an unknown tenant', async (t) => {
    await t.rejects(store.createKey({ tenantId: 987654, prefix: prefix(), hash: hash() }))
  })

  t.test('unknown ids and prefixes answer undefined', async (t) => {
    t.equal(await store.getKey(987654), undefined)
    t.equal(await store.findKeyByPrefix('sgw_nothere'), undefined)
    t.equal(await store.revokeKey(987654), undefined)
  })

  t.test('listKeys lists only the tenant\'s keys, oldest first', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    const a1 = await store.createKey({ tenantId: a.id, prefix: prefix(), hash: hash() })
    await store.createKey({ tenantId: b.id, prefix: prefix(), hash: hash() })
    await until(() => Date.now() > a1.createdAt.getTime(), 'the next millisecond')
    const a2 = await store.createKey({ tenantId: a.id, prefix: prefix(), hash: hash() })
    t.same((await store.listKeys(a.id)).map((k) => k.id), [a1.id, a2.id], 'by creation, whatever their random ids')
    t.same(await store.listKeys(987654), [])
  })

  t.test('revokeKey sets revokedAt once and is idempotent', async (t) => {
    const tenant = await newTenant(store)
    const key = await store.createKey({ tenantId: tenant.id, prefix: prefix(), hash: hash() })
    const first = await store.revokeKey(key.id)
    t.ok(first?.revokedAt instanceof Date)
    const second = await store.revokeKey(key.id, new Date(Date.now() + 60_000))
    t.same(second?.revokedAt, first?.revokedAt, 'a second revoke keeps the first time')
    t.same((await store.findKeyByPrefix(key.prefix))?.revokedAt, first?.revokedAt)
  })

  t.test('touchKey records lastUsedAt', async (t) => {
    const tenant = await newTenant(store)
    const key = await store.createKey({ tenantId: tenant.id, prefix: prefix(), hash: hash() })
    const at = new Date('2030-01-02T03:04:05.678Z')
    await store.touchKey(key.id, at)
    t.same((await store.getKey(key.id))?.lastUsedAt, at)
  })
})
