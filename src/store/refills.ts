import { iso, toDate, toNumber, type StoreContext } from './db.js'
import { withFreshId } from './ids.js'
import type { NewRefill, StoredRefill } from './types.js'

const ID_CHUNK = 500

function selectRefills (ctx: StoreContext) {
  return ctx.db.selectFrom('refills')
    .innerJoin('orders', 'orders.local_id', 'refills.order_local_id')
    .select(['refills.id', 'refills.panel', 'refills.panel_refill_id', 'refills.order_local_id', 'refills.tenant_id', 'refills.created_at', 'orders.id as order_id'])
}

type Row = Awaited<ReturnType<ReturnType<typeof selectRefills>['executeTakeFirstOrThrow']>>

function toRefill (row: Row): StoredRefill {
  return {
    id: toNumber(row.id),
    panel: row.panel,
    panelRefillId: toNumber(row.panel_refill_id),
    orderId: toNumber(row.order_id),
    orderLocalId: toNumber(row.order_local_id ?? 0),
    tenantId: toNumber(row.tenant_id),
    createdAt: toDate(row.created_at)
  }
}

// Every record is kept, under an id of the gateway's own: a replaced panel hands refill ids out again.
// Every record is kept, under an id of the gateway's own: a replaced panel hands refill ids out again.
export async function recordRefill (ctx: StoreContext, r: NewRefill, now = new Date()): Promise<StoredRefill> {
  const id = await withFreshId(async (id) => {
    await ctx.db.insertInto('refills')
      .values({ id, panel: r.panel, panel_refill_id: r.panelRefillId, order_local_id: r.orderLocalId, tenant_id: r.tenantId, created_at: iso(now) })
      .execute()
    return id
  })
  return toRefill(await selectRefills(ctx).where('refills.id', '=', id).executeTakeFirstOrThrow())
}

export async function getRefills (ctx: StoreContext, tenantId: number, ids: number[]): Promise<Map<number, StoredRefill>> {
  const unique = [...new Set(ids)]
  const owned = new Map<number, StoredRefill>()
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    const rows = await selectRefills(ctx)
      .where('refills.tenant_id', '=', tenantId)
      .where('refills.id', 'in', unique.slice(i, i + ID_CHUNK))
      .execute()
    for (const row of rows) owned.set(toNumber(row.id), toRefill(row))
  }
  return owned
}
