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
    },

    // The order ledger: orders and refills get the gateway's own ids (the
    // panel's are kept beside them, unique per panel), the money path's states
    // (reserved → sending → placed | rejected | failed | unknown) and the
    // idempotency record points at its order. Existing rows keep the panel's
    // id as their own where it is unique, so clients' stored ids still work.
    '0003_order_ledger': {
      async up (db: Kysely<any>) {
        if (pg) await ledgerPg(db)
        else await ledgerSqlite(db)
        await db.schema.alterTable('idempotency_keys').addColumn('order_local_id', 'bigint').execute()
        // Large answers (batches of up to 1000 items) are kept gzip-compressed here instead of in `body`.
        await db.schema.alterTable('idempotency_keys').addColumn('body_gzip', pg ? 'bytea' : 'blob').execute()
        await db.schema.createIndex('orders_id_key').unique().on('orders').column('id').execute()
        await db.schema.createIndex('orders_panel_order_key').unique().on('orders').columns(['panel', 'panel_order_id'])
          .where(sql.ref('panel_superseded'), '=', no).execute()
        await db.schema.createIndex('orders_state_updated_idx').on('orders').columns(['state', 'updated_at']).execute()
        await db.schema.createIndex('refills_id_key').unique().on('refills').column('id').execute()
        await db.schema.createIndex('refills_tenant_idx').on('refills').columns(['tenant_id', 'id']).execute()
      }
    },

    // Events: an outbox written in the same transaction as each change, the
    // tracker's schedule on orders and refills (with refills' statuses), the
    // webhook endpoints and their deliveries, and what the last catalog and
    // balance checks saw (so several instances emit each change once).
    '0004_events': {
      async up (db: Kysely<any>) {
        const idColumn = (table: string, name = 'local_id') => pg
          ? db.schema.createTable(table).addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
          : db.schema.createTable(table).addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())

        await idColumn('events')
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          // null: an event about the panel (services, balance), seen by every tenant the audience columns admit
          .addColumn('tenant_id', 'bigint', (c) => c.references('tenants.id').onDelete('cascade'))
          .addColumn('scope', 'text')
          .addColumn('service_id', 'bigint')
          .addColumn('service_category', 'text')
          .addColumn('data', json, (c) => c.notNull())
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('events_id_key').unique().on('events').column('id').execute()
        await db.schema.createIndex('events_tenant_idx').on('events').columns(['tenant_id', 'local_id']).execute()
        await db.schema.createIndex('events_created_idx').on('events').column('created_at').execute()

        await db.schema.createTable('webhook_endpoints')
          .addColumn('id', 'bigint', (c) => c.primaryKey())
          // null: an operator's endpoint, which receives every event
          .addColumn('tenant_id', 'bigint', (c) => c.references('tenants.id').onDelete('cascade'))
          .addColumn('url', 'text', (c) => c.notNull())
          // null: every type
          .addColumn('events', json)
          .addColumn('enabled', bool, (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('previous_secret', 'text')
          .addColumn('previous_secret_until', timestamp)
          .addColumn('failing_since', timestamp)
          .addColumn('disabled_reason', 'text')
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('webhook_endpoints_tenant_idx').on('webhook_endpoints').columns(['tenant_id', 'created_at']).execute()

        await idColumn('webhook_deliveries')
          .addColumn('id', 'bigint', (c) => c.notNull())
          .addColumn('endpoint_id', 'bigint', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
          .addColumn('event_local_id', 'bigint', (c) => c.notNull().references('events.local_id').onDelete('cascade'))
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'succeeded', 'failed')`))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          // pending: when the next attempt is due (an attempt in flight holds it ahead, as its lease)
          .addColumn('next_attempt_at', timestamp)
          .addColumn('last_attempt_at', timestamp)
          .addColumn('last_status', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('webhook_deliveries_id_key').unique().on('webhook_deliveries').column('id').execute()
        await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute()
        await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'local_id']).execute()
        await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').column('event_local_id').execute()

        await idColumn('webhook_attempts')
          .addColumn('delivery_local_id', 'bigint', (c) => c.notNull().references('webhook_deliveries.local_id').onDelete('cascade'))
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('status', 'integer')
          .addColumn('error', 'text')
          .addColumn('excerpt', 'text')
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').columns(['delivery_local_id', 'local_id']).execute()

        await db.schema.createTable('catalog_services')
          .addColumn('panel', 'text', (c) => c.notNull())
          .addColumn('service_id', 'bigint', (c) => c.notNull())
          .addColumn('data', json, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .addPrimaryKeyConstraint('catalog_services_pkey', ['panel', 'service_id'])
          .execute()

        await db.schema.createTable('gateway_state')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', json, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute()

        // The tracker's schedule: null once final (or no longer askable).
        await db.schema.alterTable('orders').addColumn('next_poll_at', timestamp).execute()
        await db.schema.alterTable('orders').addColumn('polls', 'integer', (c) => c.notNull().defaultTo(0)).execute()
        await db.schema.createIndex('orders_next_poll_idx').on('orders').column('next_poll_at').execute()
        await db.schema.alterTable('refills').addColumn('status', 'text').execute()
        await db.schema.alterTable('refills').addColumn('upstream_status', 'text').execute()
        await db.schema.alterTable('refills').addColumn('final', bool, (c) => c.notNull().defaultTo(no)).execute()
        await db.schema.alterTable('refills').addColumn('next_poll_at', timestamp).execute()
        await db.schema.alterTable('refills').addColumn('polls', 'integer', (c) => c.notNull().defaultTo(0)).execute()
        await db.schema.alterTable('refills').addColumn('updated_at', timestamp).execute()
        await db.schema.createIndex('refills_next_poll_idx').on('refills').column('next_poll_at').execute()
        // What was open before tracking existed is tracked from now on.
        const now = new Date().toISOString()
        await sql`update orders set next_poll_at = ${now} where state = 'placed' and final = ${no} and panel_superseded = ${no}`.execute(db)
        await sql`update refills set next_poll_at = ${now}, updated_at = created_at`.execute(db)
      }
    }
  }
}

const STATES = sql`state in ('reserved', 'sending', 'placed', 'rejected', 'failed', 'unknown')`
// Ids of rows whose panel id repeats (or is missing) start here, far above any
// id the gateway draws (below 2^48) and below 2^53.
const LEGACY_ID_BASE = 4_000_000_000_000_000

// Of the rows sharing a panel id, the newest keeps it; the older ones are superseded.
const supersededOrder = sql`exists (select 1 from orders o2 where o2.upstream_id = orders.upstream_id and o2.local_id > orders.local_id)`
const legacyOrderId = sql`case when upstream_id is not null and not ${supersededOrder} then upstream_id else local_id + ${sql.lit(LEGACY_ID_BASE)} end`
const legacyRefillId = sql`case when exists (select 1 from refills r2 where r2.id = refills.id and r2.local_id > refills.local_id) then local_id + ${sql.lit(LEGACY_ID_BASE)} else id end`
const refillOrder = sql`(select max(o.local_id) from orders o where o.tenant_id = refills.tenant_id and o.upstream_id = refills.order_id)`

async function ledgerPg (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('id', 'bigint').execute()
  await db.schema.alterTable('orders').addColumn('panel', 'text').execute()
  await db.schema.alterTable('orders').addColumn('panel_superseded', 'boolean', (c) => c.notNull().defaultTo(sql`false`)).execute()
  await sql`update orders set id = ${legacyOrderId}, panel_superseded = ${supersededOrder}`.execute(db)
  await sql`alter table orders alter column id set not null`.execute(db)

  await db.schema.dropIndex('refills_tenant_idx').execute()
  await db.schema.alterTable('refills').addColumn('panel', 'text').execute()
  await db.schema.alterTable('refills').addColumn('order_local_id', 'bigint').execute()
  await db.schema.alterTable('refills').addColumn('panel_refill_id', 'bigint').execute()
  await sql`update refills set panel_refill_id = id, order_local_id = ${refillOrder}`.execute(db)
  await sql`update refills set id = ${legacyRefillId}`.execute(db)
  await sql`alter table refills alter column panel_refill_id set not null`.execute(db)
  await db.schema.alterTable('refills').dropColumn('order_id').execute()

  // Last: the refills' order lookup reads the panel id under its old name.
  await db.schema.alterTable('orders').renameColumn('upstream_id', 'panel_order_id').execute()
  await db.schema.alterTable('orders').dropConstraint('orders_state_check').execute()
  await db.schema.alterTable('orders').addCheckConstraint('orders_state_check', STATES).execute()
}

// SQLite cannot change a check constraint or rename freely: rebuild both tables.
async function ledgerSqlite (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('orders_next')
    .addColumn('local_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('panel', 'text')
    .addColumn('panel_order_id', 'bigint')
    .addColumn('panel_superseded', 'integer', (c) => c.notNull().defaultTo(sql`0`))
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('service', 'bigint', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('quantity', 'bigint')
    .addColumn('estimated_charge', 'bigint')
    .addColumn('charge', 'bigint')
    .addColumn('state', 'text', (c) => c.notNull().check(STATES))
    .addColumn('status', 'text')
    .addColumn('upstream_status', 'text')
    .addColumn('start_count', 'bigint')
    .addColumn('remains', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('final', 'integer', (c) => c.notNull().defaultTo(sql`0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  const kept = ['local_id', 'tenant_id', 'service', 'request', 'quantity', 'estimated_charge', 'charge', 'state', 'status',
    'upstream_status', 'start_count', 'remains', 'currency', 'final', 'created_at', 'updated_at']
  await sql`insert into orders_next (${sql.join(kept.map((c) => sql.ref(c)))}, id, panel_order_id, panel_superseded)
    select ${sql.join(kept.map((c) => sql.ref(c)))}, ${legacyOrderId}, upstream_id, ${supersededOrder} from orders`.execute(db)

  await db.schema.createTable('refills_next')
    .addColumn('local_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('panel', 'text')
    .addColumn('panel_refill_id', 'bigint', (c) => c.notNull())
    .addColumn('order_local_id', 'bigint')
    .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  // Refills first: their order lookup reads the old orders table.
  await sql`insert into refills_next (local_id, id, panel_refill_id, order_local_id, tenant_id, created_at)
    select local_id, ${legacyRefillId}, id, ${refillOrder}, tenant_id, created_at from refills`.execute(db)

  for (const table of ['refills', 'orders']) {
    await db.schema.dropTable(table).execute()
    await db.schema.alterTable(`${table}_next`).renameTo(table).execute()
  }
  await db.schema.createIndex('orders_tenant_local_idx').on('orders').columns(['tenant_id', 'local_id desc']).execute()
  await db.schema.createIndex('orders_tenant_created_idx').on('orders').columns(['tenant_id', 'created_at']).execute()
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
