import type { Selectable } from 'kysely'
import type { OrderEvents, StatusEvents } from './types.js'
import { appendEvents } from './events.js'
import { iso, toBool, toDate, toNumber, toNumberOrNull, type OrdersTable, type StoreContext } from './db.js'
import { fromUnits, fromUnitsOrNull, toUnits, toUnitsOrNull } from './money.js'
import { isUniqueViolation, withFreshId } from './ids.js'
import { spentIn } from './spend.js'
import { utcDay, utcMonth } from './time.js'
import type { LedgerQuery, ListOrdersQuery, OrderState, OrderStatusUpdate, ReserveOrder, ReserveResult, Resolution, ResolveResult, StoredOrder } from './types.js'

// Keeps every IN (…) list well under both engines' bound-parameter limits.
const ID_CHUNK = 500

export function toOrder (ctx: StoreContext, row: Selectable<OrdersTable>): StoredOrder {
  return {
    localId: toNumber(row.local_id),
    id: toNumber(row.id),
    panel: row.panel,
    panelOrderId: toNumberOrNull(row.panel_order_id),
    panelSuperseded: toBool(row.panel_superseded),
    tenantId: toNumber(row.tenant_id),
    service: toNumber(row.service),
    request: ctx.json(row.request) as Record<string, unknown>,
    quantity: toNumberOrNull(row.quantity),
    estimatedCharge: fromUnitsOrNull(row.estimated_charge),
    charge: fromUnitsOrNull(row.charge),
    state: row.state as OrderState,
    status: row.status,
    upstreamStatus: row.upstream_status,
    startCount: toNumberOrNull(row.start_count),
    remains: toNumberOrNull(row.remains),
    currency: row.currency,
    final: toBool(row.final),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at)
  }
}

export async function reserveOrder (ctx: StoreContext, o: ReserveOrder): Promise<ReserveResult> {
  const now = o.now ?? new Date()
  const estimate = toUnitsOrNull(o.estimatedCharge)
  const limits = [
    { limit: 'daily' as const, budget: toUnitsOrNull(o.dailyBudget), window: utcDay(now) },
    { limit: 'monthly' as const, budget: toUnitsOrNull(o.monthlyBudget), window: utcMonth(now) }
  ]
  return await withFreshId(async (id) => await ctx.writeTransaction(async (trx) => {
    if (ctx.dialect === 'postgres') {
      // Serialises reservations per tenant: each one sums what the previous
      // committed. NO KEY UPDATE conflicts with itself like FOR UPDATE does but
      // leaves foreign-key checks (keys, refills of this tenant) unblocked.
      await trx.selectFrom('tenants').select('id').where('id', '=', o.tenantId).forNoKeyUpdate().execute()
    }
    for (const { limit, budget, window } of limits) {
      if (budget === null) continue
      const spent = await spentIn(trx, o.tenantId, window)
      if (spent + (estimate ?? 0n) > budget) {
        return { ok: false, limit, spent: fromUnits(spent), budget: fromUnits(budget) }
      }
    }
    const row = await trx.insertInto('orders')
      .values({
        id,
        panel: o.panel,
        tenant_id: o.tenantId,
        service: o.service,
        request: JSON.stringify(o.request),
        quantity: o.quantity,
        estimated_charge: estimate,
        state: 'reserved',
        panel_superseded: ctx.bool(false),
        final: ctx.bool(false),
        created_at: iso(now),
        updated_at: iso(now)
      })
      .returning('local_id')
      .executeTakeFirstOrThrow()
    const localId = toNumber(row.local_id)
    if (o.idempotencyKey !== undefined) {
      await trx.updateTable('idempotency_keys').set({ order_local_id: localId })
        .where('tenant_id', '=', o.tenantId).where('key', '=', o.idempotencyKey).execute()
    }
    return { ok: true, localId, id }
  }))
}

