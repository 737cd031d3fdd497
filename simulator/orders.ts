import { checkAdd, type AddPlan } from './add-rules.js'
import type { ServiceType, SimService } from './catalog.js'
import { MESSAGES } from './messages.js'
import { formatMoney, money, MONEY_PLACES, round, type Amount } from './money.js'

export const ORDER_STATUSES = ['Pending', 'In progress', 'Processing', 'Completed', 'Partial', 'Canceled'] as const
export type OrderStatus = typeof ORDER_STATUSES[number]
export type RefillStatus = 'Pending' | 'In progress' | 'Completed'

/** A snapshot of an order, as `Simulator.order(id)` shows it. */
export interface SimOrder {
  id: number
  service: number
  type: ServiceType
  /** Absent for Subscriptions (they take `username`). */
  link?: string
  /** Units in total: runs × quantity for drip-feed, 1 for a package, `max` for a subscription. */
  quantity: number
  runs?: number
  interval?: number
  /** Every field the `add` call carried, except `key` and `action`. */
  fields: Record<string, string>
  /** What the order costs now (the undelivered part of a Partial/Canceled order refunded), in the book's decimals. */
  charge: string
  /** What `add` deducted. */
  initialCharge: string
  status: OrderStatus
  startCount: number
  remains: number
  createdAt: number
  /** Pinned by `setOrderStatus` (or canceled): no longer progresses by time. */
  pinned: boolean
}

export interface SimRefill {
  id: number
  order: number
  status: RefillStatus
  createdAt: number
}

export type Result<T> = { ok: true, value: T } | { ok: false, error: string }

/** Why `place` refused an order that passed its dialect's checks; each dialect words it. */
export type PlaceRefusal = 'duplicate-link' | 'funds'
export type PlaceResult = { ok: true, value: number } | { ok: false, reason: PlaceRefusal }

interface OrderRecord {
  id: number
  service: SimService
  link?: string
  quantity: number
  runs?: number
  interval?: number
  fields: Record<string, string>
  initialCharge: Amount
  refunded: Amount
  createdAt: number
  /** Set once final or pinned; until then the status follows the clock. */
  fixed?: { status: OrderStatus, remains: number, startCount: number }
  pinned: boolean
  /** start_count once the panel "starts" the order. */
  baseStartCount: number
  /** Remains a Partial order ends with. */
  partialRemains: number
}

interface RefillRecord {
  id: number
  order: number
  createdAt: number
}

export interface OrderBookOptions {
  catalog: readonly SimService[]
  balance: string
  progressMs: number
  rejectDuplicateLinks: boolean
  /** Decimals of the balance and charges, default 5. */
  moneyPlaces?: number
  /** Default 23501. */
  firstOrderId?: number
  /** Default 5001. */
  firstRefillId?: number
  now?: () => number
}

const FIRST_ORDER_ID = 23501
const FIRST_REFILL_ID = 5001
const FINAL: ReadonlySet<OrderStatus> = new Set(['Completed', 'Partial', 'Canceled'])
const REFUNDING: ReadonlySet<OrderStatus> = new Set(['Partial', 'Canceled'])
const CANCELABLE: ReadonlySet<OrderStatus> = new Set(['Pending', 'In progress'])
const REFILLABLE: ReadonlySet<OrderStatus> = new Set(['Completed', 'Partial'])

/**
 * The panel's account: catalog, balance, orders and refills. Orders move
 * Pending → In progress → Completed by the clock (one `progressMs` per step);
 * every 4th order id ends Partial instead, refunding what was not delivered.
 * Progress is computed when looked at, so there are no timers to clean up.
 */
export class OrderBook {
  readonly #services: Map<number, SimService>
  #catalogVersion = 0
  readonly #orders = new Map<number, OrderRecord>()
  /** Orders whose status still follows the clock. */
  readonly #moving = new Set<OrderRecord>()
  readonly #refills = new Map<number, RefillRecord>()
  readonly #progressMs: number
  readonly #rejectDuplicateLinks: boolean
  readonly #now: () => number
  readonly #places: number
  #balance: Amount
  #nextOrder: number
  #nextRefill: number

  constructor (options: OrderBookOptions) {
    this.#services = new Map(options.catalog.map((s) => [s.service, s]))
    this.#balance = parseBalance(options.balance)
    this.#progressMs = Math.max(0, options.progressMs)
    this.#rejectDuplicateLinks = options.rejectDuplicateLinks
    this.#now = options.now ?? Date.now
    this.#places = options.moneyPlaces ?? MONEY_PLACES
    this.#nextOrder = options.firstOrderId ?? FIRST_ORDER_ID
    this.#nextRefill = options.firstRefillId ?? FIRST_REFILL_ID
  }

  get moneyPlaces (): number {
    return this.#places
  }

