import { randomBytes } from 'node:crypto'
import { sql, type Selectable } from 'kysely'
import { iso, toBool, toDate, toNumber, toNumberOrNull, type Db, type EventsTable, type StoreContext } from './db.js'
import { newId } from './ids.js'
import type { AllowedServices, EventsQuery, NewEvent, StoredEvent, Tenant } from './types.js'

// Event inserts take turns on PostgreSQL (a transaction-scoped advisory lock,
// held from the insert to the commit), so events commit in the order of their
// row ids and a reader paging by row id never passes one that commits later.
// SQLite's write transactions take turns already.
const EVENTS_LOCK = 0x736d6d65 // 'smme'

export function newEventId (): string {
  return 'evt_' + randomBytes(16).toString('base64url')
}

function toEvent (ctx: StoreContext, row: Selectable<EventsTable>): StoredEvent {
  return {
    localId: toNumber(row.local_id),
    id: row.id,
    type: row.type,
    tenantId: toNumberOrNull(row.tenant_id),
    audience: {
      scope: row.scope,
      service: row.service_id === null ? null : { id: toNumber(row.service_id), category: row.service_category ?? '' }
    },
    data: ctx.json(row.data) as Record<string, unknown>,
    createdAt: toDate(row.created_at)
  }
}

/** A tenant sees only its allowed services (by id or category); no list means all. */
export function admitsService (allowed: AllowedServices | null, service: { id: number, category: string }): boolean {
  if (allowed === null) return true
  if (allowed.ids.includes(service.id)) return true
  const category = service.category.toLowerCase()
  return allowed.categories.some((c) => c.toLowerCase() === category)
}

/** Whether `tenant` sees `event`: its own, or a panel event its scopes and allowed services admit. */
export function eventVisibleTo (tenant: Pick<Tenant, 'id' | 'scopes' | 'allowedServices'>, event: Pick<StoredEvent, 'tenantId' | 'audience'>): boolean {
  if (event.tenantId !== null) return event.tenantId === tenant.id
  const { scope, service } = event.audience
  if (scope !== null && !(tenant.scopes as string[]).includes(scope)) return false
  return service === null || admitsService(tenant.allowedServices, service)
}

/** Whether an endpoint's type filter takes `type`: no filter, the type itself, or its family (`order.*`). */
export function endpointTakes (filter: string[] | null, type: string): boolean {
  if (filter === null) return true
  return filter.some((f) => f === type || f === '*' || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))))
}

/**
 * Writes events inside the caller's transaction, and a pending delivery of
 * each to every enabled endpoint that takes it: the tenant's own endpoints
 * (a panel event: every tenant's the event is visible to) and operators'.
 * Call it last in the transaction: on PostgreSQL it holds the events lock to
 * the commit.
 */
