import { sql, type ColumnType, type Generated, type Kysely } from 'kysely'

export type Dialect = 'sqlite' | 'postgres'

// What the drivers hand back differs: SQLite (safe-integer mode) returns
// bigint for every INTEGER, pg returns int8 and numeric as text, timestamptz
// as Date and jsonb parsed. The row types say so; the mappers in this module
// turn each into the interface's types.
type IntOut = number | bigint | string
type Int = ColumnType<IntOut, number | bigint, number | bigint>
type IntNull = ColumnType<IntOut | null, number | bigint | null, number | bigint | null>
type Id = Generated<IntOut>
type Timestamp = ColumnType<Date | string, string, string>
type TimestampNull = ColumnType<Date | string | null, string | null, string | null>
type Json = ColumnType<unknown, string, string>
type JsonNull = ColumnType<unknown, string | null, string | null>
type Bool = ColumnType<boolean | IntOut, boolean | number, boolean | number>

export interface TenantsTable {
  id: Id
  name: string
  scopes: Json
  rate_limit_per_minute: IntNull
  daily_budget: IntNull
  monthly_budget: IntNull
  allowed_services: JsonNull
  disabled: Bool
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ApiKeysTable {
  id: Id
  tenant_id: Int
  prefix: string
  hash: string
  created_at: Timestamp
  expires_at: TimestampNull
  revoked_at: TimestampNull
  last_used_at: TimestampNull
}

export interface OrdersTable {
  local_id: Id
  /** the gateway's own order id, random, unique */
  id: Int
  /** which panel placed it (a key derived from PANEL_URL); null on rows from before 0003 until adopted */
  panel: string | null
  panel_order_id: IntNull
  /** a newer order got the same panel id (a reset panel): this one is no longer asked about */
  panel_superseded: Bool
  tenant_id: Int
  service: Int
  request: Json
  quantity: IntNull
  estimated_charge: IntNull
  charge: IntNull
  state: string
  status: string | null
  upstream_status: string | null
  start_count: IntNull
  remains: IntNull
  currency: string | null
  final: Bool
  created_at: Timestamp
  updated_at: Timestamp
  /** when the tracker polls it next; null: final, or no longer askable */
  next_poll_at: TimestampNull
  /** polls since placing (or since its status last changed): the gap doubles with each */
  polls: ColumnType<IntOut, number | undefined, number>
}

export interface RefillsTable {
  local_id: Id
  /** the gateway's own refill id */
  id: Int
  panel: string | null
  /** the panel's refill id: a replaced panel may hand one out again */
  panel_refill_id: Int
  order_local_id: IntNull
  tenant_id: Int
  created_at: Timestamp
  status: string | null
  upstream_status: string | null
  final: ColumnType<boolean | IntOut, boolean | number | undefined, boolean | number>
  next_poll_at: TimestampNull
  polls: ColumnType<IntOut, number | undefined, number>
  updated_at: ColumnType<Date | string | null, string | null | undefined, string | null>
}

export interface EventsTable {
  local_id: Id
  /** the public id, `evt_…`: the webhook-id of its deliveries */
  id: string
  type: string
  /** null: an event about the panel (services, balance) for every tenant the audience columns admit */
  tenant_id: IntNull
  /** the scope a tenant needs to see a panel event */
  scope: string | null
  /** a service event: seen only by tenants whose allowed services admit it */
  service_id: IntNull
  service_category: string | null
  data: Json
  created_at: Timestamp
}

export interface WebhookEndpointsTable {
  id: Int
  /** null: an operator's endpoint, which receives every event */
  tenant_id: IntNull
  url: string
  /** null: every type */
  events: JsonNull
  enabled: Bool
  secret: string
  previous_secret: string | null
  previous_secret_until: TimestampNull
  failing_since: TimestampNull
  disabled_reason: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface WebhookDeliveriesTable {
  local_id: Id
  id: Int
  endpoint_id: Int
  event_local_id: Int
  state: string
  attempts: ColumnType<IntOut, number | undefined, number>
  next_attempt_at: TimestampNull
  last_attempt_at: TimestampNull
  last_status: IntNull
  last_error: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface WebhookAttemptsTable {
  local_id: Id
  delivery_local_id: Int
  attempt: Int
  status: IntNull
  error: string | null
  excerpt: string | null
  duration_ms: Int
  created_at: Timestamp
}

export interface CatalogServicesTable {
  panel: string
  service_id: Int
  data: Json
  updated_at: Timestamp
}

export interface GatewayStateTable {
  key: string
  value: Json
  updated_at: Timestamp
}

export interface IdempotencyTable {
  tenant_id: Int
  key: string
  fingerprint: string
  route: string
  state: string
  status: IntNull
  body: JsonNull
  headers: JsonNull
  /** the order this request placed (POST /orders), once reserved */
  order_local_id: IntNull
  /** a large answer's JSON, gzip-compressed (then `body` is null) */
  body_gzip: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>
  created_at: Timestamp
  expires_at: Timestamp
}

export interface Database {
  tenants: TenantsTable
  api_keys: ApiKeysTable
  orders: OrdersTable
  refills: RefillsTable
  idempotency_keys: IdempotencyTable
  events: EventsTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
  catalog_services: CatalogServicesTable
  gateway_state: GatewayStateTable
}

export type Db = Kysely<Database>

/** The connection plus the few places where the two engines differ. */
export class StoreContext {
  readonly db: Db
  readonly dialect: Dialect

  constructor (db: Db, dialect: Dialect) {
    this.db = db
    this.dialect = dialect
  }

  /** better-sqlite3 cannot bind booleans. */
  bool (value: boolean): boolean | number {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value
  }

  /**
   * Decided by engine, not by the value's type: pg parses jsonb itself, so a
   * stored JSON string comes back as a JS string that must not be parsed again.
   */
  json (value: unknown): unknown {
    return this.dialect === 'sqlite' && typeof value === 'string' ? JSON.parse(value) : value
  }

  /**
   * The UTC calendar day ('YYYY-MM-DD') or month ('YYYY-MM') of a timestamp
   * column, as SQL. Constants are inlined, not bound: PostgreSQL only matches a
   * GROUP BY expression to the select list when both are textually identical.
   */
  utcPeriod (column: 'created_at', period: 'day' | 'month') {
    if (this.dialect === 'sqlite') {
      // Timestamps are ISO-8601 UTC text on SQLite (fixed width, sortable).
      return sql<string>`substr(${sql.ref(column)}, 1, ${sql.lit(period === 'day' ? 10 : 7)})`
    }
    return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', ${sql.lit(period === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM')})`
  }

  /**
   * A read-then-write transaction. On SQLite `begin immediate` takes the write
   * lock up front, so a second process on the same file waits (busy_timeout)
   * instead of failing to upgrade a read lock half-way.
   */
  async writeTransaction<T> (fn: (trx: Db) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return await this.db.transaction().execute(fn)
    return await this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn)
      let result: T
      try {
        result = await fn(conn)
      } catch (error) {
        await sql`rollback`.execute(conn)
        throw error
      }
      await sql`commit`.execute(conn)
      return result
    })
  }
}

export function toNumber (value: IntOut): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of range: ${String(value)}`)
  return n
}

export function toNumberOrNull (value: IntOut | null): number | null {
  return value === null ? null : toNumber(value)
}

export function toBool (value: boolean | IntOut): boolean {
  return value === true || (value !== false && Number(value) !== 0)
}

export function toDate (value: Date | string): Date {
  return value instanceof Date ? value : new Date(value)
}

export function toDateOrNull (value: Date | string | null): Date | null {
  return value === null ? null : toDate(value)
}

/**
 * Timestamps are bound as ISO-8601 UTC text on both engines: SQLite stores the
 * text (which sorts chronologically), PostgreSQL casts it to timestamptz.
 */
export function iso (date: Date): string {
  return date.toISOString()
}
