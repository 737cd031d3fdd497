import type { ServiceType, SimService } from './catalog.js'
import { MESSAGES } from './messages.js'
import { money, round, type Amount } from './money.js'

/** What a valid `add` turns into, before the balance is looked at. */
export interface AddPlan {
  link?: string
  /** Units delivered in total (runs × quantity for drip-feed; 1 for a package). */
  quantity: number
  runs?: number
  interval?: number
  charge: Amount
}

export type AddCheck = { ok: true, plan: AddPlan } | { ok: false, error: string }

export type Fields = Readonly<Record<string, string>>

/** Where the quantity of an order comes from. */
export type QuantitySource = 'quantity' | 'package' | 'comments' | 'usernames' | 'subscription'

export interface TypeRule {
  link: boolean
  quantity: QuantitySource
  /** Fields that must be non-empty; their exact form is checked in `extraCheck`. */
  required: readonly string[]
}

export const RULES: Record<ServiceType, TypeRule> = {
  Default: { link: true, quantity: 'quantity', required: [] },
  Package: { link: true, quantity: 'package', required: [] },
  SEO: { link: true, quantity: 'quantity', required: ['keywords'] },
  'Custom Comments': { link: true, quantity: 'comments', required: ['comments'] },
  'Custom Comments Package': { link: true, quantity: 'package', required: ['comments'] },
  Mentions: { link: true, quantity: 'quantity', required: ['usernames'] },
  'Mentions with Hashtags': { link: true, quantity: 'quantity', required: ['usernames', 'hashtags'] },
  'Mentions Custom List': { link: true, quantity: 'usernames', required: ['usernames'] },
  'Mentions Hashtag': { link: true, quantity: 'quantity', required: ['hashtag'] },
  'Mentions User Followers': { link: true, quantity: 'quantity', required: ['username'] },
  'Mentions Media Likers': { link: true, quantity: 'quantity', required: ['media'] },
  'Comment Likes': { link: true, quantity: 'quantity', required: ['username'] },
  'Comment Replies': { link: true, quantity: 'comments', required: ['username', 'comments'] },
  Poll: { link: true, quantity: 'quantity', required: ['answer_number'] },
  'Invites from Groups': { link: true, quantity: 'quantity', required: ['groups'] },
  'Web Traffic': { link: true, quantity: 'quantity', required: ['country', 'device', 'type_of_traffic'] },
  Subscriptions: { link: false, quantity: 'subscription', required: ['username', 'delay'] }
}

export const SUBSCRIPTION_DELAYS: ReadonlySet<number> = new Set([0, 5, 10, 15, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 540, 600])

