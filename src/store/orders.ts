import type { Selectable } from 'kysely'
import { iso, toBool, toDate, toNumber, toNumberOrNull, type OrdersTable, type StoreContext } from './db.js'
import { fromUnits, fromUnitsOrNull, toUnits, toUnitsOrNull } from './money.js'
import { spentIn } from './spend.js'
import { utcDay, utcMonth } from './time.js'
import type { ListOrdersQuery, OrderState, OrderStatusUpdate, ReserveOrder, ReserveResult, StoredOrder } from './types.js'

// Keeps every IN (…) list well under both engines' bound-parameter limits.
const ID_CHUNK = 500

function toOrder (ctx: StoreContext, row: Selectable<OrdersTable>): StoredOrder {
  return {
    localId: toNumber(row.local_id),
    id: toNumberOrNull(row.upstream_id),
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
  return await ctx.writeTransaction(async (trx) => {
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
        tenant_id: o.tenantId,
        service: o.service,
        request: JSON.stringify(o.request),
        quantity: o.quantity,
        estimated_charge: estimate,
        state: 'reserved',
        final: ctx.bool(false),
        created_at: iso(now),
        updated_at: iso(now)
      })
      .returning('local_id')
      .executeTakeFirstOrThrow()
    return { ok: true, localId: toNumber(row.local_id) }
  })
}

async function setState (ctx: StoreContext, localId: number, state: OrderState, upstreamId?: number): Promise<void> {
  // A just-placed order is pending until the panel says otherwise.
  const placed = upstreamId === undefined ? {} : { upstream_id: upstreamId, status: 'pending' }
  await ctx.db.updateTable('orders')
    .set({ state, updated_at: iso(new Date()), ...placed })
    .where('local_id', '=', localId)
    .execute()
}

export async function markPlaced (ctx: StoreContext, localId: number, upstreamId: number): Promise<void> {
  await setState(ctx, localId, 'placed', upstreamId)
}

export async function markFailed (ctx: StoreContext, localId: number): Promise<void> {
  await setState(ctx, localId, 'failed')
}

export async function markUnknown (ctx: StoreContext, localId: number): Promise<void> {
  await setState(ctx, localId, 'unknown')
}

export async function getOrder (ctx: StoreContext, tenantId: number, id: number): Promise<StoredOrder | undefined> {
  const row = await ctx.db.selectFrom('orders').selectAll()
    .where('tenant_id', '=', tenantId)
    .where('upstream_id', '=', id)
    .orderBy('local_id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row === undefined ? undefined : toOrder(ctx, row)
}

export async function getOrders (ctx: StoreContext, tenantId: number, ids: number[]): Promise<Map<number, StoredOrder>> {
  const unique = [...new Set(ids)]
  const found = new Map<number, StoredOrder>()
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    const rows = await ctx.db.selectFrom('orders').selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', 'in', unique.slice(i, i + ID_CHUNK))
      .orderBy('local_id')
      .execute()
    for (const row of rows) {
      const order = toOrder(ctx, row)
      if (order.id !== null) found.set(order.id, order)
    }
  }
  return found
}

export async function listOrders (ctx: StoreContext, tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[]> {
  let query = ctx.db.selectFrom('orders').selectAll()
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'placed')
    .orderBy('local_id', 'desc')
    .limit(q.limit)
  if (q.before !== undefined) query = query.where('local_id', '<', q.before)
  if (q.status !== undefined) query = query.where('status', '=', q.status)
  return (await query.execute()).map((row) => toOrder(ctx, row))
}

/**
 * By the row a lookup found, never by the panel's id: a replaced panel hands
 * ids out again, and one tenant's lookup must not rewrite another's order.
 */
export async function updateOrderStatus (ctx: StoreContext, tenantId: number, localId: number, s: OrderStatusUpdate): Promise<void> {
  await ctx.db.updateTable('orders')
    .set({
      status: s.status,
      upstream_status: s.upstreamStatus,
      charge: s.charge === null ? null : toUnits(s.charge),
      start_count: s.startCount,
      remains: s.remains,
      currency: s.currency,
      final: ctx.bool(s.final),
      updated_at: iso(new Date())
    })
    .where('tenant_id', '=', tenantId)
    .where('local_id', '=', localId)
    .execute()
}
