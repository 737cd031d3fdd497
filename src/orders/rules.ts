import { Decimal } from 'decimal.js'
import { GatewayError } from '../errors.js'
import type { AddFields, PanelService } from '../upstream/types.js'
import type { NewOrderT } from '../../schemas/orders.js'

type Field = Exclude<keyof NewOrderT, 'service'>

interface TypeRule {
  required: Field[]
  optional?: Field[]
  /** Types whose quantity is the number of lines of a field. */
  countLinesOf?: 'comments' | 'usernames'
  /** Package types cost `rate` per order, not per 1000. */
  package?: boolean
  /** Subscriptions: no quantity; charged per post (see estimate). */
  subscription?: boolean
}

// The panel order types (panel-api-v2.md, "Order types for add").
const RULES: Record<string, TypeRule> = {
  default: { required: ['link', 'quantity'], optional: ['runs', 'interval'] },
  package: { required: ['link'], package: true },
  seo: { required: ['link', 'quantity', 'keywords'] },
  customcomments: { required: ['link', 'comments'], countLinesOf: 'comments' },
  customcommentspackage: { required: ['link', 'comments'], package: true },
  mentions: { required: ['link', 'quantity', 'usernames'] },
  mentionswithhashtags: { required: ['link', 'quantity', 'usernames', 'hashtags'] },
  mentionscustomlist: { required: ['link', 'usernames'], countLinesOf: 'usernames' },
  mentionshashtag: { required: ['link', 'quantity', 'hashtag'] },
  mentionsuserfollowers: { required: ['link', 'quantity', 'username'] },
  mentionsmedialikers: { required: ['link', 'quantity', 'media'] },
  commentlikes: { required: ['link', 'quantity', 'username'] },
  commentreplies: { required: ['link', 'username', 'comments'], countLinesOf: 'comments' },
  poll: { required: ['link', 'quantity', 'answerNumber'] },
  invitesfromgroups: { required: ['link', 'quantity', 'groups'] },
  webtraffic: { required: ['link', 'quantity', 'country', 'device', 'typeOfTraffic'], optional: ['googleKeyword', 'referringUrl'] },
  subscriptions: { required: ['username', 'min', 'max', 'delay'], optional: ['posts', 'oldPosts', 'expiry'], subscription: true }
}

// A type this gateway does not know yet: pass link and quantity through.
const UNKNOWN_TYPE: TypeRule = { required: ['link'], optional: ['quantity'] }

const SUBSCRIPTION_DELAYS = new Set([0, 5, 10, 15, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 540, 600])

const PANEL_NAMES: Partial<Record<Field, string>> = {
  answerNumber: 'answer_number',
  typeOfTraffic: 'type_of_traffic',
  googleKeyword: 'google_keyword',
  referringUrl: 'referring_url',
  oldPosts: 'old_posts'
}

export function ruleFor (type: string): TypeRule {
  return RULES[type.toLowerCase().replace(/[^a-z]/g, '')] ?? UNKNOWN_TYPE
}

/** Fields that hold one item per line. */
const LINE_FIELDS = ['comments', 'usernames', 'keywords', 'hashtags', 'groups'] as const
type LineField = typeof LINE_FIELDS[number]

/**
 * The most the panel can charge for the order: what a tenant's budget reserves.
 * Null only when nothing in the order limits the charge, and then with the reason.
 */
export type ChargeBound =
  | { chargeBounded: true, estimatedCharge: string }
  | { chargeBounded: false, estimatedCharge: null, unboundedReason: string }

export type PreparedOrder = ChargeBound & {
  fields: AddFields
  /** Total units: runs × quantity for drip-feed, lines for list types; null for packages and subscriptions. */
  quantity: number | null
}

// Every character some panel may end a line at: CR, LF and CRLF (explode("\n"),
// preg_split('/\r\n|\r|\n/')), and the other breaks PCRE's \R and Unicode
// readers honour (VT, FF, NEL, LINE and PARAGRAPH SEPARATOR). Splitting on all
// of them and sending the lines joined by "\n" leaves the panel nothing to
// split that the gateway did not count.
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/

function lines (text: string): string[] {
  return text.split(LINE_BREAK).map((l) => l.trim()).filter((l) => l !== '')
}

/** Each line-list field as its non-empty trimmed lines: what is counted is what is sent. */
function listsOf (order: NewOrderT): Partial<Record<LineField, string[]>> {
  const lists: Partial<Record<LineField, string[]>> = {}
  for (const field of LINE_FIELDS) {
    const text = order[field]
    if (text !== undefined) lists[field] = lines(text)
  }
  return lists
}

/** A limit the panel does not state is the panel's to check. */
function inRange (service: PanelService, value: number, what: string): void {
  if ((service.min !== null && value < service.min) || (service.max !== null && value > service.max)) {
    throw new GatewayError('quantity_out_of_range',
      `${what} ${value} is outside this service's range ${service.min ?? 'no minimum'}–${service.max ?? 'no maximum'}`,
      { extra: { min: service.min, max: service.max } })
  }
}

/**
 * Checks an order against its service the way the panel would, before any
 * panel call, and translates it into the panel's `add` fields.
 */
