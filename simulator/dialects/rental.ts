import { integer } from '../add-rules.js'
import { serviceDescription, type SimService } from '../catalog.js'
import type { Reply } from '../http-util.js'
import { RENTAL_ERRORS as E } from '../messages.js'
import type { OrderStatus, RefillStatus, SimOrder } from '../orders.js'
import type { Fields, PanelCall, PanelDeps } from './panel.js'
import { PhpPanel } from './php-panel.js'
import { PhpFloat, type PhpValue } from './php-json.js'
import { checkRentalAdd } from './rental-add.js'

const CURRENCY = 'USD'

/** `ucfirst()` of the status column. */
const STATUS: Record<OrderStatus | RefillStatus, string> = {
  Pending: 'Pending',
  'In progress': 'Inprogress',
  Processing: 'Processing',
  Completed: 'Completed',
  Partial: 'Partial',
  Canceled: 'Canceled'
}

/** Drip-feed and subscription orders show their own status column: active until they end. */
function runStatus (status: OrderStatus): string {
  if (status === 'Canceled') return 'Canceled'
  return status === 'Completed' || status === 'Partial' ? 'Completed' : 'Active'
}

// PDO gives the script native numbers; `refill` is a varchar "true"/"false".
function service (s: SimService): PhpValue {
  return {
    rate: new PhpFloat(Number(s.rate)),
    service: s.service,
    category: s.category,
    name: s.name,
    type: s.type,
    min: s.min,
    max: s.max,
    desc: serviceDescription(s),
    refill: s.refill ? 'true' : 'false'
  }
}

function orderStatus (order: SimOrder): PhpValue {
  if (order.type === 'Subscriptions') return { status: runStatus(order.status), posts: integer(order.fields.posts) }
  if (order.runs !== undefined) return { status: runStatus(order.status), runs: order.runs }
  return {
    charge: new PhpFloat(Number(order.charge)),
    start_count: order.startCount,
    status: STATUS[order.status],
    remains: order.remains,
    currency: CURRENCY
  }
}

function oneId (text: string | undefined): number | undefined {
  const token = (text ?? '').trim()
  return /^\d{1,15}$/.test(token) ? Number(token) : undefined
}

/**
 * A "rental panel" PHP script (PDO): `/api/v2`, every body two spaces then
 * compact JSON as text/html, errors with numeric codes, single-id forms
 * only, no cancel; an action it does not know echoes `null`.
 */
export class RentalPanel extends PhpPanel {
  readonly dialect = 'rental'
  readonly apiPath = '/api/v2'
  #servicesJson: string | undefined
  #servicesVersion = -1

  constructor (deps: PanelDeps) {
    super(deps, false)
  }

  // `action` and `key` fall back to `$_GET`; every other field is read from `$_POST` only.
  getFields (query: URLSearchParams): Record<string, string> {
    const fields: Record<string, string> = {}
    for (const name of ['key', 'action']) {
      const value = query.get(name)
      if (value !== null) fields[name] = value
    }
    return fields
  }

  call ({ fields, json }: PanelCall): Reply {
    const form: Fields = json ? {} : fields
    if ((form.action ?? '') === '' || (form.key ?? '') === '') return this.echo(E.missingData)
    if (form.key !== this.deps.key) return this.echo(E.invalidKey)
    if (!this.accountActive) return this.echo(E.inactive)
    const book = this.deps.book
    switch (form.action) {
      case 'balance': return this.echo({ balance: new PhpFloat(Number(book.balance().toFixed(book.moneyPlaces))), currency: CURRENCY })
      case 'services':
        if (this.#servicesVersion !== book.catalogVersion) this.#servicesJson = undefined
        this.#servicesVersion = book.catalogVersion
        this.#servicesJson ??= this.encode(book.catalog.map(service))
        return this.text(this.#servicesJson)
      case 'add': return this.#add(form)
      case 'status': {
        const order = this.#order(form.order)
        return this.echo(order === undefined ? E.orderNotFound : orderStatus(order))
      }
      case 'refill': return this.#refill(form)
      case 'refill_status': {
        const id = oneId(form.refill)
        const refill = id === undefined ? undefined : book.refillStatus(id)
        return this.echo(refill?.ok === true ? { status: STATUS[refill.value.status] } : E.orderNotFound)
      }
      default: return this.echo(null)
    }
  }

  protected wrongKey (): PhpValue {
    return E.invalidKey
  }

  protected preamble (): string {
    return '  '
  }

  #add (fields: Fields): Reply {
    const check = checkRentalAdd(this.deps.book, fields)
    if (!check.ok) return this.echo(check.answer)
    const placed = this.deps.book.place(check.service, check.plan, fields)
    if (!placed.ok) return this.echo(placed.reason === 'funds' ? E.insufficientBalance : E.duplicateLink)
    return this.echo({ status: 100, order: String(placed.value) })
  }

  /** `{"refill":"0"}` when nothing was done: no refill on the service, the order not completed. */
  #refill (fields: Fields): Reply {
    const order = this.#order(fields.order)
    if (order === undefined) return this.echo(E.orderNotFound)
    const refill = this.deps.book.refill(order.id)
    return this.echo({ refill: refill.ok ? String(refill.value) : '0' })
  }

  #order (text: string | undefined): SimOrder | undefined {
    const id = oneId(text)
    return id === undefined ? undefined : this.deps.book.order(id)
  }
}
