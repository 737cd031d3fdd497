import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { migrations } from '../../src/store/migrations.js'
import { openStore } from '../../src/store/open.js'
import type { StoreLogger } from '../../src/store/logger.js'
import { eachEngine, newTenant, type EngineName, type Location } from './helper.js'

const MIGRATIONS = ['0001_initial', '0002_repeatable_panel_ids', '0003_order_ledger', '0004_events']

/** A database with only the first migration applied, as the first release left it. */
async function atFirstRelease (name: EngineName, at: Location): Promise<Kysely<any>> {
  let db: Kysely<any>
  if (name === 'sqlite') {
    const file = at.url.slice('sqlite:'.length)
    mkdirSync(dirname(file), { recursive: true })
    const database = new BetterSqlite3(file)
    database.pragma('foreign_keys = ON')
    db = new Kysely({ dialect: new SqliteDialect({ database }) })
  } else {
    const schema = at.schema ?? 'public'
    db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: at.url, options: `-c search_path=${schema}` }) }) })
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db)
  }
  const first = { '0001_initial': migrations(name)['0001_initial']! }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => first }, ...(at.schema === undefined ? {} : { migrationTableSchema: at.schema }) })
  const { error } = await migrator.migrateToLatest()
  if (error !== undefined) throw error
  return db
}

function recorder (): { logger: StoreLogger, lines: Array<{ obj: object, msg?: string }> } {
  const lines: Array<{ obj: object, msg?: string }> = []
  const push = (obj: object, msg?: string): void => { lines.push({ obj, msg }) }
  return { logger: { info: push, warn: push, error: push }, lines }
}

t.test('openStore refuses what it cannot open', async (t) => {
  await t.rejects(openStore({ url: 'mysql://localhost/db' }), /sqlite:<file> or postgres/)
  await t.rejects(openStore({ url: 'sqlite:' }), /names no file/)
  await t.rejects(openStore({ url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'bad; drop' }), /invalid schema name/)
})

