import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { DATABASE_TIMEOUT_DEFAULTS, type StoreConfig } from '../config.js'
import type { Database } from './db.js'
import { KyselyStore } from './kysely-store.js'
import type { StoreLogger } from './logger.js'
import { migrateToLatest } from './migrations.js'
import { OwnSchemaPostgresDialect } from './own-schema-dialect.js'

/**
 * Which database: the store slice, or as much of it as a test needs. On
 * PostgreSQL `schema` is the one to use (created if missing), set as
 * search_path on every connection; `timeouts` default to 5 s connect, 10 s
 * statement, 30 s idle.
 */
export type StoreTarget = Pick<StoreConfig, 'url' | 'schema'> & Partial<Pick<StoreConfig, 'timeouts'>>

export interface OpenStoreOptions {
  /** PostgreSQL only: pool size (pg's default is 10). */
  poolMax?: number
  logger?: StoreLogger
}

const SQLITE_BUSY_TIMEOUT_MS = 5000
const SQLITE_LOCK_WAIT_MS = 60_000
// The client-side bound waits this much past statement_timeout, so on a live
// network the server's own cancel (which leaves the connection usable) comes first.
const QUERY_TIMEOUT_MARGIN_MS = 1000
// TCP keep-alive probes start after this much silence, to notice a peer that vanished.
const KEEPALIVE_DELAY_MS = 10_000

// Unquoted identifiers only: the name goes into a connection option and DDL.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** `sqlite:<file>` (`sqlite::memory:` for a private in-memory database) or `postgres://…`; migrates, then returns the store. */
export async function openStore (target: StoreTarget, options: OpenStoreOptions = {}): Promise<KyselyStore> {
  if (target.url.startsWith('sqlite:')) return await openSqlite(sqlitePath(target.url), options)
  if (/^postgres(ql)?:\/\//.test(target.url)) return await openPostgres(target, options)
  throw new Error('database URL must be sqlite:<file> or postgres://…')
}

function sqlitePath (url: string): string {
  const rest = url.slice('sqlite:'.length)
  const path = rest.startsWith('//') ? rest.slice(2) : rest
  if (path === '') throw new Error('sqlite: URL names no file')
  return path
}

async function openSqlite (path: string, options: OpenStoreOptions): Promise<KyselyStore> {
  const memory = path === ':memory:'
  if (!memory) mkdirSync(dirname(path), { recursive: true })
  const database = new BetterSqlite3(path)
  // Every INTEGER comes back as a bigint, so money counts above 2^53 stay exact.
  database.defaultSafeIntegers(true)
  database.pragma('foreign_keys = ON')
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  if (!memory) {
    // WAL: reads go on during a write. NORMAL sync is safe under WAL (a power
    // cut may lose the last commits, never corrupt the file).
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = NORMAL')
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) })
  try {
    await exclusively(database, async () => await migrateToLatest(db, 'sqlite', { logger: options.logger }))
  } catch (error) {
    await db.destroy()
    throw error
  }
  return new KyselyStore(db, 'sqlite')
}

/**
 * Runs the migrations in one IMMEDIATE transaction on the raw connection
 * (Kysely runs SQLite migrations without one): a failed migration leaves no
 * half-built schema, and another process opening the same file (the CLI while
 * the server runs) waits its turn. The wait polls instead of relying on
 * busy_timeout, which would block the event loop, so two stores in one process
 * can open the same file concurrently too.
 */
async function exclusively<T> (database: BetterSqlite3.Database, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SQLITE_LOCK_WAIT_MS
  database.pragma('busy_timeout = 0')
  try {
    for (;;) {
      try {
        database.exec('begin immediate')
        break
      } catch (error) {
        if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error
        await setTimeout(25)
      }
    }
  } finally {
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  }
  try {
    const result = await fn()
    database.exec('commit')
    return result
  } catch (error) {
    if (database.inTransaction) database.exec('rollback')
    throw error
  }
}

async function openPostgres ({ url, schema, timeouts = DATABASE_TIMEOUT_DEFAULTS }: StoreTarget, options: OpenStoreOptions): Promise<KyselyStore> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`)
  const pool = new pg.Pool({
    connectionString: url,
    ...(options.poolMax === undefined ? {} : { max: options.poolMax }),
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    // Covers both the wait for a free pooled client and the TCP + startup handshake.
    connectionTimeoutMillis: timeouts.connectMs,
    idleTimeoutMillis: timeouts.idleMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    statement_timeout: timeouts.statementMs,
    query_timeout: timeouts.statementMs + QUERY_TIMEOUT_MARGIN_MS,
    // Transactions never span a panel call, so a longer pause inside one means its client is gone: free its locks.
    idle_in_transaction_session_timeout: timeouts.statementMs
  })
  // A connection lost while its client is checked out (a reset mid-query) is
  // emitted on that client, where nobody else listens: without this the process
  // would crash. The failed query rejects on its own; the pool drops the client
  // on release and connects a new one when next asked.
  pool.on('connect', (client) => {
    client.on('error', (error: Error & { code?: string }) => {
      options.logger?.warn({ err: { message: error.message, code: error.code } }, 'PostgreSQL connection lost')
    })
  })
  // Idle clients' errors also reach the pool; the client's own listener above has logged them.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) })
  try {
    if (schema !== undefined) await createSchema(db, schema)
    const current = (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    if (current == null) throw new Error('PostgreSQL search_path names no existing schema')
    await migrateToLatest(db, 'postgres', { schema: current, logger: options.logger })
  } catch (error) {
    await db.destroy()
    throw error
  }
  return new KyselyStore(db, 'postgres')
}

async function createSchema (db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await db.schema.createSchema(schema).ifNotExists().execute()
  } catch (error) {
    // Two instances racing can both pass IF NOT EXISTS; the loser fails on the catalog's unique index.
    const found = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db)
    if (found.rows.length === 0) throw error
  }
}
