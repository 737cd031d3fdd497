import { Decimal } from 'decimal.js'
import type { PanelClient } from '../upstream/types.js'
import type { Store, StoredEvent } from '../store/types.js'

const DAY_MS = 86_400_000

export interface BalanceRule {
  balanceLowThreshold?: string
  /** 0: no runway rule */
  balanceLowRunwayHours: number
}

/**
 * Reads the panel balance and the last 24 hours' spend across tenants; the
 * balance is low below the threshold or when it would last fewer than the
 * runway hours at that spend. balance.low is emitted on crossing into low only.
 */
export async function checkBalance (panel: Pick<PanelClient, 'balance'>, store: Store, rule: BalanceRule, now: Date): Promise<StoredEvent | undefined> {
  const { balance, currency } = await panel.balance()
  const spent = await store.panelSpentSince(new Date(now.getTime() - DAY_MS))
  const amount = new Decimal(balance)
  const perHour = new Decimal(spent).div(24)
  const runway = perHour.isZero() ? null : amount.div(perHour)
  const threshold = rule.balanceLowThreshold ?? null
  const low = (threshold !== null && amount.lt(threshold)) ||
    (rule.balanceLowRunwayHours > 0 && runway !== null && runway.lt(rule.balanceLowRunwayHours))
  return await store.recordBalanceLow(low, {
    type: 'balance.low',
    tenantId: null,
    audience: { scope: 'balance:read' },
    data: {
      balance,
      currency,
      threshold,
      spentLast24h: spent,
      runwayHours: runway === null ? null : runway.toDecimalPlaces(1, Decimal.ROUND_DOWN).toNumber()
    }
  }, now)
}