/** Compare-and-set: the row moves only from one of `from`, so two writers can never both win. */
async function transition (ctx: StoreContext, localId: number, from: OrderState[], to: OrderState): Promise<boolean> {
  const result = await ctx.db.updateTable('orders')
    .set({ state: to, updated_at: iso(new Date()) })
    .where('local_id', '=', localId)
    .where('state', 'in', from)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function markSending (ctx: StoreContext, localId: number): Promise<boolean> {
  return await transition(ctx, localId, ['reserved'], 'sending')
}

export async function markRejected (ctx: StoreContext, localId: number): Promise<boolean> {
  return await transition(ctx, localId, ['sending'], 'rejected')
}

export async function markFailed (ctx: StoreContext, localId: number): Promise<boolean> {
  return await transition(ctx, localId, ['reserved', 'sending'], 'failed')
}

export async function markUnknown (ctx: StoreContext, localId: number, events?: OrderEvents): Promise<boolean> {
  if (events === undefined) return await transition(ctx, localId, ['sending'], 'unknown')
  return await ctx.writeTransaction(async (trx) => {
    const rows = await trx.updateTable('orders')
      .set({ state: 'unknown', updated_at: iso(new Date()) })
      .where('local_id', '=', localId)
      .where('state', '=', 'sending')
      .returningAll()
      .execute()
    const row = rows[0]
    if (row === undefined) return false
    await appendEvents(ctx, trx, events(toOrder(ctx, row)))
    return true
  })
}

export async function markPlaced (ctx: StoreContext, localId: number, panel: string, panelOrderId: number, events?: OrderEvents, nextPollAt?: Date, from: OrderState[] = ['sending', 'unknown']): Promise<{ placed: boolean, superseded: number }> {
  return await ctx.writeTransaction(async (trx) => {
    let current = trx.selectFrom('orders').select('state').where('local_id', '=', localId)
    if (ctx.dialect === 'postgres') current = current.forUpdate()
    const row = await current.executeTakeFirst()
    if (row === undefined || !from.includes(row.state as OrderState)) return { placed: false, superseded: 0 }
    // The panel handed this id out before (it was reset or replaced): the
    // older order keeps what it knew but is no longer asked about.
    const superseded = await trx.updateTable('orders')
      .set({ panel_superseded: ctx.bool(true), updated_at: iso(new Date()) })
      .where('panel', '=', panel)
      .where('panel_order_id', '=', panelOrderId)
      .where('panel_superseded', '=', ctx.bool(false))
      .where('local_id', '!=', localId)
      .executeTakeFirst()
    const placed = await trx.updateTable('orders')
      .set({ state: 'placed', panel, panel_order_id: panelOrderId, status: 'pending', updated_at: iso(new Date()), next_poll_at: nextPollAt === undefined ? null : iso(nextPollAt), polls: 0 })
      .where('local_id', '=', localId)
      .returningAll()
      .executeTakeFirstOrThrow()
    if (events !== undefined) await appendEvents(ctx, trx, events(toOrder(ctx, placed)))
    return { placed: true, superseded: Number(superseded.numUpdatedRows) }
  })
}

export async function resolveOrder (ctx: StoreContext, id: number, resolution: Resolution, events?: OrderEvents, nextPollAt?: Date): Promise<ResolveResult> {
  const found = await getOrderById(ctx, id)
  if (found === undefined) return { ok: false, reason: 'not_found' }
  // Every row has its panel (reserved with it, or adopted at start-up).
  const panel = found.panel ?? ''
  if (found.state !== 'unknown') return { ok: false, reason: 'not_unknown', order: found }
  if (resolution.outcome === 'not_placed') {
    if (!await transition(ctx, found.localId, ['unknown'], 'failed')) return { ok: false, reason: 'not_unknown', order: found }
  } else {
    // An operator's typo must not take the id from a live order (markPlaced would supersede it).
    const holder = await ctx.db.selectFrom('orders').select('local_id')
      .where('panel', '=', panel).where('panel_order_id', '=', resolution.panelOrderId)
      .where('panel_superseded', '=', ctx.bool(false)).where('local_id', '!=', found.localId)
      .executeTakeFirst()
    if (holder !== undefined) return { ok: false, reason: 'panel_id_taken', order: found }
    let result
    try {
      result = await markPlaced(ctx, found.localId, panel, resolution.panelOrderId, events, nextPollAt, ['unknown'])
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'panel_id_taken', order: found }
      throw error
    }
    if (!result.placed) return { ok: false, reason: 'not_unknown', order: found }
  }
  return { ok: true, order: await getOrderById(ctx, id) as StoredOrder }
}

export async function reapStaleOrders (ctx: StoreContext, staleBefore: Date, events?: OrderEvents): Promise<{ unknown: StoredOrder[], released: number }> {
  const unknown = await ctx.writeTransaction(async (trx) => {
    const rows = await trx.updateTable('orders')
      .set({ state: 'unknown', updated_at: iso(new Date()) })
      .where('state', '=', 'sending')
      .where('updated_at', '<', iso(staleBefore))
      .returningAll()
      .execute()
    if (events !== undefined) await appendEvents(ctx, trx, rows.flatMap((row) => events(toOrder(ctx, row))))
    return rows
  })
  const released = await ctx.db.updateTable('orders')
    .set({ state: 'failed', updated_at: iso(new Date()) })
    .where('state', '=', 'reserved')
    .where('updated_at', '<', iso(staleBefore))
    .executeTakeFirst()
  return { unknown: unknown.map((row) => toOrder(ctx, row)), released: Number(released.numUpdatedRows) }
}

