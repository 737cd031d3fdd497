import { serviceDescription, type SimService } from '../catalog.js'
import type { Fault } from '../faults.js'
import { HTML, type Reply } from '../http-util.js'
import { SMARTPANEL_MESSAGES as M } from '../messages.js'
import { formatMoney, money } from '../money.js'
import type { OrderStatus, SimOrder } from '../orders.js'
import { CI_FORBIDDEN_PAGE, MAINTENANCE_PAGE, PHP_NOTICES } from '../pages.js'
import type { Fields, PanelCall, PanelDeps } from './panel.js'
import { PhpPanel } from './php-panel.js'
import { PhpObject, type PhpValue } from './php-json.js'
import { checkSmartPanelAdd, dripFeedOf, maxOf } from './smartpanel-add.js'

const CURRENCY = 'USD'
const PLACES = 4

const CATEGORY_EMOJI: Array<[RegExp, string]> = [
  [/comment/i, '💬'],
  [/follower|member|subscriber/i, '👥'],
  [/like/i, '❤️'],
  [/view|play|traffic/i, '👀'],
  [/mention/i, '📣'],
  [/poll/i, '📊']
]

function category (name: string): string {
  return `${CATEGORY_EMOJI.find(([pattern]) => pattern.test(name))?.[1] ?? '⭐'} ${name}`
}

function service (s: SimService): PhpValue {
  const max = maxOf(s)
  return {
    service: String(s.service),
    name: s.name,
    category: category(s.category),
    rate: money(s.rate).toFixed(PLACES),
    min: String(s.min),
    max: max === null ? null : String(max),
    type: s.type.toLowerCase().replaceAll(' ', '_'),
    desc: serviceDescription(s),
    dripfeed: dripFeedOf(s) ? '1' : '0'
  }
}

/** A subscription's own status: Active until it ends. */
function subscriptionStatus (status: OrderStatus): string {
  if (status === 'Canceled') return 'Canceled'
  return status === 'Completed' || status === 'Partial' ? 'Completed' : 'Active'
}

function orderStatus (order: SimOrder): PhpValue {
  if (order.type === 'Subscriptions') {
    return { status: subscriptionStatus(order.status), expiry: true, posts: order.fields.posts ?? null, orders: [] }
  }
  // Drip-feed orders are created "inprogress".
  if (order.runs !== undefined) return { status: order.status === 'Pending' ? 'In progress' : order.status, runs: String(order.runs), orders: [] }
  const pending = order.status === 'Pending'
  return {
    order: String(order.id),
    status: order.status,
    charge: order.charge,
    start_count: pending ? null : String(order.startCount),
    remains: pending ? '0' : String(order.remains),
    currency: CURRENCY
  }
}

function idTokens (text: string): string[] {
  return [...new Set(text.split(',').map((token) => token.trim()).filter((token) => token !== ''))]
}

/**
 * SmartPanel, a CodeIgniter script: `/api/v1`, every body a newline then
 * pretty-printed JSON as text/html, success wrapped in `"status":"success"`,
 * four decimals, no refill/cancel/refill_status.
 */
export class SmartPanel extends PhpPanel {
  readonly dialect = 'smartpanel'
  readonly apiPath = '/api/v1'
  #phpNotices: boolean
  #servicesJson: string | undefined

  constructor (deps: PanelDeps) {
    super(deps, true)
    this.#phpNotices = deps.phpNotices ?? false
  }

  // Its controller reads `$_POST` only: a GET carries no key.
  getFields (): Record<string, string> {
    return {}
  }

  call ({ fields, json }: PanelCall): Reply {
    const form: Fields = json ? {} : fields
    if (!this.keyAccepted(form.key)) return this.echo(this.wrongKey())
    switch (form.action) {
      case 'services': return this.#services()
      case 'add': return this.#add(form)
      case 'status': return this.#status(form)
      case 'balance': return this.echo({ status: 'success', balance: formatMoney(this.deps.book.balance(), PLACES), currency: CURRENCY })
      default: return this.echo({ error: M.invalidAction })
    }
  }

  protected wrongKey (): PhpValue {
    return { error: M.disabledKey }
  }

  protected preamble (): string {
    return this.#phpNotices ? `\n${PHP_NOTICES}` : '\n'
  }

  override fault (fault: Fault): Reply | undefined {
    // Its database down, its maintenance mode.
    if (fault === 'server-error') return { status: 500, contentType: HTML, body: '\n' }
    if (fault === 'redirect') return { status: 303, contentType: HTML, body: '\n', headers: { location: '/maintenance' } }
    return super.fault(fault)
  }

  override page (method: string, path: string): Reply | undefined {
    if (method === 'POST' && (path === '/api/v2' || path === '/api/v2/')) return { status: 403, contentType: HTML, body: `\n${CI_FORBIDDEN_PAGE}` }
    if (path === '/maintenance' && (method === 'GET' || method === 'HEAD')) return { status: 200, contentType: HTML, body: `\n${MAINTENANCE_PAGE}` }
    return undefined
  }

  override setPhpNotices (on: boolean): void {
    this.#phpNotices = on
  }

  #services (): Reply {
    const catalog = this.deps.book.catalog
    if (catalog.length === 0) return this.echo({ status: 'success', data: 'Empty Data' })
    // Encoded once: benchmarks ask for thousands of services many times.
    this.#servicesJson ??= this.encode(catalog.map(service))
    return this.text(this.#servicesJson)
  }

  #add (fields: Fields): Reply {
    const check = checkSmartPanelAdd(this.deps.book, fields)
    if (!check.ok) return this.echo(check.answer)
    if (this.deps.book.balance().isZero()) return this.echo({ error: M.notEnoughFunds })
    const placed = this.deps.book.place(check.service, check.plan, fields)
    if (!placed.ok) return this.echo({ error: placed.reason === 'funds' ? M.notEnoughFunds : M.duplicateLink })
    // A charge that rounds to 0.0000 leaves the balance row unchanged; the script answers only when the update changed a row.
    if (money(this.deps.book.order(placed.value)?.charge ?? '0').isZero()) return this.text('')
    return this.echo({ status: 'success', order: placed.value })
  }

  #status (fields: Fields): Reply {
    const one = fields.order ?? ''
    if (one !== '') return this.echo(this.#one(one))
    const many = fields.orders ?? ''
    if (many !== '') {
      return this.echo(new PhpObject(idTokens(many).map((token) => {
        const order = this.#order(token)
        return [token, order === undefined ? M.incorrectOrder : orderStatus(order)]
      })))
    }
    // Neither field: the controller falls through without echoing.
    return this.text('')
  }

  #one (text: string): PhpValue {
    const order = this.#order(text.trim())
    return order === undefined ? { error: M.incorrectOrder } : orderStatus(order)
  }

  #order (token: string): SimOrder | undefined {
    return /^\d{1,15}$/.test(token) ? this.deps.book.order(Number(token)) : undefined
  }
}
