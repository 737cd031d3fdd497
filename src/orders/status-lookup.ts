import { GatewayError } from '../problems/errors.js'
import type { ItemResult, PanelClient, PanelOrderStatus } from '../upstream/types.js'
import { PANEL_BATCH } from './chunked.js'

const MISSING = { ok: false as const, error: new GatewayError('upstream_invalid_response', 'The panel left this order out of its answer') }

function asGatewayError (error: unknown): GatewayError {
  return error instanceof GatewayError ? error : new GatewayError('internal_error', undefined, { cause: error })
}

export interface StatusLookupOptions {
  /** How long a batch waits for one more lookup to share its panel call; a burst keeps it open up to BURST_WINDOWS times as long. */
  windowMs: number
  onBatch?: (size: number) => void
  /** Monotonic clock in ms the window is measured on; default performance.now. */
  now?: () => number
}

type Waiter = (result: ItemResult<PanelOrderStatus>) => void

// Lookups that arrive spread out (each after its own database read, say) still
// share a call, while one alone waits only `windowMs`.
const BURST_WINDOWS = 5

/**
 * Order status lookups, coalesced: ids asked for while lookups keep coming
 * (each within `windowMs` of the last, for at most BURST_WINDOWS windows) go
 * into one multi-status panel call (≤100 ids each); an id already waiting or
 * already being fetched joins that. (Final statuses are kept by the store,
 * which is asked first, so they never come here.) Each tenant's lookups batch
 * apart, so they are that tenant's panel calls in the fair share of the panel.
 */
export class StatusLookup {
  readonly #panel: PanelClient
  readonly #options: StatusLookupOptions
  readonly #batches = new Map<string, Batch>()
  readonly #now: () => number

  constructor (panel: PanelClient, options: StatusLookupOptions) {
    this.#panel = panel
    this.#options = options
    this.#now = options.now ?? (() => performance.now())
  }

  /** One tenant's lookups batch together and count as that tenant's panel calls (its fair share). */
  async one (id: number, tenant: number | string = ''): Promise<ItemResult<PanelOrderStatus>> {
    return await this.#batch(tenant).one(id)
  }

  async many (ids: number[], tenant: number | string = ''): Promise<Map<number, ItemResult<PanelOrderStatus>>> {
    const unique = [...new Set(ids)]
    const batch = this.#batch(tenant)
    const results = await Promise.all(unique.map(async (id) => await batch.one(id)))
    return new Map(unique.map((id, i) => [id, results[i] as ItemResult<PanelOrderStatus>]))
  }

  close (): void {
    for (const batch of this.#batches.values()) batch.close()
  }

  #batch (id: number | string): Batch {
    const tenant = String(id)
    let batch = this.#batches.get(tenant)
    if (batch === undefined) {
      const created = new Batch(this.#panel.forTenant(tenant), this.#options, this.#now, () => {
        if (this.#batches.get(tenant) === created) this.#batches.delete(tenant)
      })
      this.#batches.set(tenant, created)
      batch = created
    }
    return batch
  }
}

class Batch {
  readonly #panel: PanelClient
  readonly #options: StatusLookupOptions
  readonly #now: () => number
  readonly #onIdle: () => void
  readonly #waiting = new Map<number, Waiter[]>()
  readonly #fetching = new Map<number, Waiter[]>()
  #timer: NodeJS.Timeout | undefined
  #opened = 0
  #last = 0

  constructor (panel: PanelClient, options: StatusLookupOptions, now: () => number, onIdle: () => void) {
    this.#panel = panel
    this.#options = options
    this.#now = now
    this.#onIdle = onIdle
  }

  async one (id: number): Promise<ItemResult<PanelOrderStatus>> {
    return await new Promise((resolve) => this.#enqueue(id, resolve))
  }

  #enqueue (id: number, waiter: Waiter): void {
    const joined = this.#fetching.get(id) ?? this.#waiting.get(id)
    if (joined !== undefined) {
      joined.push(waiter)
      return
    }
    this.#waiting.set(id, [waiter])
    this.#last = this.#now()
    if (this.#waiting.size >= PANEL_BATCH) {
      this.#flush()
    } else if (this.#timer === undefined) {
      this.#opened = this.#last
      this.#arm(this.#options.windowMs)
    }
  }

  #arm (ms: number): void {
    this.#timer = setTimeout(() => {
      const now = this.#now()
      const quietFor = now - this.#last
      const openFor = now - this.#opened
      const maxMs = this.#options.windowMs * BURST_WINDOWS
      if (quietFor < this.#options.windowMs && openFor < maxMs) {
        this.#arm(Math.min(this.#options.windowMs - quietFor, maxMs - openFor))
      } else {
        this.#flush()
      }
    }, ms)
  }

  #flush (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = new Map(this.#waiting)
    this.#waiting.clear()
    for (const [id, waiters] of batch) this.#fetching.set(id, waiters)
    const ids = [...batch.keys()]
    for (let i = 0; i < ids.length; i += PANEL_BATCH) {
      // #fetch settles every waiter itself, failures included
      this.#fetch(ids.slice(i, i + PANEL_BATCH), batch).catch(() => {})
    }
  }

  async #fetch (ids: number[], batch: Map<number, Waiter[]>): Promise<void> {
    let results: Map<number, ItemResult<PanelOrderStatus>>
    try {
      this.#options.onBatch?.(ids.length)
      results = await this.#panel.statusMany(ids)
    } catch (error) {
      for (const id of ids) this.#fetching.delete(id)
      const failed = { ok: false as const, error: asGatewayError(error) }
      for (const id of ids) for (const waiter of batch.get(id) ?? []) waiter(failed)
      this.#idleCheck()
      return
    }
    for (const id of ids) this.#fetching.delete(id)
    for (const id of ids) {
      const result = results.get(id) ?? MISSING
      for (const waiter of batch.get(id) ?? []) waiter(result)
    }
    this.#idleCheck()
  }

  #idleCheck (): void {
    if (this.#waiting.size === 0 && this.#fetching.size === 0) this.#onIdle()
  }

  close (): void {
    clearTimeout(this.#timer)
  }
}
