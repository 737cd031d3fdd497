import { GatewayError } from '../errors.js'
import { panelError } from './panel-errors.js'
import { isRecord, own, toBoolean, toCurrency, toDecimalString, toFlag, toId, toInteger, toText, type Json } from './scalars.js'
import { canonicalType } from './service-types.js'
import type { ItemResult, PanelBalance, PanelOrderStatus, PanelService } from './types.js'

export { isRecord, toBoolean, toDecimalString, toId, toInteger } from './scalars.js'

// Pure functions from panel JSON (already parsed) to the types of types.ts.
// Whatever the input, they return or throw a GatewayError, nothing else.

type Secrets = readonly string[]

function invalid (what: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `The panel's ${what} answer has an unexpected shape`)
}

function guard<A extends unknown[], R> (what: string, fn: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args)
    } catch (err) {
      if (err instanceof GatewayError) throw err
      // A bug or a hostile value (stack depth, getters): never let a TypeError out.
      throw invalid(what)
    }
  }
}

// ---- errors --------------------------------------------------------------

/** Whether a value carries a panel error: `error` set to a message, `true` or an object (not `false`/`null`/`""`). */
function carriesError (value: unknown): value is Json {
  if (!isRecord(value) || !Object.hasOwn(value, 'error')) return false
  const error = value.error
  if (typeof error === 'string') return error.trim() !== ''
  if (typeof error === 'number') return error !== 0
  if (error === true) return true
  if (Array.isArray(error)) return error.length > 0
  return isRecord(error) && Object.keys(error).length > 0
}

/** The mapped error when the body as a whole is a panel error (`{"error": …}`), else undefined. */
export function panelErrorOf (body: unknown, secrets: Secrets = []): GatewayError | undefined {
  try {
    return carriesError(body) ? panelError(body.error, secrets) : undefined
  } catch {
    return undefined
  }
}

function throwIfPanelError (body: unknown, secrets: Secrets): void {
  const error = panelErrorOf(body, secrets)
  if (error !== undefined) throw error
}

/** A member that is either a value or `{"error": …}` (multi answers put item errors there). */
function nestedError (value: unknown, secrets: Secrets): GatewayError | undefined {
  return carriesError(value) ? panelError(value.error, secrets) : undefined
}

// ---- services ------------------------------------------------------------

type Entry = [key: string | undefined, item: unknown]

function catalogEntries (body: unknown, depth = 0): Entry[] | undefined {
  if (Array.isArray(body)) return body.map((item): Entry => [undefined, item])
  if (!isRecord(body) || depth > 2) return undefined
  for (const name of ['services', 'data']) {
    const inner = own(body, name)
    if (inner !== undefined) {
      const entries = catalogEntries(inner, depth + 1)
      if (entries !== undefined) return entries
    }
  }
  // An object keyed by id: {"1": {…}, "2": {…}}.
  const entries = Object.entries(body)
  const keyed = entries.some(([key, item]) => isRecord(item) && (/^\s*\d+\s*$/.test(key) || Object.hasOwn(item, 'service')))
  return keyed ? entries : undefined
}

function parseService (key: string | undefined, item: unknown): PanelService | undefined {
  if (!isRecord(item)) return undefined
  const id = toId(own(item, 'service')) ?? toId(own(item, 'id')) ?? (key === undefined ? null : toId(key))
  const name = toText(own(item, 'name'))
  const rate = toDecimalString(own(item, 'rate') ?? own(item, 'price'))
  const min = toInteger(own(item, 'min'))
  const max = toInteger(own(item, 'max'))
  if (id === null || name === null || rate === null || rate.startsWith('-') || min === null || max === null || min < 0 || max < 0) {
    return undefined
  }
  const panelType = toText(own(item, 'type'), 200) ?? 'Default'
  const service: PanelService = {
    id,
    name,
    type: canonicalType(panelType) ?? panelType,
    panelType,
    category: toText(own(item, 'category'), 500) ?? 'Uncategorised',
    rate,
    min,
    max,
    refill: toFlag(own(item, 'refill')),
    cancel: toFlag(own(item, 'cancel')),
    dripfeed: toFlag(own(item, 'dripfeed'))
  }
  const description = toText(own(item, 'description') ?? own(item, 'desc'), 10_000)
  if (description !== null) service.description = description
  return service
}

