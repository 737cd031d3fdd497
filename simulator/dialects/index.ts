import type { OrderBookOptions } from '../orders.js'
import type { Dialect, Panel, PanelDeps } from './panel.js'
import { RentalPanel } from './rental.js'
import { SmartPanel } from './smartpanel.js'
import { StandardPanel } from './standard.js'

export { DIALECTS, isDialect, type Dialect, type Panel, type PanelCall } from './panel.js'

interface DialectSpec {
  /** How the dialect's database keeps the account: decimals, where ids start. */
  book: Pick<OrderBookOptions, 'moneyPlaces' | 'firstOrderId' | 'firstRefillId'>
  /** PHP notices: only SmartPanel's development mode prints them. */
  phpNotices: boolean
  create: (deps: PanelDeps) => Panel
}

const SPECS: Record<Dialect, DialectSpec> = {
  standard: { book: {}, phpNotices: false, create: (deps) => new StandardPanel(deps) },
  smartpanel: { book: { moneyPlaces: 4, firstOrderId: 1, firstRefillId: 1 }, phpNotices: true, create: (deps) => new SmartPanel(deps) },
  rental: { book: { firstOrderId: 1001, firstRefillId: 1 }, phpNotices: false, create: (deps) => new RentalPanel(deps) }
}

export function dialectBook (dialect: Dialect): DialectSpec['book'] {
  return SPECS[dialect].book
}

export function createPanel (dialect: Dialect, deps: PanelDeps): Panel {
  const spec = SPECS[dialect]
  if (deps.phpNotices === true && !spec.phpNotices) throw new RangeError(`phpNotices is an option of the smartpanel dialect, not ${dialect}`)
  return spec.create(deps)
}
