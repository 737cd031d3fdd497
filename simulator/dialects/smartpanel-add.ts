import { extraCheck, integer, isGiven, type AddPlan } from '../add-rules.js'
import type { SimService } from '../catalog.js'
import { SMARTPANEL_MESSAGES as M } from '../messages.js'
import { money } from '../money.js'
import type { OrderBook } from '../orders.js'
import type { Fields } from './panel.js'
import type { PhpValue } from './php-json.js'

export type SmartPanelCheck = { ok: true, service: SimService, plan: AddPlan } | { ok: false, answer: PhpValue }

/** SmartPanel lists no maximum (`"max": null`) for services this large, and checks none. */
export const NO_MAX_FROM = 10_000_000
export const DRIP_FEED_INTERVALS: ReadonlySet<number> = new Set([0, 5, 10, 15, 30, 60, 90])
const FLAT_PRICE: ReadonlySet<string> = new Set(['Package', 'Custom Comments Package'])

export function maxOf (service: SimService): number | null {
  return service.max >= NO_MAX_FROM ? null : service.max
}

export function dripFeedOf (service: SimService): boolean {
  return service.dripfeed ?? service.type === 'Default'
}

/** Custom comments as SmartPanel counts them: one per line and per comma. */
export function comments (text: string | undefined): string[] {
  return (text ?? '').split(/\r\n|\n|,/).map((part) => part.trim()).filter((part) => part !== '')
}

const refuse = (error: string): SmartPanelCheck => ({ ok: false, answer: { error } })

function range (quantity: number, service: SimService): SmartPanelCheck | undefined {
  const max = maxOf(service)
  if (quantity <= 0 || quantity < service.min) return refuse(M.minQuantity(service.min))
  if (max !== null && quantity > max) return refuse(M.maxQuantity(max))
  return undefined
}

/** The script records no answers for subscriptions: they keep the standard fields (username, min, max, delay) in its wording. */
function subscription (service: SimService, fields: Fields): SmartPanelCheck {
  if (!isGiven(fields.username) || !isGiven(fields.delay) || extraCheck('Subscriptions', fields) !== undefined) return refuse(M.missingParameters)
  const min = integer(fields.min)
  const max = integer(fields.max)
  if (max < min) return refuse(M.missingParameters)
  const refused = range(min, service) ?? range(max, service)
  if (refused !== undefined) return refused
  return { ok: true, service, plan: { quantity: max, charge: money(service.rate).times(max).dividedBy(1000) } }
}

/** Drip-feed fields of a quantity order: the total to deliver, or the refusal. */
function dripFeed (service: SimService, fields: Fields): { total: number, runs: number, interval: number } | SmartPanelCheck {
  if (!dripFeedOf(service)) return refuse(M.noDripFeed)
  if (!isGiven(fields.interval)) return refuse(M.intervalRequired)
  if (!isGiven(fields.runs)) return refuse(M.runsRequired)
  const interval = integer(fields.interval)
  if (!DRIP_FEED_INTERVALS.has(interval)) return { ok: false, answer: { status: 'error', message: M.invalidInterval } }
  if (!isGiven(fields.quantity)) return refuse(M.quantityRequired)
  const runs = integer(fields.runs)
  return { total: runs * integer(fields.quantity), runs, interval }
}

/**
 * SmartPanel's checks of an `add`, in its order: service, comments or
 * drip-feed, link (only that it is not empty), quantity, min/max (on the
 * drip-feed total). Every type but Custom Comments takes `quantity`, the
 * packages included; other type fields are not checked.
 */
export function checkSmartPanelAdd (book: OrderBook, fields: Fields): SmartPanelCheck {
  if (!isGiven(fields.service)) return refuse(M.missingParameters)
  const service = book.service(fields.service)
  if (service === undefined) return refuse(M.serviceNotFound)
  if (service.type === 'Subscriptions') return subscription(service, fields)

  let quantity: number
  let drip: { runs: number, interval: number } | undefined
  if (service.type === 'Custom Comments') {
    if (!isGiven(fields.comments)) return refuse(M.commentsRequired)
    quantity = comments(fields.comments).length
  } else if (isGiven(fields.runs) || isGiven(fields.interval)) {
    const feed = dripFeed(service, fields)
    if ('ok' in feed) return feed
    quantity = feed.total
    drip = { runs: feed.runs, interval: feed.interval }
  } else {
    quantity = integer(fields.quantity)
  }
  const link = (fields.link ?? '').trim()
  if (link === '') return refuse(M.badLink)
  if (service.type !== 'Custom Comments' && !isGiven(fields.quantity)) return refuse(M.quantityRequired)
  const refused = range(quantity, service)
  if (refused !== undefined) return refused

  const rate = money(service.rate)
  const charge = FLAT_PRICE.has(service.type) ? rate : rate.times(quantity).dividedBy(1000)
  return { ok: true, service, plan: { link, quantity, ...drip, charge } }
}