/**
 * The catalog from any of the shapes panels use: a bare array, `{services: […]}`,
 * `{data: […]}` or an object keyed by id. Malformed entries are skipped; a body
 * that is no catalog at all (or whose entries are all unreadable) throws.
 */
export const normaliseServices = guard('services', (body: unknown, secrets: Secrets = []): PanelService[] => {
  throwIfPanelError(body, secrets)
  const entries = catalogEntries(body)
  if (entries === undefined) throw new GatewayError('upstream_invalid_response', "The panel's services answer is not a catalog")
  const seen = new Set<number>()
  const services: PanelService[] = []
  for (const [key, item] of entries) {
    const service = parseService(key, item)
    if (service === undefined || seen.has(service.id)) continue
    seen.add(service.id)
    services.push(service)
  }
  if (entries.length > 0 && services.length === 0) {
    // Replacing a good cached catalog with an empty one would be worse than failing.
    throw new GatewayError('upstream_invalid_response', `None of the panel's ${entries.length} catalog entries could be read`)
  }
  return services
})

// ---- orders --------------------------------------------------------------

/** `add` → the new order id. */
export const normaliseAdd = guard('add', (body: unknown, secrets: Secrets = []): { order: number } => {
  throwIfPanelError(body, secrets)
  if (!isRecord(body)) throw invalid('add')
  const order = own(body, 'order')
  const error = nestedError(order, secrets)
  if (error !== undefined) throw error
  const id = toId(order)
  if (id === null) throw invalid('add')
  return { order: id }
})

function toIdList (value: unknown): number[] | undefined {
  const list = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(list)) return undefined
  const ids: number[] = []
  for (const item of list.slice(0, 10_000)) {
    const id = toId(item)
    if (id !== null) ids.push(id)
  }
  return ids
}

function parseOrderStatus (item: unknown): PanelOrderStatus | undefined {
  if (!isRecord(item)) return undefined
  const status = own(item, 'status')
  if (typeof status !== 'string' || status.trim() === '') return undefined
  const result: PanelOrderStatus = {
    charge: toDecimalString(own(item, 'charge')),
    startCount: toInteger(own(item, 'start_count') ?? own(item, 'startCount')),
    status: status.trim().slice(0, 200),
    remains: toInteger(own(item, 'remains')),
    currency: toCurrency(own(item, 'currency'))
  }
  const runs = toInteger(own(item, 'runs'))
  if (runs !== null && runs >= 0) result.runs = runs
  const posts = toInteger(own(item, 'posts'))
  if (posts !== null && posts >= 0) result.posts = posts
  const orders = toIdList(own(item, 'orders'))
  if (orders !== undefined) result.orders = orders
  return result
}

function statusOrThrow (item: unknown, secrets: Secrets): PanelOrderStatus {
  const error = nestedError(item, secrets) ?? (isRecord(item) ? nestedError(own(item, 'status'), secrets) : undefined)
  if (error !== undefined) throw error
  const status = parseOrderStatus(item)
  if (status === undefined) throw invalid('status')
  return status
}

/**
 * One order's status: the single form, or (from some panels) the multi form
 * keyed by the order id.
 */
export const normaliseStatus = guard('status', (body: unknown, order?: number, secrets: Secrets = []): PanelOrderStatus => {
  throwIfPanelError(body, secrets)
  if (!isRecord(body)) throw invalid('status')
  if (Object.hasOwn(body, 'status') || order === undefined) return statusOrThrow(body, secrets)
  const keyed = own(body, String(order))
  if (keyed === undefined) throw invalid('status')
  return statusOrThrow(keyed, secrets)
})

/** Items of a multi answer as [id, item]: an array with an id member, or an object keyed by id. */
function itemsOf (body: unknown, idMember: string): Array<[number, unknown]> | undefined {
  const items: Array<[number, unknown]> = []
  if (Array.isArray(body)) {
    for (const item of body) {
      if (!isRecord(item)) continue
      const id = toId(own(item, idMember)) ?? toId(own(item, 'id'))
      if (id !== null) items.push([id, item])
    }
    return items
  }
  if (!isRecord(body)) return undefined
  for (const [key, item] of Object.entries(body)) {
    const id = toId(key)
    if (id !== null) items.push([id, item])
  }
  return items
}

