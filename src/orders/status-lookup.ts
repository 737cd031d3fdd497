import { GatewayError } from '../errors.js'
import type { ItemResult, PanelClient, PanelOrderStatus } from '../upstream/types.js'
import { PANEL_BATCH } from './chunked.js'

const MISSING = { ok: false as const, error: new GatewayError('upstream_invalid_response', 'The panel left this order out of its answer') }

function asGatewayError (error: unknown): GatewayError {
  return error instanceof GatewayError ? error : new GatewayError('internal_error', undefined, { cause: error })
}

export interface StatusLookupOptions {
  /** How long a lookup waits for others to share its panel call. */
  windowMs: number
  onBatch?: (size: number) => void
}

type Waiter = (result: ItemResult<PanelOrderStatus>) => void

/**
 * Order status lookups, coalesced: every id asked for within `windowMs` goes
 * into one multi-status panel call (≤100 ids each), and an id asked for twice
 * meanwhile is fetched once. (Final statuses are kept by the store, which
 * is asked first, so they never come here.)
 */
export class StatusLookup {
  readonly #panel: PanelClient
  readonly #options: StatusLookupOptions
  readonly #waiting = new Map<number, Waiter[]>()
  #timer: NodeJS.Timeout | undefined

  constructor (panel: PanelClient, options: StatusLookupOptions) {
    this.#panel = panel
    this.#options = options
  }

  async one (id: number): Promise<ItemResult<PanelOrderStatus>> {
    return await new Promise((resolve) => this.#enqueue(id, resolve))
  }

  async many (ids: number[]): Promise<Map<number, ItemResult<PanelOrderStatus>>> {
    const unique = [...new Set(ids)]
    const results = await Promise.all(unique.map(async (id) => await this.one(id)))
    return new Map(unique.map((id, i) => [id, results[i] as ItemResult<PanelOrderStatus>]))
  }

  #enqueue (id: number, waiter: Waiter): void {
    const waiters = this.#waiting.get(id)
    if (waiters !== undefined) {
      waiters.push(waiter)
      return
    }
    this.#waiting.set(id, [waiter])
    if (this.#waiting.size >= PANEL_BATCH) {
      this.#flush()
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush(), this.#options.windowMs)
    }
  }

  #flush (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = new Map(this.#waiting)
    this.#waiting.clear()
    const ids = [...batch.keys()]
    for (let i = 0; i < ids.length; i += PANEL_BATCH) {
      // #fetch settles every waiter itself, failures included
      this.#fetch(ids.slice(i, i + PANEL_BATCH), batch).catch(() => {})
    }
  }

  async #fetch (ids: number[], batch: Map<number, Waiter[]>): Promise<void> {
    this.#options.onBatch?.(ids.length)
    let results: Map<number, ItemResult<PanelOrderStatus>>
    try {
      results = await this.#panel.statusMany(ids)
    } catch (error) {
      const failed = { ok: false as const, error: asGatewayError(error) }
      for (const id of ids) for (const waiter of batch.get(id) ?? []) waiter(failed)
      return
    }
    for (const id of ids) {
      const result = results.get(id) ?? MISSING
      for (const waiter of batch.get(id) ?? []) waiter(result)
    }
  }

  close (): void {
    clearTimeout(this.#timer)
  }
}
