import { sql, type Selectable } from 'kysely'
import {
  iso, toBool, toDate, toDateOrNull, toNumber, toNumberOrNull,
  type Db, type StoreContext, type WebhookAttemptsTable, type WebhookDeliveriesTable, type WebhookEndpointsTable
} from './db.js'
import { appendEvents } from './events.js'
import { withFreshId } from './ids.js'
import type {
  ClaimedDelivery, DeliveriesPage, EndpointPatch, NewEndpoint, StoredEvent, WebhookAttemptResult, WebhookDelivery, WebhookEndpoint
} from './types.js'

function toEndpoint (ctx: StoreContext, row: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: toNumber(row.id),
    tenantId: toNumberOrNull(row.tenant_id),
    url: row.url,
    events: row.events === null ? null : ctx.json(row.events) as string[],
    enabled: toBool(row.enabled),
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretUntil: toDateOrNull(row.previous_secret_until),
    failingSince: toDateOrNull(row.failing_since),
    disabledReason: row.disabled_reason,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at)
  }
}

/** An endpoint as answers and the webhook.disabled event show it: never its secrets. */
export function endpointView (e: WebhookEndpoint): Record<string, unknown> {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    enabled: e.enabled,
    failingSince: e.failingSince?.toISOString() ?? null,
    disabledReason: e.disabledReason,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString()
  }
}

function owned (query: any, owner: number | null): any {
  return owner === null ? query : query.where('tenant_id', '=', owner)
}

export async function createEndpoint (ctx: StoreContext, e: NewEndpoint, now = new Date()): Promise<WebhookEndpoint> {
  return await withFreshId(async (id) => {
    const row = await ctx.db.insertInto('webhook_endpoints').values({
      id,
      tenant_id: e.tenantId,
      url: e.url,
      events: e.events === null ? null : JSON.stringify(e.events),
      enabled: ctx.bool(true),
      secret: e.secret,
      created_at: iso(now),
      updated_at: iso(now)
    }).returningAll().executeTakeFirstOrThrow()
    return toEndpoint(ctx, row)
  })
}

export async function getEndpoint (ctx: StoreContext, owner: number | null, id: number): Promise<WebhookEndpoint | undefined> {
  const row = await owned(ctx.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id), owner).executeTakeFirst()
  return row === undefined ? undefined : toEndpoint(ctx, row)
}

export async function listEndpoints (ctx: StoreContext, owner: number | null): Promise<WebhookEndpoint[]> {
  const rows = await owned(ctx.db.selectFrom('webhook_endpoints').selectAll(), owner).orderBy('created_at', 'asc').orderBy('id', 'asc').execute()
  return rows.map((row: Selectable<WebhookEndpointsTable>) => toEndpoint(ctx, row))
}

export async function updateEndpoint (ctx: StoreContext, owner: number | null, id: number, patch: EndpointPatch, now = new Date()): Promise<WebhookEndpoint | undefined> {
  const set: Record<string, unknown> = { updated_at: iso(now) }
  if (patch.url !== undefined) set.url = patch.url
  if (patch.events !== undefined) set.events = patch.events === null ? null : JSON.stringify(patch.events)
  if (patch.enabled !== undefined) {
    set.enabled = ctx.bool(patch.enabled)
    // Re-enabled: its failures so far no longer count towards disabling it again.
    if (patch.enabled) Object.assign(set, { failing_since: null, disabled_reason: null })
  }
  const row = await owned(ctx.db.updateTable('webhook_endpoints').set(set).where('id', '=', id), owner).returningAll().executeTakeFirst()
  return row === undefined ? undefined : toEndpoint(ctx, row)
}

