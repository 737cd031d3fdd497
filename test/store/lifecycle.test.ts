import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { openStore } from '../../src/store/open.js'
import type { StoreLogger } from '../../src/store/logger.js'
import { eachEngine, newTenant } from './helper.js'

function recorder (): { logger: StoreLogger, lines: Array<{ obj: object, msg?: string }> } {
  const lines: Array<{ obj: object, msg?: string }> = []
  const push = (obj: object, msg?: string): void => { lines.push({ obj, msg }) }
  return { logger: { info: push, warn: push, error: push }, lines }
}

t.test('openStore refuses what it cannot open', async (t) => {
  await t.rejects(openStore('mysql://localhost/db'), /sqlite:<file> or postgres/)
  await t.rejects(openStore('sqlite:'), /names no file/)
  await t.rejects(openStore('postgres://postgres@127.0.0.1:5432/test', { schema: 'bad; drop' }), /invalid schema name/)
})

t.test('sqlite::memory: stores are private to their instance', async (t) => {
  const a = await openStore('sqlite::memory:')
  const b = await openStore('sqlite::memory:')
  t.teardown(async () => { await Promise.all([a.close(), b.close()]) })
  await newTenant(a)
  t.equal((await a.listTenants({ limit: 10 })).length, 1)
  t.equal((await b.listTenants({ limit: 10 })).length, 0)
})

await eachEngine(t, async (t, { name, store, open, fresh, count }) => {
  t.test('the store names its dialect and answers ping', async (t) => {
    t.equal(store.dialect, name)
    await t.resolves(store.ping())
  })

  t.test('migrations apply once; opening again applies none', async (t) => {
    const at = fresh()
    const first = recorder()
    await open(at, { logger: first.logger })
    t.same(first.lines.map((l) => l.obj), [{ migration: '0001_initial' }])
    const second = recorder()
    await open(at, { logger: second.logger })
    t.same(second.lines, [], 'nothing to apply')
    t.equal(await count('kysely_migration', at), 1)
  })

  t.test('instances opening a fresh database at once all migrate it safely', async (t) => {
    const at = fresh()
    const stores = await Promise.all(Array.from({ length: 4 }, async () => await open(at)))
    t.equal(await count('kysely_migration', at), 1)
    const tenant = await newTenant(stores[0]!)
    for (const s of stores) t.equal((await s.getTenant(tenant.id))?.name, tenant.name)
  })

  t.test('data survives close and reopen', async (t) => {
    const at = fresh()
    const first = await open(at)
    const tenant = await newTenant(first, { dailyBudget: '12.34' })
    const key = await first.createKey({ tenantId: tenant.id, prefix: `sgw_${tenant.id}reopen`, hash: 'ab'.repeat(32) })
    const r = await first.reserveOrder({ tenantId: tenant.id, service: 3, request: { link: 'x' }, quantity: 5, estimatedCharge: '1.23', dailyBudget: null, monthlyBudget: null })
    if (!r.ok) throw new Error('refused')
    await first.markPlaced(r.localId, 31337)
    await first.close()
    await t.rejects(first.ping(), 'a closed store refuses work')
    await t.resolves(first.close(), 'close is idempotent')

    const again = await open(at)
    t.same(await again.getTenant(tenant.id), tenant)
    t.same(await again.findKeyByPrefix(key.prefix), key)
    t.match(await again.getOrder(tenant.id, 31337), { localId: r.localId, estimatedCharge: '1.23', request: { link: 'x' } })
  })

  if (name === 'sqlite') {
    t.test('the database file\'s directory is created when missing', async (t) => {
      const at = fresh()
      const file = at.url.slice('sqlite:'.length)
      t.notOk(existsSync(dirname(file)))
      await open(at)
      t.ok(existsSync(file))
    })
  }

  if (name === 'postgres') {
    t.test('tables live in the given schema, which is created when missing', async (t) => {
      const at = fresh()
      const s = await open(at)
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = ${at.schema} order by table_name`.execute(s.db)
      t.same(tables.rows.map((r) => r.table_name), ['api_keys', 'idempotency_keys', 'kysely_migration', 'kysely_migration_lock', 'orders', 'refills', 'tenants'])
    })

    t.test('an unreachable server fails the open', async (t) => {
      await t.rejects(openStore('postgres://postgres@127.0.0.1:1/test', { schema: 'nowhere' }))
    })
  }
})