t.test('sqlite::memory: stores are private to their instance', async (t) => {
  const a = await openStore({ url: 'sqlite::memory:' })
  const b = await openStore({ url: 'sqlite::memory:' })
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
    t.same(first.lines.map((l) => l.obj), MIGRATIONS.map((migration) => ({ migration })))
    const second = recorder()
    await open(at, { logger: second.logger })
    t.same(second.lines, [], 'nothing to apply')
    t.equal(await count('kysely_migration', at), MIGRATIONS.length)
  })

  t.test('instances opening a fresh database at once all migrate it safely', async (t) => {
    const at = fresh()
    const stores = await Promise.all(Array.from({ length: 4 }, async () => await open(at)))
    t.equal(await count('kysely_migration', at), MIGRATIONS.length)
    const tenant = await newTenant(stores[0]!)
    for (const s of stores) t.equal((await s.getTenant(tenant.id))?.name, tenant.name)
  })

  t.test('data survives close and reopen', async (t) => {
    const at = fresh()
    const first = await open(at)
    const tenant = await newTenant(first, { dailyBudget: '12.34' })
    const key = await first.createKey({ tenantId: tenant.id, prefix: `sgw_${tenant.id}reopen`, hash: 'ab'.repeat(32) })
    const r = await first.reserveOrder({ tenantId: tenant.id, panel: 'test-panel', service: 3, request: { link: 'x' }, quantity: 5, estimatedCharge: '1.23', dailyBudget: null, monthlyBudget: null })
    if (!r.ok) throw new Error('refused')
    t.equal(await first.markSending(r.localId), true)
    t.match(await first.markPlaced(r.localId, 'test-panel', 31337), { placed: true })
    await first.close()
    await t.rejects(first.ping(), 'a closed store refuses work')
    await t.resolves(first.close(), 'close is idempotent')

    const again = await open(at)
    t.same(await again.getTenant(tenant.id), tenant)
    t.same(await again.findKeyByPrefix(key.prefix), key)
    t.match(await again.getOrder(tenant.id, r.id), { localId: r.localId, id: r.id, panel: 'test-panel', panelOrderId: 31337, state: 'placed', estimatedCharge: '1.23', request: { link: 'x' } })
  })

  t.test('a database of the first release upgrades: its orders and refills stay under their ids, and panel ids may repeat', async (t) => {
    const at = fresh()
    const old = await atFirstRelease(name, at)
    const now = new Date().toISOString()
    const tenant = async (tenantName: string) => (await old.insertInto('tenants')
      .values({ name: tenantName, scopes: '["orders:read"]', created_at: now, updated_at: now })
      .returning('id').executeTakeFirstOrThrow()).id as number | bigint | string
    const alice = Number(await tenant('alice'))
    const bob = Number(await tenant('bob'))
    const panel = { upstream_id: 23501, status: 'completed', upstream_status: 'Completed', charge: 40_000_000, final: name === 'sqlite' ? 1 : true }
    const request = { service: 1, request: '{}', quantity: 100, estimated_charge: 50_000_000 }
    await old.insertInto('orders').values({ ...panel, ...request, tenant_id: alice, state: 'placed', created_at: now, updated_at: now }).execute()
    await old.insertInto('refills').values([
      { id: 5001, order_id: 23501, tenant_id: alice, created_at: now },
      { id: 5002, order_id: 23501, tenant_id: alice, created_at: now }
    ]).execute()
    await old.destroy()

    const logged = recorder()
    const store = await open(at, { logger: logged.logger })
    t.same(logged.lines.map((l) => l.obj), [{ migration: '0002_repeatable_panel_ids' }, { migration: '0003_order_ledger' }, { migration: '0004_events' }])
    t.match(await store.getOrder(alice, 23501), { id: 23501, panelOrderId: 23501, panel: null, panelSuperseded: false, state: 'placed', charge: '0.4', status: 'completed', final: true },
      'an order keeps its (unique) panel id as its gateway id')
    t.same([...(await store.getRefills(alice, [5001, 5002])).values()].map((r) => [r.id, r.panelRefillId, r.orderId]).sort(), [[5001, 5001, 23501], [5002, 5002, 23501]],
      'refills keep their ids and point at their order')

    await store.adoptPanel('test-panel')
    t.match(await store.getOrder(alice, 23501), { panel: 'test-panel' }, 'rows from before 0003 are adopted by the configured panel')
    t.match((await store.getRefills(alice, [5001])).get(5001), { panel: 'test-panel' })

    const reserved = await store.reserveOrder({ tenantId: bob, panel: 'test-panel', service: 1, request: {}, quantity: 100, estimatedCharge: '0.5', dailyBudget: null, monthlyBudget: null })
    if (!reserved.ok) throw new Error('refused')
    t.equal(await store.markSending(reserved.localId), true)
    t.match(await store.markPlaced(reserved.localId, 'test-panel', 23502), { placed: true, superseded: 0 })
    const bobs = await store.recordRefill({ tenantId: bob, orderLocalId: reserved.localId, panel: 'test-panel', panelRefillId: 5001 })
    t.not(bobs.id, 5001, 'a repeated panel refill id gets a gateway id of its own')
    t.match((await store.getRefills(bob, [bobs.id])).get(bobs.id), { tenantId: bob, panelRefillId: 5001, orderId: reserved.id }, 'a refill id that repeats is recorded')
    t.same([...(await store.getRefills(bob, [5001])).keys()], [], 'alice\'s refill is not bob\'s')
    t.match((await store.getRefills(alice, [5001])).get(5001), { tenantId: alice, panelRefillId: 5001 })
    t.equal(await count('refills', at), 3)
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
      t.same(tables.rows.map((r) => r.table_name), ['api_keys', 'catalog_services', 'events', 'gateway_state', 'idempotency_keys', 'kysely_migration', 'kysely_migration_lock', 'orders', 'refills', 'tenants', 'webhook_attempts', 'webhook_deliveries', 'webhook_endpoints'])
    })

    t.test('the migrator reads only the store\'s own schema', async (t) => {
      // Kysely's own introspector reads every schema and fails when one is dropped meanwhile.
      const other = fresh()
      const elsewhere = await open(other)
      await sql`create table ${sql.id(other.schema!, 'unrelated')} (id int)`.execute(elsewhere.db)
      const at = fresh()
      const s = await open(at)
      const tables = await s.db.introspection.getTables({ withInternalKyselyTables: true })
      t.same(new Set(tables.map((table) => table.schema)), new Set([at.schema]))
      t.same(tables.map((table) => table.name), ['api_keys', 'catalog_services', 'events', 'gateway_state', 'idempotency_keys', 'kysely_migration', 'kysely_migration_lock', 'orders', 'refills', 'tenants', 'webhook_attempts', 'webhook_deliveries', 'webhook_endpoints'])
      t.notOk((await s.db.introspection.getTables()).some((table) => table.name.startsWith('kysely_')), 'internal tables only when asked for')
      const orders = tables.find((table) => table.name === 'orders')!
      t.ok(orders.columns.some((column) => column.name === 'tenant_id' && !column.isNullable), 'columns are read too')
    })

    t.test('an unreachable server fails the open', async (t) => {
      await t.rejects(openStore({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'nowhere' }))
    })
  }
})
