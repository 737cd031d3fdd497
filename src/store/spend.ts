import { sql } from 'kysely'
import { iso, toNumber, type Db, type StoreContext } from './db.js'
import { fromUnits } from './money.js'
import { addUtcDays, addUtcMonths, dayKey, monthKey, utcDay, utcMonth, type Window } from './time.js'
import type { Usage } from './types.js'

/** Orders in these states hold budget; failed ones released it. */
export const HOLDING_STATES = ['reserved', 'sending', 'placed', 'unknown']

// The panel's reported charge replaces the estimate once known.
const amount = sql<bigint | string | number | null>`sum(coalesce(charge, estimated_charge))`

/** Spend in integer units of the tenant's budget-holding orders created within the window. */
export async function spentIn (db: Db, tenantId: number, window: Window): Promise<bigint> {
  const row = await db.selectFrom('orders')
    .select(amount.as('spent'))
    .where('tenant_id', '=', tenantId)
    .where('state', 'in', HOLDING_STATES)
    .where('created_at', '>=', iso(window.from))
    .where('created_at', '<', iso(window.to))
    .executeTakeFirstOrThrow()
  // pg returns sum(bigint) as numeric text, SQLite as an integer.
  return row.spent === null ? 0n : BigInt(row.spent)
}

export async function spend (ctx: StoreContext, tenantId: number, now = new Date()): Promise<{ today: string, month: string }> {
  const [today, month] = await Promise.all([
    spentIn(ctx.db, tenantId, utcDay(now)),
    spentIn(ctx.db, tenantId, utcMonth(now))
  ])
  return { today: fromUnits(today), month: fromUnits(month) }
}

async function totalsBy (ctx: StoreContext, tenantId: number, period: 'day' | 'month', window: Window): Promise<Map<string, { orders: number, spend: string }>> {
  const key = ctx.utcPeriod('created_at', period)
  const rows = await ctx.db.selectFrom('orders')
    .select([key.as('period'), (eb) => eb.fn.countAll().as('orders'), amount.as('spend')])
    .where('tenant_id', '=', tenantId)
    .where('state', 'in', HOLDING_STATES)
    .where('created_at', '>=', iso(window.from))
    .where('created_at', '<', iso(window.to))
    .groupBy(key)
    .execute()
  return new Map(rows.map((row) => [row.period, {
    orders: toNumber(row.orders as bigint | number | string),
    spend: fromUnits(row.spend ?? 0)
  }]))
}

export async function usage (ctx: StoreContext, tenantId: number, q: { days: number, now?: Date }): Promise<Usage> {
  if (!Number.isSafeInteger(q.days) || q.days < 1) throw new RangeError(`days must be a positive integer, got ${q.days}`)
  const now = q.now ?? new Date()
  const today = utcDay(now)
  const firstDay = addUtcDays(today.from, 1 - q.days)
  const months = { from: utcMonth(firstDay).from, to: utcMonth(now).to }
  const [byDay, byMonth] = await Promise.all([
    totalsBy(ctx, tenantId, 'day', { from: firstDay, to: today.to }),
    totalsBy(ctx, tenantId, 'month', months)
  ])
  const result: Usage = { days: [], months: [] }
  for (let day = firstDay; day < today.to; day = addUtcDays(day, 1)) {
    const key = dayKey(day)
    result.days.push({ day: key, ...(byDay.get(key) ?? { orders: 0, spend: '0' }) })
  }
  for (let month = months.from; month < months.to; month = addUtcMonths(month, 1)) {
    const key = monthKey(month)
    result.months.push({ month: key, ...(byMonth.get(key) ?? { orders: 0, spend: '0' }) })
  }
  return result
}
