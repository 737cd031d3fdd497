import type { SimService } from './catalog.js'
import type { OrderStatus, RefillStatus } from './orders.js'

/** Variants real panels show; all off by default. */
export interface Quirks {
  /** Bare array (the norm), `{"services":[…]}`, `{"data":[…]}`, or an object keyed by id. */
  servicesShape?: 'array' | 'services' | 'data' | 'keyed'
  /** `"service":"1"`, `"order":"23501"`, `"refill":"5001"` in lists. */
  stringIds?: boolean
  /** rate `"$0.90"`, charge `"$0.27000"`, balance `"$100.84292"`: the same digits behind a `$`. */
  dollarMoney?: boolean
  /** min/max `"10,000"`. */
  thousands?: boolean
  /** refill/cancel as `"true"`/`"false"` (odd service ids) or `"1"`/`"0"` (even ids). */
  stringFlags?: boolean
  /** `IN_PROGRESS`, `COMPLETED`, `PARTIALLY`, … */
  upperStatus?: boolean
}

const UPPER: Record<OrderStatus | RefillStatus, string> = {
  Pending: 'PENDING',
  'In progress': 'IN_PROGRESS',
  Processing: 'PROCESSING',
  Completed: 'COMPLETED',
  Partial: 'PARTIALLY',
  Canceled: 'CANCELED'
}

/** Renders protocol values the way the configured panel variant writes them. */
export class Render {
  constructor (private readonly quirks: Quirks) {}

  id (id: number): number | string {
    return this.quirks.stringIds === true ? String(id) : id
  }

  money (amount: string): string {
    return this.quirks.dollarMoney === true ? `$${amount}` : amount
  }

  count (n: number): string {
    return this.quirks.thousands === true ? n.toLocaleString('en-US') : String(n)
  }

  flag (value: boolean, serviceId: number): boolean | string {
    if (this.quirks.stringFlags !== true) return value
    if (serviceId % 2 === 1) return value ? 'true' : 'false'
    return value ? '1' : '0'
  }

  status (status: OrderStatus | RefillStatus): string {
    return this.quirks.upperStatus === true ? UPPER[status] : status
  }

  service (s: SimService): Record<string, unknown> {
    return {
      service: this.id(s.service),
      name: s.name,
      type: s.type,
      category: s.category,
      rate: this.money(s.rate),
      min: this.count(s.min),
      max: this.count(s.max),
      refill: this.flag(s.refill, s.service),
      cancel: this.flag(s.cancel, s.service)
    }
  }

  services (catalog: readonly SimService[]): unknown {
    const items = catalog.map((s) => this.service(s))
    switch (this.quirks.servicesShape) {
      case 'services': return { services: items }
      case 'data': return { data: items }
      case 'keyed': return Object.fromEntries(catalog.map((s, i) => [String(s.service), items[i]]))
      default: return items
    }
  }
}
