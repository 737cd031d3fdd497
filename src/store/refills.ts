import type { Selectable } from 'kysely'
import { iso, toDate, toNumber, type RefillsTable, type StoreContext } from './db.js'
import type { NewRefill, StoredRefill } from './types.js'

const ID_CHUNK = 500

function toRefill (row: Selectable<RefillsTable>): StoredRefill {
  return {
    id: toNumber(row.id),
    orderId: toNumber(row.order_id),
    tenantId: toNumber(row.tenant_id),
    createdAt: toDate(row.created_at)
  }
}

// Every record is kept: a replaced panel hands refill ids out again.
export async function recordRefill (ctx: StoreContext, r: NewRefill, now = new Date()): Promise<void> {
  await ctx.db.insertInto('refills')
    .values({ id: r.id, order_id: r.orderId, tenant_id: r.tenantId, created_at: iso(now) })
    .execute()
}

export async function getRefills (ctx: StoreContext, tenantId: number, ids: number[]): Promise<Map<number, StoredRefill>> {
  const unique = [...new Set(ids)]
  const owned = new Map<number, StoredRefill>()
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    const rows = await ctx.db.selectFrom('refills').selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', unique.slice(i, i + ID_CHUNK))
      .orderBy('local_id')
      .execute()
    // Oldest first, so a repeated id ends on its newest record.
    for (const row of rows) owned.set(toNumber(row.id), toRefill(row))
  }
  return owned
}
