import { GatewayError } from '../problems/errors.js'
import { Capabilities, type CapabilitiesOptions, type CapabilitySnapshot, type MultiAction } from './capabilities.js'
import { createHttpTransport, type HttpTransportOptions } from './http-transport.js'
import {
  normaliseAdd, normaliseBalance, normaliseCancel, normaliseRefill, normaliseRefillMany,
  normaliseRefillStatus, normaliseRefillStatusMany, normaliseServices, normaliseStatus, normaliseStatusMany
} from './normalise.js'
import { isRefusal } from './verdict.js'
import type { AddFields, CallOptions, ItemResult, PanelAction, PanelCall, PanelClient, PanelForm, PanelTransport, ParseAnswer } from './types.js'

export type { HttpTransportOptions as PanelClientOptions, PanelLogger } from './http-transport.js'

const MAX_IDS = 100

function internal (detail: string): GatewayError {
  return new GatewayError('internal_error', detail)
}

function checkId (id: unknown, what: string): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw internal(`${what} must be a positive integer`)
  return id
}

function checkIds (ids: readonly number[], what: string): number[] {
  if (!Array.isArray(ids)) throw internal(`${what} must be an array of ids`)
  const unique = [...new Set(ids.map((id) => checkId(id, what)))]
  if (unique.length > MAX_IDS) throw internal(`At most ${MAX_IDS} ${what} per panel call, got ${unique.length}`)
  return unique
}

function addForm (fields: AddFields): Record<string, string> {
  if (typeof fields !== 'object' || fields === null) throw internal('add needs fields')
  const form: Record<string, string> = {}
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'key' || name === 'action') throw internal(`add field "${name}" is reserved`)
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string') {
      throw internal(`add field "${name}" must be a string or a finite number`)
    }
    form[name] = String(value)
  }
  return form
}

/** A whole-request "no" to a multi-id form is no verdict on the ids: the panel may only read one id per call. */
function refusedWhole (err: unknown): boolean {
  return isRefusal(err) && !err.outcomeUnknown && err.code !== 'upstream_action_unsupported'
}

export interface PanelApi extends PanelClient {
  capabilities: () => CapabilitySnapshot
}

/**
 * The panel's actions as typed methods over one call path: each method is one
 * `call(action, form, parse)` (or, where the panel lacks a multi-id form, one
 * per id), so what wraps `call` — resilience, metrics — wraps every action.
 */
class Api implements PanelApi {
  readonly #call: PanelCall
  readonly #caps: Capabilities
  readonly #close: () => Promise<void>
  readonly #options: CallOptions | undefined

  constructor (call: PanelCall, caps: Capabilities, close: () => Promise<void>, options?: CallOptions) {
    this.#call = call
    this.#caps = caps
    this.#close = close
    this.#options = options
  }

  forTenant (tenant: number | string): PanelClient {
    return new Api(this.#call, this.#caps, this.#close, { tenant: String(tenant) })
  }

  capabilities (): CapabilitySnapshot {
    return this.#caps.snapshot()
  }

  async #send<T> (action: PanelAction, form: PanelForm, parse: ParseAnswer<T>): Promise<T> {
    this.#caps.assertOffered(action)
    try {
      return await this.#call(action, form, parse, this.#options)
    } catch (err) {
      throw this.#caps.learnFrom(action, err)
    }
  }

  /**
   * The multi-id form while the panel reads it; else one call per id, each
   * id's error its own item. A whole-request refusal of several ids teaches
   * that the panel has no multi form.
   */
  async #many<T> (action: MultiAction, ids: number[], multi: (ids: number[]) => Promise<Map<number, ItemResult<T>>>, one: (id: number) => Promise<T>): Promise<Map<number, ItemResult<T>>> {
    if (ids.length === 0) return new Map()
    // A lone id goes in the single form every panel reads: its multi form teaches nothing.
    if (ids.length > 1 && this.#caps.multi(action) !== false) {
      try {
        const results = await multi(ids)
        this.#caps.learnMulti(action, true)
        return results
      } catch (err) {
        if (!refusedWhole(err)) throw err
        this.#caps.learnMulti(action, false)
      }
    }
    const results = await Promise.all(ids.map(async (id): Promise<ItemResult<T>> => {
      try {
        return { ok: true, value: await one(id) }
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err
        return { ok: false, error: err }
      }
    }))
    return new Map(ids.map((id, i) => [id, results[i] as ItemResult<T>]))
  }

  async services () {
    return await this.#send('services', {}, normaliseServices)
  }

  async add (fields: AddFields) {
    return await this.#send('add', addForm(fields), normaliseAdd)
  }

  async status (order: number) {
    const id = checkId(order, 'order')
    return await this.#send('status', { order: String(id) }, (json, secrets) => normaliseStatus(json, id, secrets))
  }

  async statusMany (orders: number[]) {
    return await this.#many('status', checkIds(orders, 'orders'),
      async (list) => await this.#send('status', { orders: list.join(',') }, (json, secrets) => normaliseStatusMany(json, list, secrets)),
      async (id) => await this.status(id))
  }

  async refill (order: number) {
    const id = checkId(order, 'order')
    return await this.#send('refill', { order: String(id) }, (json, secrets) => normaliseRefill(json, id, secrets))
  }

  async refillMany (orders: number[]) {
    return await this.#many('refill', checkIds(orders, 'orders'),
      async (list) => await this.#send('refill', { orders: list.join(',') }, (json, secrets) => normaliseRefillMany(json, list, secrets)),
      async (id) => await this.refill(id))
  }

  async refillStatus (refill: number) {
    const id = checkId(refill, 'refill')
    return await this.#send('refill_status', { refill: String(id) }, (json, secrets) => normaliseRefillStatus(json, id, secrets))
  }

  async refillStatusMany (refills: number[]) {
    return await this.#many('refill_status', checkIds(refills, 'refills'),
      async (list) => await this.#send('refill_status', { refills: list.join(',') }, (json, secrets) => normaliseRefillStatusMany(json, list, secrets)),
      async (id) => await this.refillStatus(id))
  }

  /** The protocol has only the multi form of cancel. */
  async cancel (orders: number[]) {
    const list = checkIds(orders, 'orders')
    if (list.length === 0) return new Map()
    return await this.#send('cancel', { orders: list.join(',') }, (json, secrets) => normaliseCancel(json, list, secrets))
  }

  async balance () {
    return await this.#send('balance', {}, normaliseBalance)
  }

  async close () {
    await this.#close()
  }
}

/** The typed panel API over a transport (the HTTP one, or it wrapped in resilience and metrics). */
export function createPanelApi (transport: PanelTransport, options: CapabilitiesOptions = {}): PanelApi {
  return new Api(transport.call, new Capabilities(options), transport.close)
}

/** The typed panel API straight over HTTP, without breaker or limiter. */
export function createPanelClient (options: HttpTransportOptions): PanelApi {
  return createPanelApi(createHttpTransport(options))
}
