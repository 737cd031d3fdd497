import { integer, isGiven, lines, RULES, type AddPlan } from '../add-rules.js'
import type { SimService } from '../catalog.js'
import { RENTAL_ERRORS as E } from '../messages.js'
import { money } from '../money.js'
import type { OrderBook } from '../orders.js'
import type { Fields } from './panel.js'
import type { PhpValue } from './php-json.js'

export type RentalCheck = { ok: true, service: SimService, plan: AddPlan } | { ok: false, answer: PhpValue }

const refuse = (answer: PhpValue): RentalCheck => ({ ok: false, answer })
const COMMENT_TYPES: ReadonlySet<string> = new Set(['Custom Comments', 'Custom Comments Package'])
const FLAT_PRICE: ReadonlySet<string> = new Set(['Package', 'Custom Comments Package'])

/** Subscriptions: a `link` (the username alone fails), `min` and `max` within the service's range. */
function subscription (service: SimService, fields: Fields): RentalCheck {
  const link = (fields.link ?? '').trim()
  if (link === '' || !isGiven(fields.min) || !isGiven(fields.max)) return refuse(E.requiredFields)
  const min = integer(fields.min)
  const max = integer(fields.max)
  if (max < min) return refuse(E.subscriptionMinAboveMax)
  if (min < service.min) return refuse(E.subscriptionMin)
  if (max > service.max) return refuse(E.subscriptionMax)
  return { ok: true, service, plan: { link, quantity: max, charge: money(service.rate).times(max).dividedBy(1000) } }
}

/** The fields a type needs besides quantity: the script asks for link and comments; the rarer types keep the standard's fields. */
function missing (service: SimService, fields: Fields): boolean {
  if ((fields.link ?? '').trim() === '') return true
  if (COMMENT_TYPES.has(service.type)) return !isGiven(fields.comments)
  if (service.type === 'Package') return false
  if (service.type !== 'Default' && RULES[service.type].required.some((name) => !isGiven(fields[name]))) return true
  return !isGiven(fields.quantity)
}

/**
 * The rental script's checks of an `add`, in its order: service, drip-feed
 * pair, required fields, then `quantity` (the drip-feed total) against
 * min/max for every type but Subscriptions — the packages and comment lists
 * included, before the comment lines are counted. It charges for
 * `quantity`, and delivers one unit per comment line.
 */
export function checkRentalAdd (book: OrderBook, fields: Fields): RentalCheck {
  const service = book.service(fields.service)
  if (service === undefined) return refuse(E.serviceNotFound)
  const runs = integer(fields.runs)
  const interval = integer(fields.interval)
  if ((runs > 0) !== (interval > 0)) return refuse(E.requiredFields)
  if (service.type === 'Subscriptions') return subscription(service, fields)
  if (missing(service, fields)) return refuse(E.requiredFields)

  const quantity = integer(fields.quantity)
  const total = runs > 0 ? quantity * runs : quantity
  if (total < service.min) return refuse(E.minQuantity)
  if (total > service.max) return refuse(E.maxQuantity)

  const rate = money(service.rate)
  const plan: AddPlan = {
    link: (fields.link ?? '').trim(),
    quantity: COMMENT_TYPES.has(service.type) ? lines(fields.comments).length : total,
    charge: FLAT_PRICE.has(service.type) ? rate : rate.times(total).dividedBy(1000)
  }
  if (runs > 0) Object.assign(plan, { runs, interval })
  return { ok: true, service, plan }
}