/** The same error, marked: a write may have reached the panel, so it must not be repeated blindly. */
export function withUnknownOutcome (error: GatewayError, action: string): GatewayError {
  if (error.outcomeUnknown) return error
  return new GatewayError(error.code, `${error.message}; the ${action} may have reached the panel: check before repeating it`, {
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    ...(error.extra === undefined ? {} : { extra: error.extra }),
    outcomeUnknown: true
  })
}

/**
 * One item's result. In a write's answer (refill, cancel) an item we cannot read
 * says nothing about whether the panel acted on it: its outcome is unknown.
 */
function itemResult<T> (parse: () => T, write?: string): ItemResult<T> {
  try {
    return { ok: true, value: parse() }
  } catch (err) {
    const error = err instanceof GatewayError ? err : invalid('item')
    return { ok: false, error: write !== undefined && error.code === 'upstream_invalid_response' ? withUnknownOutcome(error, write) : error }
  }
}

/**
 * Every requested id gets an entry. An id the panel left out of its answer is
 * an `upstream_invalid_response` item error: a panel says "unknown" with
 * `{"error": "Incorrect order ID"}`, so silence is not `not_found`. An answer
 * holding none of the requested ids is no answer: it throws.
 */
function collect<T> (
  what: string,
  noun: string,
  body: unknown,
  ids: readonly number[],
  idMember: string,
  parse: (item: unknown) => T,
  write?: string
): Map<number, ItemResult<T>> {
  const items = itemsOf(body, idMember)
  if (items === undefined) throw invalid(what)
  const wanted = new Set(ids)
  const results = new Map<number, ItemResult<T>>()
  for (const [id, item] of items) {
    if (!wanted.has(id) || results.has(id)) continue
    results.set(id, itemResult(() => parse(item), write))
  }
  if (results.size === 0 && wanted.size > 0) {
    throw new GatewayError('upstream_invalid_response', `The panel's ${what} answer holds none of the requested ids`)
  }
  for (const id of wanted) {
    if (!results.has(id)) {
      const missing = new GatewayError('upstream_invalid_response', `The panel left ${noun} ${id} out of its answer`)
      results.set(id, { ok: false, error: write === undefined ? missing : withUnknownOutcome(missing, write) })
    }
  }
  return results
}

/** Multi status: an object keyed by order id (items may be `{"error": …}`). */
export const normaliseStatusMany = guard('status', (body: unknown, orders: readonly number[], secrets: Secrets = []): Map<number, ItemResult<PanelOrderStatus>> => {
  throwIfPanelError(body, secrets)
  const only = orders.length === 1 ? orders[0] : undefined
  // Asked for one id, some panels answer with the single form.
  if (only !== undefined && isRecord(body) && typeof own(body, 'status') === 'string') {
    return new Map([[only, itemResult(() => statusOrThrow(body, secrets))]])
  }
  return collect('status', 'order', body, orders, 'order', (item) => statusOrThrow(item, secrets))
})

// ---- refills -------------------------------------------------------------

function refillOrThrow (item: unknown, secrets: Secrets): { refill: number } {
  const error = nestedError(item, secrets)
  if (error !== undefined) throw error
  if (!isRecord(item)) throw invalid('refill')
  const refill = own(item, 'refill')
  const nested = nestedError(refill, secrets)
  if (nested !== undefined) throw nested
  const id = toId(refill)
  if (id === null) throw invalid('refill')
  return { refill: id }
}

/** `refill` → the refill id (`{"refill":"1"}`); an answer in the multi form is read too. */
export const normaliseRefill = guard('refill', (body: unknown, order?: number, secrets: Secrets = []): { refill: number } => {
  throwIfPanelError(body, secrets)
  if (order !== undefined && (Array.isArray(body) || (isRecord(body) && !Object.hasOwn(body, 'refill')))) {
    const result = normaliseRefillMany(body, [order], secrets).get(order)
    if (result === undefined) throw invalid('refill')
    if (!result.ok) throw result.error
    return result.value
  }
  return refillOrThrow(body, secrets)
})