/** A link as panels accept it: http(s) URL or a bare `host.tld/…`, no spaces. */
export function isLink (text: string): boolean {
  if (text === '' || text.length > 2048 || /[\s\u0000-\u001f\u007f]/.test(text)) return false // eslint-disable-line no-control-regex
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `https://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    return false
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  return url.hostname === 'localhost' || /\.[a-z\d-]+$/i.test(url.hostname)
}

export function lines (text: string | undefined): string[] {
  return (text ?? '').split(/\r\n|\r|\n/).map((line) => line.trim()).filter((line) => line !== '')
}

/** PHP-panel style: anything that is not plain digits counts as 0. */
export function integer (text: string | undefined): number {
  const trimmed = (text ?? '').trim()
  return /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : 0
}

export function isGiven (text: string | undefined): boolean {
  return text !== undefined && text.trim() !== ''
}

function isDate (text: string): boolean {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim())
  if (match === null) return false
  const [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Type-specific forms beyond "non-empty"; returns an error string or undefined. */
export function extraCheck (type: ServiceType, fields: Fields): string | undefined {
  switch (type) {
    case 'Mentions Media Likers':
      return isLink((fields.media ?? '').trim()) ? undefined : MESSAGES.badLink
    case 'Poll':
      return integer(fields.answer_number) >= 1 ? undefined : MESSAGES.incorrectRequest
    case 'Web Traffic': {
      const device = integer(fields.device)
      const traffic = integer(fields.type_of_traffic)
      if (device < 1 || device > 5 || traffic < 1 || traffic > 3) return MESSAGES.incorrectRequest
      if (traffic === 1 && !isGiven(fields.google_keyword)) return MESSAGES.incorrectRequest
      if (traffic === 2 && !isLink((fields.referring_url ?? '').trim())) return MESSAGES.incorrectRequest
      return undefined
    }
    case 'Subscriptions': {
      if (!/^\d+$/.test((fields.delay ?? '').trim()) || !SUBSCRIPTION_DELAYS.has(integer(fields.delay))) return MESSAGES.incorrectRequest
      for (const name of ['posts', 'old_posts']) {
        if (isGiven(fields[name]) && !/^\d+$/.test((fields[name] ?? '').trim())) return MESSAGES.incorrectRequest
      }
      if (isGiven(fields.expiry) && !isDate(fields.expiry ?? '')) return MESSAGES.incorrectRequest
      return undefined
    }
    default:
      return undefined
  }
}

function checkRange (quantity: number, service: SimService): string | undefined {
  if (quantity < service.min) return MESSAGES.minQuantity(service.min)
  if (quantity > service.max) return MESSAGES.maxQuantity(service.max)
  return undefined
}

/** Drip-feed fields of a Default order: none, both valid, or an error. */
function dripFeed (fields: Fields): { runs: number, interval: number } | { error: string } | undefined {
  if (!isGiven(fields.runs) && !isGiven(fields.interval)) return undefined
  const runs = integer(fields.runs)
  if (runs < 2) return { error: MESSAGES.incorrectRuns }
  const interval = integer(fields.interval)
  if (interval < 1) return { error: MESSAGES.incorrectInterval }
  return { runs, interval }
}

/**
 * A panel's checks of an `add` for a known service, in the panel's order:
 * link, type fields, quantity against min/max, drip-feed. Quantity is checked
 * per run for drip-feed (the total may exceed max, as on panels).
 */
export function checkAdd (service: SimService, fields: Fields): AddCheck {
  const rule = RULES[service.type]
  const fail = (error: string): AddCheck => ({ ok: false, error })
  const link = (fields.link ?? '').trim()
  if (rule.link && !isLink(link)) return fail(MESSAGES.badLink)
  if (rule.required.some((name) => !isGiven(fields[name]))) return fail(MESSAGES.incorrectRequest)
  const extra = extraCheck(service.type, fields)
  if (extra !== undefined) return fail(extra)

  const rate = money(service.rate)
  const perThousand = (units: number): Amount => round(rate.times(units).dividedBy(1000))
  const withLink = rule.link ? { link } : {}

  switch (rule.quantity) {
    case 'package':
      return { ok: true, plan: { ...withLink, quantity: 1, charge: round(rate) } }
    case 'subscription': {
      const min = integer(fields.min)
      const max = integer(fields.max)
      const error = checkRange(min, service) ?? checkRange(max, service) ?? (max < min ? MESSAGES.incorrectRequest : undefined)
      if (error !== undefined) return fail(error)
      // Real panels charge per delivered post; one post at `max` stands in for that.
      return { ok: true, plan: { quantity: max, charge: perThousand(max) } }
    }
    case 'comments':
    case 'usernames': {
      const quantity = lines(fields[rule.quantity]).length
      const error = checkRange(quantity, service)
      if (error !== undefined) return fail(error)
      return { ok: true, plan: { ...withLink, quantity, charge: perThousand(quantity) } }
    }
    case 'quantity': {
      const quantity = integer(fields.quantity)
      const error = checkRange(quantity, service)
      if (error !== undefined) return fail(error)
      const drip = service.type === 'Default' ? dripFeed(fields) : undefined
      if (drip === undefined) return { ok: true, plan: { ...withLink, quantity, charge: perThousand(quantity) } }
      if ('error' in drip) return fail(drip.error)
      const total = quantity * drip.runs
      return { ok: true, plan: { ...withLink, quantity: total, runs: drip.runs, interval: drip.interval, charge: perThousand(total) } }
    }
  }
}