export async function adoptPanel (ctx: StoreContext, panel: string): Promise<void> {
  await ctx.db.updateTable('orders').set({ panel }).where('panel', 'is', null).execute()
  await ctx.db.updateTable('refills').set({ panel }).where('panel', 'is', null).execute()
}

export async function getOrderById (ctx: StoreContext, id: number): Promise<StoredOrder | undefined> {
  const row = await ctx.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toOrder(ctx, row)
}

export async function getOrder (ctx: StoreContext, tenantId: number, id: number): Promise<StoredOrder | undefined> {
  const order = await getOrderById(ctx, id)
  return order?.tenantId === tenantId ? order : undefined
}

export async function getOrders (ctx: StoreContext, tenantId: number, ids: number[]): Promise<Map<number, StoredOrder>> {
  const unique = [...new Set(ids)]
  const found = new Map<number, StoredOrder>()
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    const rows = await ctx.db.selectFrom('orders').selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', unique.slice(i, i + ID_CHUNK))
      .execute()
    for (const row of rows) found.set(toNumber(row.id), toOrder(ctx, row))
  }
  return found
}

/** What a tenant's listing shows: orders the panel has, or may have. */
const LISTED_STATES: OrderState[] = ['placed', 'unknown']

/**
 * Where a page starts: after the order `after` names by its public id (which
 * the caller already has), never after a row id, whose size would tell the
 * gateway's volume. Resolved within `tenantId` when given: another tenant's
 * order is as unknown as one that does not exist. undefined: no such order.
 */
async function startAfter (ctx: StoreContext, after: number, tenantId?: number): Promise<number | undefined> {
  let query = ctx.db.selectFrom('orders').select('local_id').where('id', '=', after)
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId)
  const row = await query.executeTakeFirst()
  return row === undefined ? undefined : toNumber(row.local_id)
}

export async function listOrders (ctx: StoreContext, tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[] | undefined> {
  let query = ctx.db.selectFrom('orders').selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('local_id', 'desc')
    .limit(q.limit)
  if (q.after !== undefined) {
    const before = await startAfter(ctx, q.after, tenantId)
    if (before === undefined) return undefined
    query = query.where('local_id', '<', before)
  }
  if (q.status === 'unknown') query = query.where('state', '=', 'unknown')
  else if (q.status !== undefined) query = query.where('state', '=', 'placed').where('status', '=', q.status)
  else query = query.where('state', 'in', LISTED_STATES)
  return (await query.execute()).map((row) => toOrder(ctx, row))
}

export async function listOrdersInState (ctx: StoreContext, state: OrderState, q: LedgerQuery): Promise<StoredOrder[] | undefined> {
  let query = ctx.db.selectFrom('orders').selectAll()
    .where('state', '=', state)
    .orderBy('local_id', 'desc')
    .limit(q.limit)
  if (q.after !== undefined) {
    const before = await startAfter(ctx, q.after)
    if (before === undefined) return undefined
    query = query.where('local_id', '<', before)
  }
  return (await query.execute()).map((row) => toOrder(ctx, row))
}

/**
 * By the row a lookup found, never by the panel's id: panels hand ids out
 * again. Read and written in one transaction, so whichever reader sees a
 * change first records it (and its events) once. A status change resets the
 * poll count; a final status ends the schedule; `nextPollAt` (the tracker's
 * next poll) is written when given.
 */
export async function updateOrderStatus (ctx: StoreContext, tenantId: number, localId: number, s: OrderStatusUpdate, events?: StatusEvents, nextPollAt?: Date | null): Promise<StoredOrder | undefined> {
  return await ctx.writeTransaction(async (trx) => {
    let current = trx.selectFrom('orders').selectAll().where('tenant_id', '=', tenantId).where('local_id', '=', localId)
    if (ctx.dialect === 'postgres') current = current.forUpdate()
    const row = await current.executeTakeFirst()
    if (row === undefined) return undefined
    const before = toOrder(ctx, row)
    const changed = before.status !== s.status
    const schedule = s.final ? { next_poll_at: null } : nextPollAt === undefined ? {} : { next_poll_at: nextPollAt === null ? null : iso(nextPollAt) }
    const updated = await trx.updateTable('orders')
      .set({
        status: s.status,
        upstream_status: s.upstreamStatus,
        charge: s.charge === null ? null : toUnits(s.charge),
        start_count: s.startCount,
        remains: s.remains,
        currency: s.currency,
        final: ctx.bool(s.final),
        updated_at: iso(new Date()),
        ...schedule,
        ...(changed ? { polls: 0 } : {})
      })
      .where('local_id', '=', localId)
      .returningAll()
      .executeTakeFirstOrThrow()
    const after = toOrder(ctx, updated)
    if (events !== undefined) await appendEvents(ctx, trx, events(before, after))
    return after
  })
}
