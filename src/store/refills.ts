import { sql } from 'kysely'
import { iso, toBool, toDate, toNumber, type Db, type StoreContext } from './db.js'
import { appendEvents } from './events.js'
import { withFreshId } from './ids.js'
import type { ClaimedRefill, ClaimQuery, NewRefill, RefillEvents, RefillStatusUpdate, StoredRefill } from './types.js'

const ID_CHUNK = 500

function selectRefills (db: Db) {
  return db.selectFrom('refills')
    .innerJoin('orders', 'orders.local_id', 'refills.order_local_id')
    .select(['refills.id', 'refills.panel', 'refills.panel_refill_id', 'refills.order_local_id', 'refills.tenant_id', 'refills.created_at', 'refills.status', 'refills.upstream_status', 'refills.final', 'refills.polls', 'refills.next_poll_at', 'orders.id as order_id'])
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
    createdAt: toDate(row.created_at),
    status: row.status,
    upstreamStatus: row.upstream_status,
    final: toBool(row.final),
    polls: Number(row.polls)
  }
}

// Every record is kept, under an id of the gateway's own: a replaced panel hands refill ids out again.
export async function recordRefill (ctx: StoreContext, r: NewRefill, now = new Date(), nextPollAt?: Date): Promise<StoredRefill> {
  const id = await withFreshId(async (id) => {
    await ctx.db.insertInto('refills')
      .values({
        id,
        panel: r.panel,
        panel_refill_id: r.panelRefillId,
        order_local_id: r.orderLocalId,
        tenant_id: r.tenantId,
        created_at: iso(now),
        status: 'pending',
        final: ctx.bool(false),
        polls: 0,
        next_poll_at: nextPollAt === undefined ? null : iso(nextPollAt),
        updated_at: iso(now)
      })
      .execute()
    return id
  })
  return toRefill(await selectRefills(ctx.db).where('refills.id', '=', id).executeTakeFirstOrThrow())
}

export async function getRefills (ctx: StoreContext, tenantId: number, ids: number[]): Promise<Map<number, StoredRefill>> {
  const unique = [...new Set(ids)]
  const owned = new Map<number, StoredRefill>()
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    const rows = await selectRefills(ctx.db)
      .where('refills.tenant_id', '=', tenantId)
      .where('refills.id', 'in', unique.slice(i, i + ID_CHUNK))
      .execute()
    for (const row of rows) owned.set(toNumber(row.id), toRefill(row))
  }
  return owned
}

/** The status read, and its events, in one transaction: a change is announced once, by whichever reader sees it first. */
export async function updateRefillStatus (ctx: StoreContext, id: number, s: RefillStatusUpdate, events?: RefillEvents, nextPollAt?: Date | null): Promise<StoredRefill | undefined> {
  return await ctx.writeTransaction(async (trx) => {
    let current = selectRefills(trx).where('refills.id', '=', id)
    if (ctx.dialect === 'postgres') current = current.forUpdate('refills')
    const beforeRow = await current.executeTakeFirst()
    if (beforeRow === undefined) return undefined
    const before = toRefill(beforeRow)
    const changed = before.status !== s.status
    const schedule = s.final ? { next_poll_at: null } : nextPollAt === undefined ? {} : { next_poll_at: nextPollAt === null ? null : iso(nextPollAt) }
    await trx.updateTable('refills')
      .set({ status: s.status, upstream_status: s.upstreamStatus, final: ctx.bool(s.final), updated_at: iso(new Date()), ...schedule, ...(changed ? { polls: 0 } : {}) })
      .where('id', '=', id)
      .execute()
    const after = { ...before, status: s.status, upstreamStatus: s.upstreamStatus, final: s.final, polls: changed ? 0 : before.polls }
    if (events !== undefined) await appendEvents(ctx, trx, events(before, after))
    return after
  })
}

/** Like claimDueOrders, for refills not final on the current panel. */
export async function claimDueRefills (ctx: StoreContext, q: ClaimQuery): Promise<ClaimedRefill[]> {
  return await ctx.writeTransaction(async (trx) => {
    let due = trx.selectFrom('refills').select(['id', 'next_poll_at'])
      .where('final', '=', ctx.bool(false))
      .where('panel', '=', q.panel)
      .where('next_poll_at', 'is not', null)
      .where('next_poll_at', '<=', iso(q.now))
      .orderBy('next_poll_at')
      .limit(q.limit)
    if (ctx.dialect === 'postgres') due = due.forUpdate().skipLocked()
    const found = await due.execute()
    if (found.length === 0) return []
    const dueAt = new Map(found.map((row) => [toNumber(row.id), toDate(row.next_poll_at ?? q.now)]))
    await trx.updateTable('refills')
      .set({ next_poll_at: iso(q.leaseUntil), polls: sql<number>`polls + 1` })
      .where('id', 'in', [...dueAt.keys()])
      .execute()
    const rows = await selectRefills(trx).where('refills.id', 'in', [...dueAt.keys()]).execute()
    return rows.map((row) => {
      const refill = toRefill(row)
      return { ...refill, dueAt: dueAt.get(refill.id) ?? q.now }
    })
  })
}

export async function scheduleRefill (ctx: StoreContext, id: number, nextPollAt: Date | null): Promise<void> {
  await ctx.db.updateTable('refills').set({ next_poll_at: nextPollAt === null ? null : iso(nextPollAt) }).where('id', '=', id).execute()
}