export async function deleteEndpoint (ctx: StoreContext, owner: number | null, id: number): Promise<boolean> {
  const result = await owned(ctx.db.deleteFrom('webhook_endpoints').where('id', '=', id), owner).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function rotateSecret (ctx: StoreContext, owner: number | null, id: number, newSecret: string, previousUntil: Date, now = new Date()): Promise<WebhookEndpoint | undefined> {
  const row = await owned(ctx.db.updateTable('webhook_endpoints')
    .set((eb: any) => ({ previous_secret: eb.ref('secret'), previous_secret_until: iso(previousUntil), secret: newSecret, updated_at: iso(now) }))
    .where('id', '=', id), owner).returningAll().executeTakeFirst()
  return row === undefined ? undefined : toEndpoint(ctx, row)
}

/**
 * Takes up to `limit` pending deliveries due at `now` to enabled endpoints,
 * holding each until `leaseUntil` (its next_attempt_at): another instance
 * takes it only once that lease has run out. PostgreSQL skips rows another
 * instance is claiming at the same moment.
 */
export async function claimDueDeliveries (ctx: StoreContext, q: { now: Date, limit: number, leaseUntil: Date }): Promise<ClaimedDelivery[]> {
  const due = (db: Db) => db.selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select('d.local_id')
    .where('d.state', '=', 'pending')
    .where('d.next_attempt_at', '<=', iso(q.now))
    .where('e.enabled', '=', ctx.bool(true))
    .orderBy('d.next_attempt_at', 'asc')
    .limit(q.limit)
  const rows = await ctx.writeTransaction(async (trx) => {
    // Locked rows are another instance's claim in progress: skipped, never waited for.
    const query = ctx.dialect === 'postgres' ? due(trx).forUpdate(['d']).skipLocked() : due(trx)
    const ids = (await query.execute()).map((r) => r.local_id as number)
    if (ids.length === 0) return []
    return await trx.updateTable('webhook_deliveries')
      .set({ next_attempt_at: iso(q.leaseUntil), updated_at: iso(q.now) })
      .where('local_id', 'in', ids)
      .returningAll()
      .execute()
  })
  if (rows.length === 0) return []
  const events = await ctx.db.selectFrom('events').selectAll().where('local_id', 'in', rows.map((r) => r.event_local_id as number)).execute()
  const endpoints = await ctx.db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', rows.map((r) => r.endpoint_id as number)).execute()
  const eventOf = new Map(events.map((e) => [toNumber(e.local_id), e]))
  const endpointOf = new Map(endpoints.map((e) => [toNumber(e.id), toEndpoint(ctx, e)]))
  const claimed: ClaimedDelivery[] = []
  for (const row of rows) {
    const event = eventOf.get(toNumber(row.event_local_id))
    const endpoint = endpointOf.get(toNumber(row.endpoint_id))
    if (event === undefined || endpoint === undefined) continue
    claimed.push({
      delivery: toDelivery(row, event.id, event.type, []),
      event: {
        localId: toNumber(event.local_id),
        id: event.id,
        type: event.type,
        tenantId: toNumberOrNull(event.tenant_id),
        audience: { scope: event.scope, service: event.service_id === null ? null : { id: toNumber(event.service_id), category: event.service_category ?? '' } },
        data: ctx.json(event.data) as Record<string, unknown>,
        createdAt: toDate(event.created_at)
      } satisfies StoredEvent,
      endpoint
    })
  }
  return claimed
}

function toDelivery (row: Selectable<WebhookDeliveriesTable>, eventId: string, eventType: string, attempts: Array<Selectable<WebhookAttemptsTable>>): WebhookDelivery {
  return {
    localId: toNumber(row.local_id),
    id: toNumber(row.id),
    endpointId: toNumber(row.endpoint_id),
    eventId,
    eventType,
    state: row.state as WebhookDelivery['state'],
    attempts: toNumber(row.attempts),
    nextAttemptAt: toDateOrNull(row.next_attempt_at),
    lastAttemptAt: toDateOrNull(row.last_attempt_at),
    lastStatus: toNumberOrNull(row.last_status),
    lastError: row.last_error,
    createdAt: toDate(row.created_at),
    attemptsLog: attempts.map((a) => ({
      attempt: toNumber(a.attempt),
      status: toNumberOrNull(a.status),
      error: a.error,
      excerpt: a.excerpt,
      durationMs: toNumber(a.duration_ms),
      at: toDate(a.created_at)
    }))
  }
}

/**
 * One attempt's outcome: its log row, the delivery's next state (succeeded;
 * pending again at `nextAttemptAt`; failed when there is none), and the
 * endpoint's failing_since (set by its first failure, cleared by a success).
 * Returns the endpoint as it now is.
 */
export async function recordAttempt (ctx: StoreContext, delivery: Pick<WebhookDelivery, 'localId' | 'endpointId' | 'attempts'>, r: WebhookAttemptResult, now = new Date()): Promise<WebhookEndpoint | undefined> {
  return await ctx.writeTransaction(async (trx) => {
    const attempt = delivery.attempts + 1
    await trx.insertInto('webhook_attempts').values({
      delivery_local_id: delivery.localId,
      attempt,
      status: r.status,
      error: r.error,
      excerpt: r.excerpt,
      duration_ms: Math.round(r.durationMs),
      created_at: iso(now)
    }).execute()
    const state = r.succeeded ? 'succeeded' : r.nextAttemptAt === null ? 'failed' : 'pending'
    await trx.updateTable('webhook_deliveries').set({
      state,
      attempts: attempt,
      next_attempt_at: state === 'pending' && r.nextAttemptAt !== null ? iso(r.nextAttemptAt) : null,
      last_attempt_at: iso(now),
      last_status: r.status,
      last_error: r.error,
      updated_at: iso(now)
    }).where('local_id', '=', delivery.localId).execute()
    let update = trx.updateTable('webhook_endpoints').where('id', '=', delivery.endpointId)
    update = r.succeeded
      ? update.set({ failing_since: null })
      : update.set({ failing_since: sql`coalesce(failing_since, ${iso(now)})` as any })
    const row = await update.returningAll().executeTakeFirst()
    return row === undefined ? undefined : toEndpoint(ctx, row)
  })
}

/** Disables an endpoint and tells of it (webhook.disabled), in one transaction; undefined when it was gone or disabled already. */
export async function disableEndpoint (ctx: StoreContext, id: number, reason: string, now = new Date()): Promise<WebhookEndpoint | undefined> {
  return await ctx.writeTransaction(async (trx) => {
    const row = await trx.updateTable('webhook_endpoints')
      .set({ enabled: ctx.bool(false), disabled_reason: reason, updated_at: iso(now) })
      .where('id', '=', id)
      .where('enabled', '=', ctx.bool(true))
      .returningAll()
      .executeTakeFirst()
    if (row === undefined) return undefined
    const endpoint = toEndpoint(ctx, row)
    await appendEvents(ctx, trx, [{ type: 'webhook.disabled', tenantId: endpoint.tenantId, data: { webhook: endpointView(endpoint), reason } }], now)
    return endpoint
  })
}

/** An endpoint's deliveries, newest first, before the delivery `cursor` names (its row id); undefined when the endpoint is not the owner's. */
export async function listDeliveries (ctx: StoreContext, owner: number | null, endpointId: number, q: { limit: number, cursor?: number }): Promise<DeliveriesPage | undefined> {
  if (await getEndpoint(ctx, owner, endpointId) === undefined) return undefined
  let query = ctx.db.selectFrom('webhook_deliveries as d')
    .innerJoin('events as ev', 'ev.local_id', 'd.event_local_id')
    .selectAll('d')
    .select(['ev.id as event_id', 'ev.type as event_type'])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.local_id', 'desc')
    .limit(q.limit + 1)
  if (q.cursor !== undefined) query = query.where('d.local_id', '<', q.cursor)
  const rows = await query.execute()
  const page = rows.slice(0, q.limit)
  const attempts = page.length === 0
    ? []
    : await ctx.db.selectFrom('webhook_attempts').selectAll()
      .where('delivery_local_id', 'in', page.map((r) => r.local_id as number))
      .orderBy('local_id', 'asc').execute()
  const byDelivery = new Map<number, Array<Selectable<WebhookAttemptsTable>>>()
  for (const a of attempts) {
    const key = toNumber(a.delivery_local_id)
    byDelivery.set(key, [...(byDelivery.get(key) ?? []), a])
  }
  return {
    items: page.map((r) => toDelivery(r, r.event_id, r.event_type, byDelivery.get(toNumber(r.local_id)) ?? [])),
    nextCursor: rows.length > q.limit ? toNumber((page.at(-1) as Selectable<WebhookDeliveriesTable>).local_id) : null
  }
}

/** Failed deliveries created since `since` are due again now; undefined when the endpoint is not the owner's. */
export async function replayDeliveries (ctx: StoreContext, owner: number | null, endpointId: number, since: Date, now = new Date()): Promise<number | undefined> {
  if (await getEndpoint(ctx, owner, endpointId) === undefined) return undefined
  const result = await ctx.db.updateTable('webhook_deliveries')
    .set({ state: 'pending', next_attempt_at: iso(now), updated_at: iso(now) })
    .where('endpoint_id', '=', endpointId)
    .where('state', '=', 'failed')
    .where('created_at', '>=', iso(since))
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
