import { iso, toNumber, type StoreContext } from './db.js'

const ID_CHUNK = 500

export async function recordRefill (ctx: StoreContext, r: { id: number, orderId: number, tenantId: number }, now = new Date()): Promise<void> {
  await ctx.db.insertInto('refills')
    .values({ id: r.id, order_id: r.orderId, tenant_id: r.tenantId, created_at: iso(now) })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
}

export async function getRefills (ctx: StoreContext, tenantId: number, ids: number[]): Promise<Set<number>> {
  const unique = [...new Set(ids)]
  const owned = new Set<number>()
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    const rows = await ctx.db.selectFrom('refills').select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', unique.slice(i, i + ID_CHUNK))
      .execute()
    for (const row of rows) owned.add(toNumber(row.id))
  }
  return owned
}