  get catalog (): SimService[] {
    return [...this.#services.values()]
  }

  /** Bumped by every catalog change, so a dialect's serialised catalog is redone. */
  get catalogVersion (): number {
    return this.#catalogVersion
  }

  /** Adds a service, or changes the fields given of one. */
  setService (change: Partial<SimService> & { service: number }): SimService {
    const current = this.#services.get(change.service)
    const next = current === undefined
      ? { name: `Service ${change.service}`, type: 'Default' as const, category: 'Other', rate: '1.00', min: 10, max: 10000, refill: false, cancel: false, ...change }
      : { ...current, ...change }
    this.#services.set(next.service, next)
    this.#catalogVersion++
    return next
  }

  removeService (id: number): boolean {
    const removed = this.#services.delete(id)
    if (removed) this.#catalogVersion++
    return removed
  }

  balance (): Amount {
    this.#settle()
    return this.#balance
  }

  setBalance (balance: string): void {
    this.#settle()
    this.#balance = parseBalance(balance)
  }

  /** The service a form's `service` field names, if any. */
  service (text: string | undefined): SimService | undefined {
    const trimmed = (text ?? '').trim()
    return /^\d{1,15}$/.test(trimmed) ? this.#services.get(Number(trimmed)) : undefined
  }

  /** The standard dialect's `add`: its checks, then `place`. */
  add (fields: Record<string, string>): Result<number> {
    const service = this.service(fields.service)
    if (service === undefined) return { ok: false, error: MESSAGES.incorrectService }
    const check = checkAdd(service, fields)
    if (!check.ok) return check
    const placed = this.place(service, check.plan, fields)
    if (placed.ok) return placed
    return { ok: false, error: placed.reason === 'funds' ? MESSAGES.notEnoughFunds : MESSAGES.duplicateLink }
  }

  /** Places an order a dialect's checks accepted: the duplicate-link and balance checks, then the charge (rounded to the book's decimals). */
  place (service: SimService, plan: AddPlan, fields: Record<string, string>): PlaceResult {
    const charge = round(plan.charge, this.#places)
    this.#settle()
    if (this.#rejectDuplicateLinks && plan.link !== undefined && this.#hasActive(service.service, plan.link)) {
      return { ok: false, reason: 'duplicate-link' }
    }
    if (charge.greaterThan(this.#balance)) return { ok: false, reason: 'funds' }
    this.#balance = this.#balance.minus(charge)
    const id = this.#nextOrder++
    const { key: _key, action: _action, ...rest } = fields
    const record: OrderRecord = {
      id,
      service,
      quantity: plan.quantity,
      fields: rest,
      initialCharge: charge,
      refunded: money(0),
      createdAt: this.#now(),
      pinned: false,
      baseStartCount: 100 + ((id * 7919) % 9900),
      partialRemains: id % 4 === 0 && plan.quantity >= 10 ? Math.max(1, Math.floor(plan.quantity * (5 + (id % 20)) / 100)) : 0
    }
    if (plan.link !== undefined) record.link = plan.link
    if (plan.runs !== undefined) record.runs = plan.runs
    if (plan.interval !== undefined) record.interval = plan.interval
    this.#orders.set(id, record)
    this.#moving.add(record)
    return { ok: true, value: id }
  }

  order (id: number): SimOrder | undefined {
    const record = this.#orders.get(id)
    if (record === undefined) return undefined
    this.#settle()
    return this.#snapshot(record)
  }

  /** Pins an order's status; Partial/Canceled refund the undelivered part (`remains`). */
  setOrderStatus (id: number, status: OrderStatus, fields: { remains?: number, startCount?: number } = {}): SimOrder {
    const record = this.#orders.get(id)
    if (record === undefined) throw new RangeError(`no order ${id} in the simulator`)
    if (!ORDER_STATUSES.includes(status)) throw new RangeError(`not an order status: ${String(status)}`)
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined && !Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer`)
    }
    this.#settle()
    const current = this.#state(record)
    let remains: number
    switch (status) {
      case 'Pending': remains = record.quantity; break
      case 'Completed': remains = 0; break
      case 'Partial': remains = record.partialRemains > 0 ? record.partialRemains : Math.max(1, Math.floor(record.quantity / 10)); break
      case 'Canceled': remains = current.remains; break
      default: remains = FINAL.has(current.status) ? Math.ceil(record.quantity / 2) : current.remains
    }
    const startCount = fields.startCount ?? (status === 'Pending' ? 0 : record.baseStartCount)
    record.pinned = true
    this.#fix(record, { status, remains: fields.remains ?? remains, startCount })
    return this.#snapshot(record)
  }

  status (id: number): Result<SimOrder> {
    const record = this.#orders.get(id)
    if (record === undefined) return { ok: false, error: MESSAGES.incorrectOrder }
    this.#settle()
    return { ok: true, value: this.#snapshot(record) }
  }

  refill (id: number): Result<number> {
    const record = this.#orders.get(id)
    if (record === undefined) return { ok: false, error: MESSAGES.incorrectOrder }
    if (!record.service.refill) return { ok: false, error: MESSAGES.refillDisabled }
    this.#settle()
    if (!REFILLABLE.has(this.#state(record).status)) return { ok: false, error: MESSAGES.notCompleted }
    const refill: RefillRecord = { id: this.#nextRefill++, order: id, createdAt: this.#now() }
    this.#refills.set(refill.id, refill)
    return { ok: true, value: refill.id }
  }

  refillStatus (id: number): Result<SimRefill> {
    const refill = this.#refills.get(id)
    if (refill === undefined) return { ok: false, error: MESSAGES.refillNotFound }
    const step = this.#step(refill.createdAt)
    const status: RefillStatus = step === 0 ? 'Pending' : step === 1 ? 'In progress' : 'Completed'
    return { ok: true, value: { ...refill, status } }
  }

  cancel (id: number): Result<true> {
    const record = this.#orders.get(id)
    if (record === undefined) return { ok: false, error: MESSAGES.incorrectOrder }
    if (!record.service.cancel) return { ok: false, error: MESSAGES.cancelDisabled }
    this.#settle()
    const current = this.#state(record)
    if (!CANCELABLE.has(current.status)) return { ok: false, error: MESSAGES.cannotCancel }
    record.pinned = true
    this.#fix(record, { ...current, status: 'Canceled' })
    return { ok: true, value: true }
  }

  #hasActive (service: number, link: string): boolean {
    for (const record of this.#orders.values()) {
      if (record.service.service === service && record.link === link && !FINAL.has(this.#state(record).status)) return true
    }
    return false
  }

  /** 0 while Pending, 1 while In progress, 2 once done. */
  #step (createdAt: number): number {
    if (this.#progressMs === 0) return 2
    return Math.min(2, Math.floor((this.#now() - createdAt) / this.#progressMs))
  }

  /** Status, remains and start count now, by the clock unless fixed. */
  #state (record: OrderRecord): { status: OrderStatus, remains: number, startCount: number } {
    if (record.fixed !== undefined) return record.fixed
    const elapsed = this.#now() - record.createdAt
    const step = this.#step(record.createdAt)
    if (step === 0) return { status: 'Pending', remains: record.quantity, startCount: 0 }
    if (step === 1) {
      const done = Math.min(1, (elapsed - this.#progressMs) / this.#progressMs)
      const toDeliver = record.quantity - record.partialRemains
      return { status: 'In progress', remains: record.quantity - Math.floor(toDeliver * done), startCount: record.baseStartCount }
    }
    return record.partialRemains > 0
      ? { status: 'Partial', remains: record.partialRemains, startCount: record.baseStartCount }
      : { status: 'Completed', remains: 0, startCount: record.baseStartCount }
  }

  /** Fixes orders that reached a final status by the clock, so their refunds reach the balance. */
  #settle (): void {
    for (const record of this.#moving) {
      const state = this.#state(record)
      if (FINAL.has(state.status)) this.#fix(record, state)
    }
  }

  #fix (record: OrderRecord, state: { status: OrderStatus, remains: number, startCount: number }): void {
    record.fixed = state
    this.#moving.delete(record)
    let refund = money(0)
    if (REFUNDING.has(state.status) && record.quantity > 0) {
      const undelivered = Math.min(Math.max(state.remains, 0), record.quantity)
      refund = round(record.initialCharge.times(undelivered).dividedBy(record.quantity), this.#places)
    }
    this.#balance = this.#balance.plus(refund.minus(record.refunded))
    record.refunded = refund
  }

  #snapshot (record: OrderRecord): SimOrder {
    const state = this.#state(record)
    const order: SimOrder = {
      id: record.id,
      service: record.service.service,
      type: record.service.type,
      quantity: record.quantity,
      fields: { ...record.fields },
      charge: formatMoney(record.initialCharge.minus(record.refunded), this.#places),
      initialCharge: formatMoney(record.initialCharge, this.#places),
      status: state.status,
      startCount: state.startCount,
      remains: state.remains,
      createdAt: record.createdAt,
      pinned: record.pinned
    }
    if (record.link !== undefined) order.link = record.link
    if (record.runs !== undefined) order.runs = record.runs
    if (record.interval !== undefined) order.interval = record.interval
    return order
  }
}

function parseBalance (balance: string): Amount {
  const text = String(balance).trim()
  if (!/^-?\d{1,15}(\.\d{1,10})?$/.test(text)) throw new RangeError(`not a balance: ${String(balance)}`)
  return money(text)
}
