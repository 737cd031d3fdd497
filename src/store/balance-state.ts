import { sql } from 'kysely'
import { iso, type StoreContext } from './db.js'
import { appendEvents } from './events.js'
import { fromUnits } from './money.js'
import { HOLDING_STATES } from './spend.js'
import type { NewEvent, StoredEvent } from './types.js'

// Balance checks take turns on PostgreSQL, so two instances crossing at once emit one balance.low.
const BALANCE_LOCK = 0x736d6d62 // 'smmb'
const KEY = 'balance_low'

/** What placed (or possibly placed) orders of every tenant created since `since` cost: charges, else estimates. */
export async function panelSpentSince (ctx: StoreContext, since: Date): Promise<string> {
  const row = await ctx.db.selectFrom('orders')
    .select(sql<bigint | string | number | null>`sum(coalesce(charge, estimated_charge))`.as('spent'))
    .where('state', 'in', HOLDING_STATES.filter((s) => s === 'placed' || s === 'unknown'))
    .where('created_at', '>=', iso(since))
    .executeTakeFirstOrThrow()
  return fromUnits(row.spent === null ? 0n : BigInt(row.spent))
}

/**
 * Records whether the balance is low; `event` is appended only on crossing
 * into low (the state was not low), in the same transaction as the state.
 */
export async function recordBalanceLow (ctx: StoreContext, low: boolean, event: NewEvent, now: Date): Promise<StoredEvent | undefined> {
  return await ctx.writeTransaction(async (trx) => {
    if (ctx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(BALANCE_LOCK)})`.execute(trx)
    const row = await trx.selectFrom('gateway_state').select('value').where('key', '=', KEY).executeTakeFirst()
    const wasLow = row !== undefined && (ctx.json(row.value) as { low?: boolean }).low === true
    if (wasLow === low && row !== undefined) return undefined
    const value = JSON.stringify({ low })
    await trx.insertInto('gateway_state').values({ key: KEY, value, updated_at: iso(now) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: iso(now) }))
      .execute()
    if (!low || wasLow) return undefined
    return (await appendEvents(ctx, trx, [event], now))[0]
  })
}
