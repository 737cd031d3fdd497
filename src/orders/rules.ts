import { Decimal } from 'decimal.js'
import { GatewayError } from '../problems/errors.js'
import { canonicalType, typeKey } from '../upstream/service-types.js'
import type { AddFields, PanelService } from '../upstream/types.js'
import type { OrderRequest } from './types.js'

type Field = Exclude<keyof OrderRequest, 'service'>

interface TypeRule {
  required: Field[]
  optional?: Field[]
  /**
   * Types whose quantity is the number of lines of a field. A tenant's
   * `quantity` must equal that count; the panel always gets the count.
   */
  countLinesOf?: 'comments' | 'usernames'
  /**
   * Package types: `quantity` optional (derived when absent) and always sent;
   * a panel may charge `rate` per order or per 1000 of that quantity.
   */
  package?: boolean
  /** Subscriptions: no quantity; charged per post (see estimate); `link` always sent. */
  subscription?: boolean
  /** Web Traffic: `googleKeyword` / `referringUrl` depend on `typeOfTraffic`. */
  webTraffic?: boolean
}

// The panel order types (panel-api-v2.md, "Order types for add"), keyed by
// typeKey of the canonical type. Beyond that table, what real panels need
// (section 3): `quantity` for packages and line-counted types, a `link` for
// Subscriptions; the gateway accepts them and always sends them.
const RULES: Record<string, TypeRule> = {
  default: { required: ['link', 'quantity'], optional: ['runs', 'interval'] },
  package: { required: ['link'], optional: ['quantity'], package: true },
  seo: { required: ['link', 'quantity', 'keywords'] },
  customcomments: { required: ['link', 'comments'], optional: ['quantity'], countLinesOf: 'comments' },
  customcommentspackage: { required: ['link', 'comments'], optional: ['quantity'], package: true },
  mentions: { required: ['link', 'quantity', 'usernames'] },
  mentionswithhashtags: { required: ['link', 'quantity', 'usernames', 'hashtags'] },
  mentionscustomlist: { required: ['link', 'usernames'], optional: ['quantity'], countLinesOf: 'usernames' },
  mentionshashtag: { required: ['link', 'quantity', 'hashtag'] },
  mentionsuserfollowers: { required: ['link', 'quantity', 'username'] },
  mentionsmedialikers: { required: ['link', 'quantity', 'media'] },
  commentlikes: { required: ['link', 'quantity', 'username'] },
  commentreplies: { required: ['link', 'username', 'comments'], optional: ['quantity'], countLinesOf: 'comments' },
  poll: { required: ['link', 'quantity', 'answerNumber'] },
  invitesfromgroups: { required: ['link', 'quantity', 'groups'] },
  webtraffic: { required: ['link', 'quantity', 'country', 'device', 'typeOfTraffic'], optional: ['googleKeyword', 'referringUrl'], webTraffic: true },
  subscriptions: { required: ['username', 'min', 'max', 'delay'], optional: ['link', 'posts', 'oldPosts', 'expiry'], subscription: true }
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

/** The rule of a service type, in any spelling (`Custom Comments`, `custom_comments`, `subscription`, …). */
export function ruleFor (type: string): TypeRule {
  return RULES[typeKey(canonicalType(type) ?? type)] ?? UNKNOWN_TYPE
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
  /**
   * Total units: runs × quantity for drip-feed, lines for list types, the
   * quantity sent for packages (given or derived); null for subscriptions and
   * for an unknown type without quantity.
   */
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
function listsOf (order: OrderRequest): Partial<Record<LineField, string[]>> {
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
export function prepareOrder (service: PanelService, order: OrderRequest): PreparedOrder {
  const rule = ruleFor(service.type)
  const allowed = new Set<Field>([...rule.required, ...(rule.optional ?? [])])
  checkFieldsAllowed(service, allowed, order)
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
    quantity = countedQuantity(service, rule.countLinesOf, lists[rule.countLinesOf] ?? [], order.quantity)
  } else if (quantity !== null) {
    inRange(service, quantity, 'Quantity')
  } else if (rule.package === true) {
    quantity = packageQuantity(service)
  }

  checkDripFeed(service, order)
  if (order.runs !== undefined && quantity !== null) quantity *= order.runs

  if (rule.subscription === true) checkSubscription(service, order)
  if (rule.webTraffic === true) checkWebTraffic(order)

  const fields: AddFields = { service: service.id }
  for (const field of allowed) {
    const value = lists[field as LineField]?.join('\n') ?? order[field]
    if (value === undefined) continue
    fields[PANEL_NAMES[field] ?? field] = typeof value === 'string' && field !== 'link' ? value.replace(/\r\n/g, '\n') : value
  }
  // Always sent, counted or derived when the tenant gave none: some panels refuse these orders without it (panel-api-v2.md, 3).
  if ((rule.countLinesOf !== undefined || rule.package === true) && quantity !== null) fields.quantity = quantity
  // Some panels refuse a subscription without a link; the username is the account it follows.
  if (rule.subscription === true) fields.link = order.link ?? order.username as string

  const units = rule.countLinesOf === undefined ? quantity : unitsOfList(lists[rule.countLinesOf] ?? [])
  return {
    fields,
    quantity: rule.subscription === true ? null : quantity,
    ...estimate(service, rule, order, units)
  }
}

/**
 * The quantity of a line-counted type: its non-blank lines. A tenant's own
 * `quantity` that says otherwise is refused rather than corrected, since one
 * of the two is not what the tenant meant.
 */
function countedQuantity (service: PanelService, field: 'comments' | 'usernames', list: string[], given: number | undefined): number {
  const counted = list.length
  if (given !== undefined && given !== counted) {
    throw new GatewayError('quantity_out_of_range',
      `"quantity" is ${given} but "${field}" has ${counted} non-blank ${counted === 1 ? 'line' : 'lines'}: for services of type "${service.type}" the quantity is the number of lines (leave "quantity" out to have them counted)`,
      { extra: { field: 'quantity', quantity: given, lines: counted } })
  }
  inRange(service, counted, `The number of ${field} lines`)
  return counted
}

/** A package's quantity when the tenant gives none: the service's minimum when stated and at least 1, else 1. */
function packageQuantity (service: PanelService): number {
  return service.min !== null && service.min >= 1 ? service.min : 1
}

/** Drip-feed needs both fields; a service that states it takes no drip-feed is refused here, an unstated one is the panel's to decide. */
function checkDripFeed (service: PanelService, order: OrderRequest): void {
  if (order.runs === undefined && order.interval === undefined) return
  if (service.dripfeed === false) {
    throw new GatewayError('invalid_drip_feed', `Service ${service.id} does not take drip-feed ("runs", "interval")`)
  }
  if ((order.runs === undefined) !== (order.interval === undefined)) {
    throw new GatewayError('invalid_drip_feed', 'Drip-feed needs both "runs" and "interval"')
  }
}

function checkFieldsAllowed (service: PanelService, allowed: Set<Field>, order: OrderRequest): void {
  for (const field of Object.keys(order) as Array<keyof OrderRequest>) {
    if (field === 'service' || order[field] === undefined) continue
    if (!allowed.has(field)) {
      throw new GatewayError('field_not_allowed', `Services of type "${service.type}" do not take "${field}"`, { extra: { field } })
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
 * - packages: a panel may charge the rate once per order or per 1000 of the
 *   quantity sent: the larger of rate and rate × quantity / 1000;
 * - Subscriptions: the panel places one child order per post, of between
 *   `min` and `max` units, for at most `posts` new posts plus `old_posts`
 *   existing ones: rate × max / 1000 × (posts + oldPosts). Without `posts`
 *   new posts are unlimited (an `expiry` limits time, not posts): no bound;
 * - an unknown type without quantity: no bound.
 */
function estimate (service: PanelService, rule: TypeRule, order: OrderRequest, units: number | null): ChargeBound {
  const rate = new Decimal(service.rate)
  const bounded = (charge: Decimal): ChargeBound => ({ chargeBounded: true, estimatedCharge: charge.toFixed() })
  if (rule.subscription === true) {
    if (order.posts === undefined) {
      return unbounded('Subscriptions without "posts" can be charged without limit (one charge per new post); set "posts" to place it under a budget')
    }
    return bounded(rate.times(order.max as number).dividedBy(1000).times(order.posts + (order.oldPosts ?? 0)))
  }
  if (rule.package === true) return bounded(Decimal.max(rate, rate.times(units ?? 1).dividedBy(1000)))
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

function checkSubscription (service: PanelService, order: OrderRequest): void {
  const min = order.min as number
  const max = order.max as number
  if (min > max) throw new GatewayError('quantity_out_of_range', `"min" (${min}) is larger than "max" (${max})`)
  inRange(service, min, 'min')
  inRange(service, max, 'max')
  if (!SUBSCRIPTION_DELAYS.has(order.delay as number)) {
    throw new GatewayError('validation_failed', `"delay" must be one of ${[...SUBSCRIPTION_DELAYS].join(', ')} minutes`)
  }
}

function checkWebTraffic (order: OrderRequest): void {
  if (order.typeOfTraffic === 1 && order.googleKeyword === undefined) {
    throw new GatewayError('missing_field', 'Web Traffic with typeOfTraffic 1 needs "googleKeyword"', { extra: { field: 'googleKeyword' } })
  }
  if (order.typeOfTraffic === 2 && order.referringUrl === undefined) {
    throw new GatewayError('missing_field', 'Web Traffic with typeOfTraffic 2 needs "referringUrl"', { extra: { field: 'referringUrl' } })
  }
}
