import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import type { Test } from 'tap'
import { openStore, type OpenStoreOptions } from '../../src/store/open.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'

export type EngineName = 'sqlite' | 'postgres'

/** A database location: a file for SQLite, a schema for PostgreSQL. */
export interface Location {
  url: string
  schema?: string
}

export interface Engine {
  name: EngineName
  /** the engine's database for this test file */
  location: Location
  /** a store on the file's database, opened once */
  store: KyselyStore
  /** another store on a location (the file's database by default); closed at teardown */
  open: (location?: Location, options?: OpenStoreOptions) => Promise<KyselyStore>
  /** a new, empty database of this engine; dropped at teardown */
  fresh: () => Location
  /** rows in a table at a location (the file's database by default) */
  count: (table: string, location?: Location) => Promise<number>
}

function redact (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'TEST_DATABASE_URL'
  }
}

let probe: Promise<string | undefined> | undefined

/** undefined when PostgreSQL answers, else why not. */
export async function postgresUnreachable (): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.query('select 1')
      return undefined
    } catch (error) {
      return `PostgreSQL not reachable at ${redact(PG_URL)} (${(error as Error).message})`
    } finally {
      await client.end().catch(() => {})
    }
  })()
  return await probe
}

async function pgQuery (text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    return await client.query(text)
  } finally {
    await client.end()
  }
}

/** Drops test schemas (and everything in them), if they exist. */
export async function dropSchemas (...schemas: string[]): Promise<void> {
  if (schemas.length > 0) await pgQuery(schemas.map((s) => `drop schema if exists "${s}" cascade;`).join('\n'))
}

function randomName (): string {
  return `test_store_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
}

async function setUp (t: Test, name: EngineName): Promise<Engine> {
  const stores: KyselyStore[] = []
  const schemas: string[] = []
  let dir: string | undefined
  t.teardown(async () => {
    await Promise.all(stores.map(async (store) => await store.close()))
    await dropSchemas(...schemas)
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })
  const fresh = (): Location => {
    if (name === 'postgres') {
      const schema = randomName()
      schemas.push(schema)
      return { url: PG_URL, schema }
    }
    dir ??= mkdtempSync(join(tmpdir(), 'smm-store-'))
    return { url: `sqlite:${join(dir, randomName(), 'store.db')}` }
  }
  const location = fresh()
  const open = async (at: Location = location, options: OpenStoreOptions = {}): Promise<KyselyStore> => {
    const store = await openStore(at, options)
    stores.push(store)
    return store
  }
  const store = await open()
  const count = async (table: string, at: Location = location): Promise<number> => {
    if (name === 'postgres') {
      const result = await pgQuery(`select count(*)::int as n from "${at.schema ?? 'public'}"."${table}"`)
      return result.rows[0].n as number
    }
    const db = (at === location ? store : await open(at)).db
    const result = await sql<{ n: bigint }>`select count(*) as n from ${sql.table(table)}`.execute(db)
    return Number(result.rows[0]?.n)
  }
  return { name, location, store, open, fresh, count }
}

/**
 * Runs `body` once per engine, each in its own subtest with its own database
 * for this file. PostgreSQL is skipped with the reason when unreachable, or
 * fails when REQUIRE_SERVICES=1.
 */
export async function eachEngine (t: Test, body: (t: Test, engine: Engine) => Promise<void> | void): Promise<void> {
  const unreachable = await postgresUnreachable()
  for (const name of ['sqlite', 'postgres'] as const) {
    const skip = name === 'postgres' && unreachable !== undefined && !REQUIRE_SERVICES ? unreachable : false
    t.test(name, { skip }, async (t) => {
      if (name === 'postgres' && unreachable !== undefined) {
        t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
        return
      }
      await body(t, await setUp(t, name))
    })
  }
}

let tenantCounter = 0

/** A tenant with a unique name, every scope, no limits. */
export async function newTenant (store: KyselyStore, extra: Partial<Parameters<KyselyStore['createTenant']>[0]> = {}) {
  return await store.createTenant({ name: `tenant-${++tenantCounter}`, scopes: ['orders:read', 'orders:write'], ...extra })
}
