import { MESSAGES } from './messages.js'
import { formatMoney } from './money.js'
import type { OrderBook, Result, SimOrder } from './orders.js'
import { Render, type Quirks } from './quirks.js'

export const CURRENCY = 'USD'
/** Panels take at most this many ids in one multi call. */
export const MAX_IDS = 100

type Fields = Readonly<Record<string, string>>

const error = (message: string): { error: string } => ({ error: message })

/** JSON text written by hand: keeps the keys of an object in the given order. */
class RawJson {
  constructor (readonly text: string) {}
}

/** An object's JSON in insertion order; JSON.stringify would put integer-like keys first, sorted, where PHP keeps the order asked. */
function orderedObject (entries: Array<[string, unknown]>): RawJson {
  return new RawJson(`{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`)
}

/** One token of an id list: the id, or the raw token a panel cannot read. */
type IdToken = { id: number, raw: string } | { id: undefined, raw: string }

/** `"1, 2,,3"` → tokens in order, duplicates dropped; undefined when empty or over the limit. */
function idList (text: string | undefined): IdToken[] | undefined {
  const raw = [...new Set((text ?? '').split(',').map((token) => token.trim()).filter((token) => token !== ''))]
  if (raw.length === 0 || raw.length > MAX_IDS) return undefined
  return raw.map((token) => /^\d{1,15}$/.test(token) ? { id: Number(token), raw: token } : { id: undefined, raw: token })
}

function oneId (text: string | undefined): number | undefined {
  const token = (text ?? '').trim()
  return /^\d{1,15}$/.test(token) ? Number(token) : undefined
}

function given (text: string | undefined): boolean {
  return text !== undefined && text.trim() !== ''
}

/**
 * The panel's actions (after the key was accepted): each answers the JSON
 * value a panel sends. Errors are values too (`{"error": …}`, HTTP 200).
 */
export class Protocol {
  #render: Render
  #servicesBody: string | undefined
  #servicesVersion = -1

  constructor (private readonly book: OrderBook, quirks: Quirks = {}) {
    this.#render = new Render(quirks)
  }

  setQuirks (quirks: Quirks): void {
    this.#render = new Render(quirks)
    this.#servicesBody = undefined
  }

  /** The JSON text of the answer to `action`. */
  answer (action: string, fields: Fields): string {
    if (action === 'services') {
      // Serialised once: benchmarks ask for thousands of services many times.
      if (this.#servicesVersion !== this.book.catalogVersion) this.#servicesBody = undefined
      this.#servicesVersion = this.book.catalogVersion
      this.#servicesBody ??= JSON.stringify(this.#render.services(this.book.catalog))
      return this.#servicesBody
    }
    const value = this.#value(action, fields)
    return value instanceof RawJson ? value.text : JSON.stringify(value)
  }

  #value (action: string, fields: Fields): unknown {
    switch (action) {
      case 'add': return this.#add(fields)
      case 'status': return given(fields.orders) ? this.#statusMany(fields.orders) : this.#status(fields.order)
      case 'refill': return given(fields.orders) ? this.#refillMany(fields.orders) : this.#refill(fields.order)
      case 'refill_status': return given(fields.refills) ? this.#refillStatusMany(fields.refills) : this.#refillStatus(fields.refill)
      case 'cancel': return this.#cancel(fields.orders)
      case 'balance': return { balance: this.#render.money(formatMoney(this.book.balance())), currency: CURRENCY }
      default: return error(MESSAGES.incorrectRequest)
    }
  }

  #add (fields: Fields): unknown {
    const placed = this.book.add({ ...fields })
    return placed.ok ? { order: this.#render.id(placed.value) } : error(placed.error)
  }

  #orderStatus (result: Result<SimOrder>): unknown {
    if (!result.ok) return error(result.error)
    const order = result.value
    const answer: Record<string, string> = {
      charge: this.#render.money(order.charge),
      start_count: String(order.startCount),
      status: this.#render.status(order.status),
      remains: String(order.remains),
      currency: CURRENCY
    }
    if (order.runs !== undefined) answer.runs = String(order.runs)
    return answer
  }

  #status (text: string | undefined): unknown {
    const id = oneId(text)
    return this.#orderStatus(id === undefined ? { ok: false, error: MESSAGES.incorrectOrder } : this.book.status(id))
  }

  #statusMany (text: string | undefined): unknown {
    const ids = idList(text)
    if (ids === undefined) return error(MESSAGES.incorrectRequest)
    return orderedObject(ids.map((token) => [
      token.raw,
      token.id === undefined ? error(MESSAGES.incorrectOrder) : this.#orderStatus(this.book.status(token.id))
    ]))
  }

  #refill (text: string | undefined): unknown {
    const id = oneId(text)
    const result = id === undefined ? { ok: false as const, error: MESSAGES.incorrectOrder } : this.book.refill(id)
    // The single form gives the refill id as a string, the multi form as a number.
    return result.ok ? { refill: String(result.value) } : error(result.error)
  }

  #refillMany (text: string | undefined): unknown {
    const ids = idList(text)
    if (ids === undefined) return error(MESSAGES.incorrectRequest)
    return ids.map((token) => {
      const result = token.id === undefined ? { ok: false as const, error: MESSAGES.incorrectOrder } : this.book.refill(token.id)
      return { order: this.#tokenId(token), refill: result.ok ? this.#render.id(result.value) : error(result.error) }
    })
  }

  #refillStatus (text: string | undefined): unknown {
    const id = oneId(text)
    const result = id === undefined ? { ok: false as const, error: MESSAGES.refillNotFound } : this.book.refillStatus(id)
    return result.ok ? { status: this.#render.status(result.value.status) } : error(result.error)
  }

  #refillStatusMany (text: string | undefined): unknown {
    const ids = idList(text)
    if (ids === undefined) return error(MESSAGES.incorrectRequest)
    return ids.map((token) => {
      const result = token.id === undefined ? { ok: false as const, error: MESSAGES.refillNotFound } : this.book.refillStatus(token.id)
      return { refill: this.#tokenId(token), status: result.ok ? this.#render.status(result.value.status) : error(result.error) }
    })
  }

  #cancel (text: string | undefined): unknown {
    const ids = idList(text)
    if (ids === undefined) return error(MESSAGES.incorrectRequest)
    return ids.map((token) => {
      const result = token.id === undefined ? { ok: false as const, error: MESSAGES.incorrectOrder } : this.book.cancel(token.id)
      return { order: this.#tokenId(token), cancel: result.ok ? 1 : error(result.error) }
    })
  }

  #tokenId (token: IdToken): number | string {
    return token.id === undefined ? token.raw : this.#render.id(token.id)
  }
}