export async function appendEvents (ctx: StoreContext, trx: Db, events: NewEvent[], now: Date = new Date()): Promise<StoredEvent[]> {
  if (events.length === 0) return []
  if (ctx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(EVENTS_LOCK)})`.execute(trx)
  const rows = await trx.insertInto('events')
    .values(events.map((e) => ({
      id: newEventId(),
      type: e.type,
      tenant_id: e.tenantId,
      scope: e.audience?.scope ?? null,
      service_id: e.audience?.service?.id ?? null,
      service_category: e.audience?.service?.category ?? null,
      data: JSON.stringify(e.data),
      created_at: iso(e.createdAt ?? now)
    })))
    .returningAll()
    .execute()
  const stored = rows.map((row) => toEvent(ctx, row))

  const tenants = [...new Set(stored.map((e) => e.tenantId))]
  const panelWide = tenants.includes(null)
  let endpoints = trx.selectFrom('webhook_endpoints')
    .leftJoin('tenants', 'tenants.id', 'webhook_endpoints.tenant_id')
    .select(['webhook_endpoints.id', 'webhook_endpoints.tenant_id', 'webhook_endpoints.events', 'tenants.scopes', 'tenants.allowed_services', 'tenants.disabled'])
    .where('webhook_endpoints.enabled', '=', ctx.bool(true))
  if (!panelWide) {
    const ids = tenants.filter((id): id is number => id !== null)
    endpoints = endpoints.where((eb) => eb.or([eb('webhook_endpoints.tenant_id', 'is', null), eb('webhook_endpoints.tenant_id', 'in', ids)]))
  }
  const deliveries: Array<{ id: number, endpoint_id: number, event_local_id: number, state: string, next_attempt_at: string, created_at: string, updated_at: string }> = []
  for (const endpoint of await endpoints.execute()) {
    const filter = endpoint.events === null ? null : ctx.json(endpoint.events) as string[]
    const owner = toNumberOrNull(endpoint.tenant_id)
    for (const event of stored) {
      if (!endpointTakes(filter, event.type)) continue
      if (owner !== null) {
        if (endpoint.disabled !== null && toBool(endpoint.disabled)) continue
        const tenant = {
          id: owner,
          scopes: ctx.json(endpoint.scopes) as Tenant['scopes'],
          allowedServices: endpoint.allowed_services === null ? null : ctx.json(endpoint.allowed_services) as AllowedServices
        }
        if (!eventVisibleTo(tenant, event)) continue
      }
      deliveries.push({
        id: newId(),
        endpoint_id: toNumber(endpoint.id),
        event_local_id: event.localId,
        state: 'pending',
        next_attempt_at: iso(now),
        created_at: iso(now),
        updated_at: iso(now)
      })
    }
  }
  for (let i = 0; i < deliveries.length; i += 200) {
    await trx.insertInto('webhook_deliveries').values(deliveries.slice(i, i + 200)).execute()
  }
  return stored
}

/** Events written on their own (a panel check, an operator's action), in one transaction. */
export async function recordEvents (ctx: StoreContext, events: NewEvent[], now: Date = new Date()): Promise<StoredEvent[]> {
  return await ctx.writeTransaction(async (trx) => await appendEvents(ctx, trx, events, now))
}

/**
 * A tenant's events (its own and the panel events it may see), oldest first,
 * after the event `after` names (undefined: no such event visible to it). An
 * operator (tenant undefined) sees every event.
 */
export async function listEvents (ctx: StoreContext, tenant: Pick<Tenant, 'id' | 'scopes' | 'allowedServices'> | undefined, q: EventsQuery): Promise<StoredEvent[] | undefined> {
  let from = 0
  if (q.after !== undefined) {
    const row = await ctx.db.selectFrom('events').selectAll().where('id', '=', q.after).executeTakeFirst()
    if (row === undefined) return undefined
    if (tenant !== undefined && !eventVisibleTo(tenant, toEvent(ctx, row))) return undefined
    from = toNumber(row.local_id)
  }
  const page: StoredEvent[] = []
  // Panel events a tenant may not see are skipped after reading, so a page is read in steps until full.
  const step = Math.max(q.limit, 100)
  for (;;) {
    let query = ctx.db.selectFrom('events').selectAll()
      .where('local_id', '>', from)
      .orderBy('local_id', 'asc')
      .limit(step)
    if (tenant !== undefined) query = query.where((eb) => eb.or([eb('tenant_id', '=', tenant.id), eb('tenant_id', 'is', null)]))
    if (q.types !== undefined && q.types.length > 0) query = query.where('type', 'in', q.types)
    if (q.createdAfter !== undefined) query = query.where('created_at', '>=', iso(q.createdAfter))
    const rows = await query.execute()
    for (const row of rows) {
      const event = toEvent(ctx, row)
      if (tenant === undefined || eventVisibleTo(tenant, event)) page.push(event)
      if (page.length === q.limit) return page
    }
    if (rows.length < step) return page
    from = toNumber((rows.at(-1) as Selectable<EventsTable>).local_id)
  }
}

/** Retention: deletes events (and with them their deliveries) created before `before`; returns how many. */
export async function purgeEvents (ctx: StoreContext, before: Date): Promise<number> {
  const result = await ctx.db.deleteFrom('events').where('created_at', '<', iso(before)).executeTakeFirst()
  return Number(result.numDeletedRows)
}
