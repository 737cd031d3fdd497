import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import type { Dialect } from './db.js'
import type { StoreLogger } from './logger.js'

// Migrations live in code (not scanned from disk) so they run the same from
// src/ under tsx and from dist/. Names sort in the order they apply; never
// edit one that has shipped, add the next.
export function migrations (dialect: Dialect): Record<string, Migration> {
  const pg = dialect === 'postgres'
  const timestamp = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'
  const bool = pg ? 'boolean' : 'integer'
  const no = pg ? sql`false` : sql`0`

  return {
    '0001_initial': {
      async up (db: Kysely<any>) {
        // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT never reuses an id, so the
        // local id stays a monotonic cursor for order listings.
        const idColumn = (table: string, name = 'id') => pg
          ? db.schema.createTable(table).addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
          : db.schema.createTable(table).addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())

        await idColumn('tenants')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scopes', json, (c) => c.notNull())
          .addColumn('rate_limit_per_minute', 'integer')
          .addColumn('daily_budget', 'bigint')
          .addColumn('monthly_budget', 'bigint')
          .addColumn('allowed_services', json)
          .addColumn('disabled', bool, (c) => c.notNull().defaultTo(no))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute()

        await idColumn('api_keys')
          .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('expires_at', timestamp)
          .addColumn('revoked_at', timestamp)
          .addColumn('last_used_at', timestamp)
          .execute()
        await db.schema.createIndex('api_keys_prefix_key').unique().on('api_keys').column('prefix').execute()
        await db.schema.createIndex('api_keys_tenant_idx').on('api_keys').columns(['tenant_id', 'id']).execute()

        await idColumn('orders', 'local_id')
          .addColumn('upstream_id', 'bigint')
          .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('service', 'bigint', (c) => c.notNull())
          .addColumn('request', json, (c) => c.notNull())
          .addColumn('quantity', 'bigint')
          .addColumn('estimated_charge', 'bigint')
          .addColumn('charge', 'bigint')
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('reserved', 'placed', 'failed', 'unknown')`))
          .addColumn('status', 'text')
          .addColumn('upstream_status', 'text')
          .addColumn('start_count', 'bigint')
          .addColumn('remains', 'bigint')
          .addColumn('currency', 'text')
          .addColumn('final', bool, (c) => c.notNull().defaultTo(no))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('orders_tenant_upstream_idx').on('orders').columns(['tenant_id', 'upstream_id']).execute()
        // updateOrderStatus arrives with the panel's id only.
        await db.schema.createIndex('orders_upstream_idx').on('orders').column('upstream_id').execute()
        await db.schema.createIndex('orders_tenant_local_idx').on('orders').columns(['tenant_id', 'local_id desc']).execute()
        await db.schema.createIndex('orders_tenant_created_idx').on('orders').columns(['tenant_id', 'created_at']).execute()

        await db.schema.createTable('refills')
          .addColumn('id', 'bigint', (c) => c.primaryKey())
          .addColumn('order_id', 'bigint', (c) => c.notNull())
          .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('refills_tenant_idx').on('refills').columns(['tenant_id', 'id']).execute()

        await db.schema.createTable('idempotency_keys')
          .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('route', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('in_flight', 'done', 'unknown')`))
          .addColumn('status', 'integer')
          .addColumn('body', json)
          .addColumn('headers', json)
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('expires_at', timestamp, (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pkey', ['tenant_id', 'key'])
          .execute()
        await db.schema.createIndex('idempotency_keys_expires_idx').on('idempotency_keys').column('expires_at').execute()
      },
      async down (db: Kysely<any>) {
        for (const table of ['idempotency_keys', 'refills', 'orders', 'api_keys', 'tenants']) {
          await db.schema.dropTable(table).execute()
        }
      }
    },

    // A replaced or reset panel hands out its order and refill ids again.
    // Orders are updated by their own row now, so the index on the panel id
    // alone has no reader; refills get a row id so a repeated panel id is
    // recorded instead of dropped. No down: the old primary key cannot hold
    // the repeats recorded since.
    '0002_repeatable_panel_ids': {
      async up (db: Kysely<any>) {
        await db.schema.dropIndex('orders_upstream_idx').execute()
        if (pg) await keyRefillsByRowPg(db)
        else await keyRefillsByRowSqlite(db)
      }
    }
  }
}

async function keyRefillsByRowPg (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refills').dropConstraint('refills_pkey').execute()
  // Existing rows are numbered as the column is added; their ids cannot repeat yet.
  await db.schema.alterTable('refills')
    .addColumn('local_id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .execute()
}

// SQLite cannot change a primary key in place: rebuild the table.
async function keyRefillsByRowSqlite (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('refills_next')
    .addColumn('local_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('order_id', 'bigint', (c) => c.notNull())
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  const columns = ['id', 'order_id', 'tenant_id', 'created_at']
  await db.insertInto('refills_next').columns(columns)
    .expression(db.selectFrom('refills').select(columns).orderBy('created_at').orderBy('id'))
    .execute()
  await db.schema.dropTable('refills').execute()
  await db.schema.alterTable('refills_next').renameTo('refills').execute()
  await db.schema.createIndex('refills_tenant_idx').on('refills').columns(['tenant_id', 'id']).execute()
}

class InCodeProvider implements MigrationProvider {
  readonly #migrations: Record<string, Migration>
  constructor (all: Record<string, Migration>) {
    this.#migrations = all
  }

  async getMigrations (): Promise<Record<string, Migration>> {
    return this.#migrations
  }
}

/**
 * Brings the schema up to date. On PostgreSQL Kysely's migrator holds an
 * advisory lock while it applies, so instances starting together take turns;
 * the migration tables are pinned to the store's schema because Kysely looks
 * them up across all schemas otherwise.
 */
export async function migrateToLatest (db: Kysely<any>, dialect: Dialect, options: { schema?: string, logger?: StoreLogger } = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(migrations(dialect)),
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema })
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  const applied: string[] = []
  for (const result of results) {
    if (result.status === 'Success') {
      applied.push(result.migrationName)
      options.logger?.info({ migration: result.migrationName }, 'store migration applied')
    } else if (result.status === 'Error') {
      options.logger?.error({ migration: result.migrationName }, 'store migration failed')
    }
  }
  if (error !== undefined) {
    throw new Error('store migration failed', { cause: error })
  }
  return applied
}