export function prepareOrder (service: PanelService, order: NewOrderT): PreparedOrder {
  const rule = ruleFor(service.type)
  const allowed = new Set<Field>([...rule.required, ...(rule.optional ?? [])])
  checkFieldsAllowed(service, rule, allowed, order)
  for (const field of rule.required) {
    if (order[field] === undefined) {
      throw new GatewayError('missing_field', `Services of type "${service.type}" need "${field}"`, { extra: { field } })
    }
  }
  const lists = listsOf(order)
  for (const [field, list] of Object.entries(lists)) {
    if (list.length === 0) {
      throw new GatewayError('missing_field', `"${field}" has no non-blank lines`, { extra: { field } })
    }
  }

  let quantity: number | null = order.quantity ?? null
  if (rule.countLinesOf !== undefined) {
    quantity = (lists[rule.countLinesOf] ?? []).length
    inRange(service, quantity, `The number of ${rule.countLinesOf} lines`)
  } else if (quantity !== null) {
    inRange(service, quantity, 'Quantity')
  }

  if ((order.runs === undefined) !== (order.interval === undefined)) {
    throw new GatewayError('invalid_drip_feed', 'Drip-feed needs both "runs" and "interval"')
  }
  if (order.runs !== undefined && quantity !== null) quantity *= order.runs

  if (rule.subscription === true) checkSubscription(service, order)
  if (service.type.toLowerCase() === 'web traffic') checkWebTraffic(order)

  const fields: AddFields = { service: service.id }
  for (const field of allowed) {
    const value = lists[field as LineField]?.join('\n') ?? order[field]
    if (value === undefined) continue
    if (field === 'quantity' && rule.countLinesOf !== undefined) continue
    fields[PANEL_NAMES[field] ?? field] = typeof value === 'string' && field !== 'link' ? value.replace(/\r\n/g, '\n') : value
  }

  const units = rule.countLinesOf === undefined ? quantity : unitsOfList(lists[rule.countLinesOf] ?? [])
  return {
    fields,
    quantity: rule.package === true || rule.subscription === true ? null : quantity,
    ...estimate(service, rule, order, units)
  }
}

function checkFieldsAllowed (service: PanelService, rule: TypeRule, allowed: Set<Field>, order: NewOrderT): void {
  for (const field of Object.keys(order) as Array<keyof NewOrderT>) {
    if (field === 'service' || order[field] === undefined) continue
    if (!allowed.has(field)) {
      const hint = field === 'quantity' && rule.countLinesOf !== undefined
        ? `: the quantity is the number of lines of ${rule.countLinesOf}`
        : ''
      throw new GatewayError('field_not_allowed', `Services of type "${service.type}" do not take "${field}"${hint}`,
        { extra: { field } })
    }
  }
}

/**
 * Units a panel may charge for a line-counted field. SmartPanel counts custom
 * comments split on newlines *and commas* (panel-api-v2.md, 3a), so each comma
 * can add one unit; other panels charge the lines. The bound covers both.
 */
function unitsOfList (list: string[]): number {
  return list.reduce((units, line) => units + line.split(',').length, 0)
}

/**
 * The bound on the order's charge (rate is per 1000 units):
 * - per-unit types: rate × units / 1000, units = quantity (× runs for
 *   drip-feed) or, for line-counted types, lines plus commas (unitsOfList);
 * - packages: the rate, once per order;
 * - Subscriptions: the panel places one child order per post, of between
 *   `min` and `max` units, for at most `posts` new posts plus `old_posts`
 *   existing ones: rate × max / 1000 × (posts + oldPosts). Without `posts`
 *   new posts are unlimited (an `expiry` limits time, not posts): no bound;
 * - an unknown type without quantity: no bound.
 */
function estimate (service: PanelService, rule: TypeRule, order: NewOrderT, units: number | null): ChargeBound {
  const rate = new Decimal(service.rate)
  const bounded = (charge: Decimal): ChargeBound => ({ chargeBounded: true, estimatedCharge: charge.toFixed() })
  if (rule.subscription === true) {
    if (order.posts === undefined) {
      return unbounded('Subscriptions without "posts" can be charged without limit (one charge per new post); set "posts" to place it under a budget')
    }
    return bounded(rate.times(order.max as number).dividedBy(1000).times(order.posts + (order.oldPosts ?? 0)))
  }
  if (rule.package === true) return bounded(rate)
  if (units === null) {
    return unbounded(`Services of type "${service.type}" are unknown to the gateway and, without "quantity", their charge has no limit; set "quantity" to place it under a budget`)
  }
  return bounded(rate.times(units).dividedBy(1000))
}

function unbounded (reason: string): ChargeBound {
  return { chargeBounded: false, estimatedCharge: null, unboundedReason: reason }
}

/**
 * Refuses an order whose charge has no bound for a tenant with a daily or
 * monthly budget: reserving nothing would let it through any budget.
 */
export function requireBound (prepared: PreparedOrder, tenant: { dailyBudget: string | null, monthlyBudget: string | null }): void {
  if (prepared.chargeBounded || (tenant.dailyBudget === null && tenant.monthlyBudget === null)) return
  throw new GatewayError('charge_unbounded', prepared.unboundedReason)
}

function checkSubscription (service: PanelService, order: NewOrderT): void {
  const min = order.min as number
  const max = order.max as number
  if (min > max) throw new GatewayError('quantity_out_of_range', `"min" (${min}) is larger than "max" (${max})`)
  inRange(service, min, 'min')
  inRange(service, max, 'max')
  if (!SUBSCRIPTION_DELAYS.has(order.delay as number)) {
    throw new GatewayError('validation_failed', `"delay" must be one of ${[...SUBSCRIPTION_DELAYS].join(', ')} minutes`)
  }
}

function checkWebTraffic (order: NewOrderT): void {
  if (order.typeOfTraffic === 1 && order.googleKeyword === undefined) {
    throw new GatewayError('missing_field', 'Web Traffic with typeOfTraffic 1 needs "googleKeyword"', { extra: { field: 'googleKeyword' } })
  }
  if (order.typeOfTraffic === 2 && order.referringUrl === undefined) {
    throw new GatewayError('missing_field', 'Web Traffic with typeOfTraffic 2 needs "referringUrl"', { extra: { field: 'referringUrl' } })
  }
}
