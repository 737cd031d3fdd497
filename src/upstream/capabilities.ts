import { GatewayError } from '../problems/errors.js'
import type { PanelAction } from './types.js'

/** Actions with a multi-id form (`orders=`, `refills=`) beside the single one. */
export type MultiAction = 'status' | 'refill' | 'refill_status'

export interface CapabilityLogger {
  info: (obj: object, msg?: string) => void
}

export interface CapabilitiesOptions {
  /** How long something learned holds before the panel is asked again (a panel can be upgraded). */
  relearnMs?: number
  now?: () => number
  logger?: CapabilityLogger
}

export interface CapabilitySnapshot {
  /** false: the panel answers the multi-id form with one whole-request error, so ids are asked one by one. */
  multi: Record<MultiAction, boolean | null>
  /** Actions the panel answered as unknown to it. */
  unsupported: PanelAction[]
}

const NAMES: Record<PanelAction, string> = {
  services: 'services',
  add: 'add',
  status: 'status',
  refill: 'refill',
  refill_status: 'refill status',
  cancel: 'cancel',
  balance: 'balance'
}

interface Learned<T> { value: T, at: number }

/**
 * What the panel showed it can do, learned from its answers rather than
 * assumed: whether it reads multi-id forms, and which actions it lacks.
 */
export class Capabilities {
  readonly #relearnMs: number
  readonly #now: () => number
  readonly #logger: CapabilityLogger | undefined
  readonly #multi = new Map<MultiAction, Learned<boolean>>()
  readonly #unsupported = new Map<PanelAction, Learned<GatewayError>>()

  constructor (options: CapabilitiesOptions = {}) {
    this.#relearnMs = options.relearnMs ?? 3_600_000
    this.#now = options.now ?? Date.now
    this.#logger = options.logger
  }

  /** Whether the multi-id form works: true, false, or undefined while not known. */
  multi (action: MultiAction): boolean | undefined {
    return this.#fresh(this.#multi, action)?.value
  }

  learnMulti (action: MultiAction, works: boolean): void {
    const before = this.multi(action)
    this.#multi.set(action, { value: works, at: this.#now() })
    if (before !== works && !works) {
      this.#logger?.info({ action }, `the panel does not read several ids in one ${NAMES[action]} call: asking per id`)
    }
  }

  /** Throws the remembered refusal when the panel said it lacks `action`. */
  assertOffered (action: PanelAction): void {
    const learned = this.#fresh(this.#unsupported, action)
    if (learned !== undefined) throw learned.value
  }

  /** The error to pass on; an unsupported action is remembered, and named. */
  learnFrom (action: PanelAction, err: unknown): unknown {
    if (!(err instanceof GatewayError) || err.code !== 'upstream_action_unsupported') return err
    const named = new GatewayError('upstream_action_unsupported', `The panel does not offer the ${NAMES[action]} action (${err.message})`, { cause: err })
    if (this.#fresh(this.#unsupported, action) === undefined) this.#logger?.info({ action }, `the panel does not offer ${NAMES[action]}: answering 501 without asking it`)
    this.#unsupported.set(action, { value: named, at: this.#now() })
    return named
  }

  snapshot (): CapabilitySnapshot {
    const multi = (action: MultiAction): boolean | null => this.multi(action) ?? null
    return {
      multi: { status: multi('status'), refill: multi('refill'), refill_status: multi('refill_status') },
      unsupported: [...this.#unsupported.keys()].filter((action) => this.#fresh(this.#unsupported, action) !== undefined)
    }
  }

  #fresh<K, T> (map: Map<K, Learned<T>>, key: K): Learned<T> | undefined {
    const learned = map.get(key)
    if (learned === undefined) return undefined
    if (this.#now() - learned.at < this.#relearnMs) return learned
    map.delete(key)
    return undefined
  }
}
