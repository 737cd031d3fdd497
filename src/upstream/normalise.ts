import { GatewayError } from '../problems/errors.js'
import {
  errorBodyOf, isText, itemTextError, messageOf, numericCode, ORDER_STATUS_FIELDS, panelError, recognisedPanelError, type ErrorBodyOptions
} from './panel-errors.js'
import { isRecord, own, toBoolean, toCurrency, toDecimalString, toFlag, toId, toInteger, toLimit, toText, type Json } from './scalars.js'
import { REDACTED, scrubSecrets } from './scrub.js'
import { canonicalType } from './service-types.js'
import type { ItemResult, PanelAction, PanelBalance, PanelOrderStatus, PanelService } from './types.js'

export { isRecord, toBoolean, toDecimalString, toId, toInteger } from './scalars.js'

// Pure functions from panel JSON (already parsed) to the types of types.ts.
// Whatever the input, they return or throw a GatewayError, nothing else.
// Every one first goes through payloadOf: `null` (no such action), an error
// body in any shape (a refusal), a success wrapper (opened).

type Secrets = readonly string[]

function invalid (what: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `The panel's ${what} answer has an unexpected shape`)
}

function reading<A extends unknown[], R> (what: string, fn: (...args: A) => R): (...args: A) => R {
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

/**
 * A string of a successful answer bound for a response (a name, a status, a
 * currency): the panel's secrets scrubbed from it before toText/toCurrency trim
 * and bound it. Other values pass as they are.
 */
function scrubbed (value: unknown, secrets: Secrets, max: number): unknown {
  if (typeof value !== 'string' || secrets.length === 0) return value
  const text = value.trimStart()
  // Pieces of a secret are found within a few characters: what lies past the bound and this margin is never shown.
  return scrubSecrets(text.length > max + 1024 ? text.slice(0, max + 1024) : text, secrets)
}

// ---- errors and wrappers --------------------------------------------------

/**
 * The mapped refusal when a body (or a member: multi answers put item errors
 * there) is a panel error, in any shape, else undefined.
 */
export const panelErrorOf = errorBodyOf
const nestedError = errorBodyOf

/**
 * A body that is not the answer we expected. When it still says in words we know
 * what went wrong (`{"message":"Unauthenticated."}`), that is the error; otherwise
 * the shape is unexpected.
 */
function shapeError (what: string, body: unknown, secrets: Secrets, detail?: string): GatewayError {
  let text = ''
  if (typeof body === 'string') text = body
  else if (isRecord(body)) text = messageOf(own(body, 'message')) || messageOf(own(body, 'msg')) || messageOf(own(body, 'description'))
  return (text === '' ? undefined : recognisedPanelError(text, secrets)) ??
    (detail === undefined ? invalid(what) : new GatewayError('upstream_invalid_response', detail))
}

/** `null` (the rental panel's answer to an action it does not have). */
function nullAnswer (action: PanelAction): GatewayError {
  if (action === 'add') {
    return new GatewayError('upstream_invalid_response', 'The panel answered the add with null: whether it placed the order is not known')
  }
  return new GatewayError('upstream_action_unsupported', `The panel answered "${action}" with null: it does not offer this action`)
}

const SUCCESS_WORDS = new Set(['success', 'successful', 'succeeded', 'ok', 'true'])

/** `{"status":"success"}`, `{"status":100}` (a number or numeric string meaning OK), `true`. */
export function isSuccessMarker (value: unknown): boolean {
  if (value === true) return true
  const code = numericCode(value)
  if (code !== undefined) return code === 100 || code === 200
  return typeof value === 'string' && value.length <= 16 && SUCCESS_WORDS.has(value.trim().toLowerCase())
}

function hasSuccessMarker (body: Json): boolean {
  return isSuccessMarker(own(body, 'status')) || isSuccessMarker(own(body, 'success'))
}

/**
 * The payload of a success wrapper: `{"status":"success","data":{…}}`,
 * `{"success":true,"data":[…]}`. A body that already is the payload (per
 * `isPayload`) is kept; `data` is only unwrapped when it holds an object or array.
 */
function unwrap (body: unknown, isPayload: (value: Json) => boolean): unknown {
  let current = body
  for (let depth = 0; depth < 3; depth++) {
    if (!isRecord(current) || isPayload(current)) return current
    const inner = own(current, 'data') ?? own(current, 'result')
    if (!isRecord(inner) && !Array.isArray(inner)) return current
    current = inner
  }
  return current
}

function hasIdKey (value: Json): boolean {
  for (const key in value) {
    if (Object.hasOwn(value, key) && toId(key) !== null) return true
  }
  return false
}

/**
 * The common start of every normaliser: `null` means the panel does not have the
 * action, an error body is the panel's refusal, a wrapper is opened. Item errors
 * inside the payload are left to the item parsers.
 */
function payloadOf (body: unknown, action: PanelAction, secrets: Secrets, isPayload: (value: Json) => boolean, options: ErrorBodyOptions = {}): unknown {
  if (body === null) throw nullAnswer(action)
  const error = errorBodyOf(body, secrets, options)
  if (error !== undefined) throw error
  const payload = unwrap(body, isPayload)
  if (payload !== body) {
    const inner = errorBodyOf(payload, secrets, options)
    if (inner !== undefined) throw inner
  }
  return payload
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

const EMPTY_TEXT = /\b(empty|no (data|services?|records?|results?|items?)|nothing|not found)\b/i

/**
 * An empty catalog in words: `{"status":"success","data":"Empty Data"}` (SmartPanel),
 * `{"data":null}` beside a success marker, `{"services":"No services"}`.
 */
function isEmptyCatalog (body: unknown): boolean {
  if (!isRecord(body)) return false
  for (const name of ['data', 'services']) {
    if (!Object.hasOwn(body, name)) continue
    const inner = own(body, name)
    if (inner === null || (typeof inner === 'string' && inner.trim() === '') || (isRecord(inner) && Object.keys(inner).length === 0)) {
      return hasSuccessMarker(body)
    }
    if (typeof inner === 'string') return hasSuccessMarker(body) || EMPTY_TEXT.test(inner.slice(0, 200))
  }
  return false
}

function parseService (key: string | undefined, item: unknown, secrets: Secrets): PanelService | undefined {
  if (!isRecord(item)) return undefined
  const id = toId(own(item, 'service')) ?? toId(own(item, 'id')) ?? (key === undefined ? null : toId(key))
  const name = toText(scrubbed(own(item, 'name'), secrets, 1000))
  const rate = toDecimalString(own(item, 'rate') ?? own(item, 'price'))
  if (id === null || name === null || rate === null || rate.startsWith('-')) return undefined
  const panelType = toText(scrubbed(own(item, 'type'), secrets, 200), 200) ?? 'Default'
  const service: PanelService = {
    id,
    name,
    type: canonicalType(panelType) ?? panelType,
    panelType,
    category: toText(scrubbed(own(item, 'category'), secrets, 500), 500) ?? 'Uncategorised',
    rate,
    // A limit the panel does not state (missing, null, unreadable) is null: the panel checks it.
    min: toLimit(own(item, 'min')),
    max: toLimit(own(item, 'max')),
    refill: toFlag(own(item, 'refill')),
    cancel: toFlag(own(item, 'cancel')),
    dripfeed: toFlag(own(item, 'dripfeed') ?? own(item, 'drip_feed'))
  }
  const description = toText(scrubbed(own(item, 'description') ?? own(item, 'desc'), secrets, 10_000), 10_000)
  if (description !== null) service.description = description
  return service
}

/**
 * The catalog from any of the shapes panels use: a bare array, `{services: […]}`,
 * `{data: […]}`, a success wrapper, or an object keyed by id; an empty catalog
 * (`[]`, `{"data":[]}`, `{"status":"success","data":"Empty Data"}`) is `[]`.
 * Malformed entries are skipped; a body that is no catalog at all (or whose
 * entries are all unreadable) throws.
 */
export const normaliseServices = reading('services', (body: unknown, secrets: Secrets = []): PanelService[] => {
  const payload = payloadOf(body, 'services', secrets, () => true)
  if (isEmptyCatalog(payload)) return []
  const entries = catalogEntries(payload)
  if (entries === undefined) throw shapeError('services', payload, secrets, "The panel's services answer is not a catalog")
  const seen = new Set<number>()
  const services: PanelService[] = []
  for (const [key, item] of entries) {
    const service = parseService(key, item, secrets)
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

/** `add` → the new order id: `{"order":23501}`, `{"status":"success","order":4}`, `{"status":100,"order":"1005"}`. */
export const normaliseAdd = reading('add', (body: unknown, secrets: Secrets = []): { order: number } => {
  const payload = payloadOf(body, 'add', secrets, (value) => Object.hasOwn(value, 'order'))
  if (!isRecord(payload)) throw shapeError('add', payload, secrets)
  const order = own(payload, 'order')
  const error = nestedError(order, secrets)
  if (error !== undefined) throw error
  const id = toId(order)
  if (id !== null) return { order: id }
  // `{"order":"Bad link"}`: only a reason we know is taken as a refusal; anything else may hide a placed order.
  const known = typeof order === 'string' ? recognisedPanelError(order, secrets) : undefined
  throw known ?? shapeError('add', payload, secrets)
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

/** The panel's status string when the record is a status (not a success wrapper), else undefined. */
function statusOf (item: Json): string | undefined {
  const status = own(item, 'status')
  if (typeof status !== 'string' || status.trim() === '') return undefined
  if (isSuccessMarker(status) && !ORDER_STATUS_FIELDS.some((name) => Object.hasOwn(item, name))) return undefined
  return status.trim()
}

function parseOrderStatus (item: Json, secrets: Secrets): PanelOrderStatus | undefined {
  const found = statusOf(item)
  if (found === undefined) return undefined
  const status = toText(scrubbed(found, secrets, 200), 200) ?? REDACTED
  const result: PanelOrderStatus = {
    charge: toDecimalString(own(item, 'charge')),
    startCount: toInteger(own(item, 'start_count') ?? own(item, 'startCount')),
    status,
    remains: toInteger(own(item, 'remains')),
    currency: toCurrency(scrubbed(own(item, 'currency'), secrets, 16))
  }
  const runs = toInteger(own(item, 'runs'))
  if (runs !== null && runs >= 0) result.runs = runs
  const posts = toInteger(own(item, 'posts'))
  if (posts !== null && posts >= 0) result.posts = posts
  const orders = toIdList(own(item, 'orders'))
  if (orders !== undefined) result.orders = orders
  return result
}

const STATUS_ANSWER: ErrorBodyOptions = { statusAnswer: true }

/** An item that is not a record: a bare string is the panel's refusal for that item (`{"6":"Incorrect order ID"}`). */
function bareItemError (item: unknown, what: string, secrets: Secrets): GatewayError {
  return itemTextError(item, secrets) ?? invalid(what)
}

function statusOrThrow (item: unknown, secrets: Secrets): PanelOrderStatus {
  if (!isRecord(item)) throw bareItemError(item, 'status', secrets)
  const error = nestedError(item, secrets, STATUS_ANSWER) ?? nestedError(own(item, 'status'), secrets)
  if (error !== undefined) throw error
  const status = parseOrderStatus(item, secrets)
  if (status === undefined) throw shapeError('status', item, secrets)
  return status
}

const isStatusRecord = (value: Json): boolean => statusOf(value) !== undefined || Object.hasOwn(value, 'error')

/**
 * One order's status: the single form (numbers quoted or not, `start_count: null`,
 * drip-feed `runs`/`orders`, subscription `posts`), or (from some panels) the
 * multi form keyed by the order id.
 */
export const normaliseStatus = reading('status', (body: unknown, order?: number, secrets: Secrets = []): PanelOrderStatus => {
  const key = order === undefined ? undefined : String(order)
  const payload = payloadOf(body, 'status', secrets, (value) => isStatusRecord(value) || (key !== undefined && Object.hasOwn(value, key)), STATUS_ANSWER)
  if (!isRecord(payload)) throw shapeError('status', payload, secrets)
  if (key === undefined || statusOf(payload) !== undefined || !hasIdKey(payload)) return statusOrThrow(payload, secrets)
  const keyed = own(payload, key)
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
  const suffix = `; the ${action} may have reached the panel: check before repeating it`
  return new GatewayError(error.code, error.message + suffix, {
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    ...(error.operatorDetail === undefined ? {} : { operatorDetail: error.operatorDetail + suffix }),
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
  secrets: Secrets,
  write?: string
): Map<number, ItemResult<T>> {
  const items = itemsOf(body, idMember)
  if (items === undefined) throw shapeError(what, body, secrets)
  const wanted = new Set(ids)
  const results = new Map<number, ItemResult<T>>()
  for (const [id, item] of items) {
    if (!wanted.has(id) || results.has(id)) continue
    results.set(id, itemResult(() => parse(item), write))
  }
  if (results.size === 0 && wanted.size > 0) {
    const known = shapeError(what, body, secrets)
    if (known.code !== 'upstream_invalid_response') throw known
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

const isMultiPayload = (value: Json): boolean => hasIdKey(value)

/**
 * Multi status: an object keyed by order id; items may be `{"error": …}` or a bare
 * string (`{"6":"Incorrect order ID"}`). A refusal of the whole request
 * (`{"error":"Order not found.","status":"104"}` from a panel without the multi
 * form) throws that refusal.
 */
export const normaliseStatusMany = reading('status', (body: unknown, orders: readonly number[], secrets: Secrets = []): Map<number, ItemResult<PanelOrderStatus>> => {
  const payload = payloadOf(body, 'status', secrets, (value) => isMultiPayload(value) || statusOf(value) !== undefined, STATUS_ANSWER)
  const only = orders.length === 1 ? orders[0] : undefined
  // Asked for one id, some panels answer with the single form.
  if (only !== undefined && isRecord(payload) && statusOf(payload) !== undefined && !Object.hasOwn(payload, String(only))) {
    return new Map([[only, itemResult(() => statusOrThrow(payload, secrets))]])
  }
  return collect('status', 'order', payload, orders, 'order', (item) => statusOrThrow(item, secrets), secrets)
})

// ---- refills -------------------------------------------------------------

const NOTHING = new Set(['0', 'false', 'no', 'none'])

/** The value of a `refill` member (or a bare keyed item): the refill id, or why there is none. */
function refillValue (value: unknown, secrets: Secrets): { refill: number } {
  const nested = nestedError(value, secrets)
  if (nested !== undefined) throw nested
  const id = toId(value)
  if (id !== null) return { refill: id }
  if (value === 0 || value === false || (typeof value === 'string' && NOTHING.has(value.trim().toLowerCase()))) {
    // The rental panel answers {"refill":"0"} when it did nothing: a refusal, not a broken answer.
    throw new GatewayError('refill_not_allowed', 'The panel did not create a refill for this order')
  }
  if (isText(value)) throw panelError(value, secrets)
  throw invalid('refill')
}

function refillOrThrow (item: unknown, secrets: Secrets): { refill: number } {
  if (!isRecord(item)) return refillValue(item, secrets)
  const error = nestedError(item, secrets)
  if (error !== undefined) throw error
  if (!Object.hasOwn(item, 'refill')) throw shapeError('refill', item, secrets)
  return refillValue(own(item, 'refill'), secrets)
}

/** `refill` → the refill id (`{"refill":"1"}`); `{"refill":"0"}` is `refill_not_allowed`; an answer in the multi form is read too. */
export const normaliseRefill = reading('refill', (body: unknown, order?: number, secrets: Secrets = []): { refill: number } => {
  const payload = payloadOf(body, 'refill', secrets, (value) => Object.hasOwn(value, 'refill') || isMultiPayload(value))
  if (order !== undefined && (Array.isArray(payload) || (isRecord(payload) && !Object.hasOwn(payload, 'refill')))) {
    const result = refillMany(payload, [order], secrets).get(order)
    if (result === undefined) throw invalid('refill')
    if (!result.ok) throw result.error
    return result.value
  }
  if (!isRecord(payload)) throw shapeError('refill', payload, secrets)
  return refillOrThrow(payload, secrets)
})

function refillMany (payload: unknown, orders: readonly number[], secrets: Secrets): Map<number, ItemResult<{ refill: number }>> {
  return collect('refill', 'order', payload, orders, 'order', (item) => refillOrThrow(item, secrets), secrets, 'refill')
}

/** Multi refill: `[{"order":1,"refill":1},{"order":3,"refill":{"error":"Incorrect order ID"}}]`; a bare string member is a refusal. */
export const normaliseRefillMany = reading('refill', (body: unknown, orders: readonly number[], secrets: Secrets = []): Map<number, ItemResult<{ refill: number }>> => {
  return refillMany(payloadOf(body, 'refill', secrets, (value) => isMultiPayload(value)), orders, secrets)
})

function refillStatusOrThrow (item: unknown, secrets: Secrets): { status: string } {
  if (!isRecord(item)) throw bareItemError(item, 'refill_status', secrets)
  const error = nestedError(item, secrets, STATUS_ANSWER)
  if (error !== undefined) throw error
  const status = own(item, 'status')
  const nested = nestedError(status, secrets)
  if (nested !== undefined) throw nested
  if (typeof status !== 'string' || status.trim() === '') throw shapeError('refill_status', item, secrets)
  return { status: toText(scrubbed(status, secrets, 200), 200) ?? REDACTED }
}

/** `refill_status` → `{"status":"Completed"}`; `status` may be `{"error": …}`. */
export const normaliseRefillStatus = reading('refill_status', (body: unknown, refill?: number, secrets: Secrets = []): { status: string } => {
  const key = refill === undefined ? undefined : String(refill)
  const payload = payloadOf(body, 'refill_status', secrets, (value) => isStatusRecord(value) || isMultiPayload(value), STATUS_ANSWER)
  if (refill !== undefined && (Array.isArray(payload) || (isRecord(payload) && !Object.hasOwn(payload, 'status') && key !== undefined && hasIdKey(payload)))) {
    const result = refillStatusMany(payload, [refill], secrets).get(refill)
    if (result === undefined) throw invalid('refill_status')
    if (!result.ok) throw result.error
    return result.value
  }
  return refillStatusOrThrow(payload, secrets)
})

function refillStatusMany (payload: unknown, refills: readonly number[], secrets: Secrets): Map<number, ItemResult<{ status: string }>> {
  return collect('refill_status', 'refill', payload, refills, 'refill', (item) => refillStatusOrThrow(item, secrets), secrets)
}

/** Multi refill status: `[{"refill":1,"status":"Completed"},{"refill":3,"status":{"error":"Refill not found"}}]`. */
export const normaliseRefillStatusMany = reading('refill_status', (body: unknown, refills: readonly number[], secrets: Secrets = []): Map<number, ItemResult<{ status: string }>> => {
  return refillStatusMany(payloadOf(body, 'refill_status', secrets, (value) => isMultiPayload(value), STATUS_ANSWER), refills, secrets)
})

// ---- cancel --------------------------------------------------------------

const FALSE = new Set(['0', 'false', 'no', ''])

/** The value of a `cancel` member (or a bare keyed item). */
function cancelValue (cancel: unknown, secrets: Secrets): true {
  const nested = nestedError(cancel, secrets)
  if (nested !== undefined) throw nested
  if (toBoolean(cancel)) return true
  if (cancel === false || cancel === 0 || (typeof cancel === 'string' && FALSE.has(cancel.trim().toLowerCase()))) {
    throw new GatewayError('cancel_not_allowed', 'The panel did not cancel this order')
  }
  // Some panels put the reason straight into `cancel`.
  if (isText(cancel)) throw panelError(cancel, secrets)
  throw invalid('cancel')
}

function cancelOrThrow (item: unknown, secrets: Secrets): true {
  if (!isRecord(item)) return cancelValue(item, secrets)
  const error = nestedError(item, secrets)
  if (error !== undefined) throw error
  if (!Object.hasOwn(item, 'cancel')) throw shapeError('cancel', item, secrets)
  return cancelValue(own(item, 'cancel'), secrets)
}

/** Multi cancel: `[{"order":9,"cancel":{"error":"Incorrect order ID"}},{"order":2,"cancel":1}]`. */
export const normaliseCancel = reading('cancel', (body: unknown, orders: readonly number[], secrets: Secrets = []): Map<number, ItemResult<true>> => {
  const payload = payloadOf(body, 'cancel', secrets, (value) => Object.hasOwn(value, 'cancel') || isMultiPayload(value))
  const only = orders.length === 1 ? orders[0] : undefined
  if (only !== undefined && isRecord(payload) && Object.hasOwn(payload, 'cancel')) {
    return new Map([[only, itemResult(() => cancelOrThrow(payload, secrets), 'cancel')]])
  }
  return collect('cancel', 'order', payload, orders, 'order', (item) => cancelOrThrow(item, secrets), secrets, 'cancel')
})

// ---- balance -------------------------------------------------------------

/** `{"balance":"100.84292","currency":"USD"}` (also in a success wrapper); a missing currency is "" (unknown), never guessed. */
export const normaliseBalance = reading('balance', (body: unknown, secrets: Secrets = []): PanelBalance => {
  const payload = payloadOf(body, 'balance', secrets, (value) => Object.hasOwn(value, 'balance'))
  if (!isRecord(payload)) throw shapeError('balance', payload, secrets)
  const balance = toDecimalString(own(payload, 'balance'))
  if (balance === null) throw shapeError('balance', payload, secrets)
  return { balance, currency: toCurrency(scrubbed(own(payload, 'currency'), secrets, 16)) ?? '' }
})