/** Multi refill: `[{"order":1,"refill":1},{"order":3,"refill":{"error":"Incorrect order ID"}}]`. */
export const normaliseRefillMany = guard('refill', (body: unknown, orders: readonly number[], secrets: Secrets = []): Map<number, ItemResult<{ refill: number }>> => {
  throwIfPanelError(body, secrets)
  return collect('refill', 'order', body, orders, 'order', (item) => refillOrThrow(item, secrets), 'refill')
})

function refillStatusOrThrow (item: unknown, secrets: Secrets): { status: string } {
  const error = nestedError(item, secrets)
  if (error !== undefined) throw error
  if (!isRecord(item)) throw invalid('refill_status')
  const status = own(item, 'status')
  const nested = nestedError(status, secrets)
  if (nested !== undefined) throw nested
  if (typeof status !== 'string' || status.trim() === '') throw invalid('refill_status')
  return { status: status.trim().slice(0, 200) }
}

/** `refill_status` → `{"status":"Completed"}`; `status` may be `{"error": …}`. */
export const normaliseRefillStatus = guard('refill_status', (body: unknown, refill?: number, secrets: Secrets = []): { status: string } => {
  throwIfPanelError(body, secrets)
  if (refill !== undefined && (Array.isArray(body) || (isRecord(body) && !Object.hasOwn(body, 'status')))) {
    const result = normaliseRefillStatusMany(body, [refill], secrets).get(refill)
    if (result === undefined) throw invalid('refill_status')
    if (!result.ok) throw result.error
    return result.value
  }
  return refillStatusOrThrow(body, secrets)
})

/** Multi refill status: `[{"refill":1,"status":"Completed"},{"refill":3,"status":{"error":"Refill not found"}}]`. */
export const normaliseRefillStatusMany = guard('refill_status', (body: unknown, refills: readonly number[], secrets: Secrets = []): Map<number, ItemResult<{ status: string }>> => {
  throwIfPanelError(body, secrets)
  return collect('refill_status', 'refill', body, refills, 'refill', (item) => refillStatusOrThrow(item, secrets))
})

// ---- cancel --------------------------------------------------------------

const FALSE = new Set(['0', 'false', 'no', ''])

function cancelOrThrow (item: unknown, secrets: Secrets): true {
  const error = nestedError(item, secrets)
  if (error !== undefined) throw error
  if (!isRecord(item)) throw invalid('cancel')
  const cancel = own(item, 'cancel')
  const nested = nestedError(cancel, secrets)
  if (nested !== undefined) throw nested
  if (toBoolean(cancel)) return true
  if (cancel === false || cancel === 0 || (typeof cancel === 'string' && FALSE.has(cancel.trim().toLowerCase()))) {
    throw new GatewayError('cancel_not_allowed', 'The panel did not cancel this order')
  }
  // Some panels put the reason straight into `cancel`.
  if (typeof cancel === 'string') throw panelError(cancel, secrets)
  throw invalid('cancel')
}

/** Multi cancel: `[{"order":9,"cancel":{"error":"Incorrect order ID"}},{"order":2,"cancel":1}]`. */
export const normaliseCancel = guard('cancel', (body: unknown, orders: readonly number[], secrets: Secrets = []): Map<number, ItemResult<true>> => {
  throwIfPanelError(body, secrets)
  const only = orders.length === 1 ? orders[0] : undefined
  if (only !== undefined && isRecord(body) && Object.hasOwn(body, 'cancel')) {
    return new Map([[only, itemResult(() => cancelOrThrow(body, secrets), 'cancel')]])
  }
  return collect('cancel', 'order', body, orders, 'order', (item) => cancelOrThrow(item, secrets), 'cancel')
})

// ---- balance -------------------------------------------------------------

/** `{"balance":"100.84292","currency":"USD"}`; a missing currency is "" (unknown), never guessed. */
export const normaliseBalance = guard('balance', (body: unknown, secrets: Secrets = []): PanelBalance => {
  throwIfPanelError(body, secrets)
  if (!isRecord(body)) throw invalid('balance')
  const balance = toDecimalString(own(body, 'balance'))
  if (balance === null) throw invalid('balance')
  return { balance, currency: toCurrency(own(body, 'currency')) ?? '' }
})
