import { sql } from 'kysely'
import { iso, toDate, type StoreContext } from './db.js'
import { toOrder } from './orders.js'
import type { ClaimedOrder, ClaimQuery } from './types.js'

/**
 * Claims the orders due a poll (oldest due first): moves their next poll to
 * the lease's end and counts the poll. On PostgreSQL rows another instance is
 * claiming are skipped, never waited for. `dueAt`: when each was due.
 */
export async function claimDueOrders (ctx: StoreContext, q: ClaimQuery): Promise<ClaimedOrder[]> {
  return await ctx.writeTransaction(async (trx) => {
    let due = trx.selectFrom('orders').select(['local_id', 'next_poll_at'])
      .where('state', '=', 'placed')
      .where('final', '=', ctx.bool(false))
      .where('panel_superseded', '=', ctx.bool(false))
      .where('panel', '=', q.panel)
      .where('next_poll_at', 'is not', null)
      .where('next_poll_at', '<=', iso(q.now))
      .orderBy('next_poll_at')
      .limit(q.limit)
    if (ctx.dialect === 'postgres') due = due.forUpdate().skipLocked()
    const found = await due.execute()
    if (found.length === 0) return []
    const dueAt = new Map(found.map((row) => [Number(row.local_id), toDate(row.next_poll_at ?? q.now)]))
    const rows = await trx.updateTable('orders')
      .set({ next_poll_at: iso(q.leaseUntil), polls: sql<number>`polls + 1` })
      .where('local_id', 'in', [...dueAt.keys()])
      .returningAll()
      .execute()
    return rows.map((row) => {
      const order = toOrder(ctx, row)
      return { ...order, dueAt: dueAt.get(order.localId) ?? q.now, polls: Number(row.polls) }
    })
  })
}

export async function scheduleOrder (ctx: StoreContext, localId: number, nextPollAt: Date | null): Promise<void> {
  await ctx.db.updateTable('orders')
    .set({ next_poll_at: nextPollAt === null ? null : iso(nextPollAt) })
    .where('local_id', '=', localId)
    .where('final', '=', ctx.bool(false))
    .execute()
}

/** The schedule of one order (tests, diagnostics). */
export async function orderSchedule (ctx: StoreContext, localId: number): Promise<{ nextPollAt: Date | null, polls: number } | undefined> {
  const row = await ctx.db.selectFrom('orders').select(['next_poll_at', 'polls']).where('local_id', '=', localId).executeTakeFirst()
  if (row === undefined) return undefined
  return { nextPollAt: row.next_poll_at === null ? null : toDate(row.next_poll_at), polls: Number(row.polls) }
}

/** Non-final tracked orders and refills, and the oldest next poll among them. */
export async function countTracked (ctx: StoreContext): Promise<{ orders: number, refills: number, oldestDue: Date | null }> {
  const orders = await ctx.db.selectFrom('orders')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('next_poll_at').as('oldest')])
    .where('next_poll_at', 'is not', null)
    .where('final', '=', ctx.bool(false))
    .executeTakeFirstOrThrow()
  const refills = await ctx.db.selectFrom('refills')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('next_poll_at', 'is not', null)
    .executeTakeFirstOrThrow()
  const oldest = orders.oldest as string | Date | null
  return { orders: Number(orders.n), refills: Number(refills.n), oldestDue: oldest === null ? null : toDate(oldest) }
}
