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
  /** Subscriptions: no quantity, cost unknown until posts happen. */
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

export interface PreparedOrder {
  fields: AddFields
  /** Total units: runs × quantity for drip-feed, lines for list types; null for packages and subscriptions. */
  quantity: number | null
  estimatedCharge: string | null
}

function lines (text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
}

function inRange (service: PanelService, value: number, what: string): void {
  if (value < service.min || value > service.max) {
    throw new GatewayError('quantity_out_of_range',
      `${what} ${value} is outside this service's range ${service.min}–${service.max}`,
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
  for (const field of rule.required) {
    if (order[field] === undefined) {
      throw new GatewayError('missing_field', `Services of type "${service.type}" need "${field}"`, { extra: { field } })
    }
  }

  let quantity: number | null = order.quantity ?? null
  if (rule.countLinesOf !== undefined) {
    quantity = lines(order[rule.countLinesOf] ?? '').length
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
    const value = order[field]
    if (value === undefined) continue
    if (field === 'quantity' && rule.countLinesOf !== undefined) continue
    fields[PANEL_NAMES[field] ?? field] = typeof value === 'string' && field !== 'link' ? value.replace(/\r\n/g, '\n') : value
  }

  return { fields, quantity: rule.package === true || rule.subscription === true ? null : quantity, estimatedCharge: estimate(service, rule, quantity) }
}

function estimate (service: PanelService, rule: TypeRule, quantity: number | null): string | null {
  if (rule.subscription === true) return null
  if (rule.package === true) return new Decimal(service.rate).toFixed()
  if (quantity === null) return null
  return new Decimal(service.rate).times(quantity).dividedBy(1000).toFixed()
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
