import type { GatewayError } from '../problems/errors.js'

export type PanelAction =
  | 'services' | 'add' | 'status' | 'refill' | 'refill_status' | 'cancel' | 'balance'

/** Reads may be retried; `add`, `refill` and `cancel` never once sent. */
export const READ_ACTIONS: ReadonlySet<PanelAction> = new Set(['services', 'status', 'refill_status', 'balance'])

/** A catalog entry, normalised from whatever shape the panel used. */
export interface PanelService {
  id: number
  name: string
  /** Canonical (`Default`, `Custom Comments`, …); a type the gateway does not know keeps the panel's spelling. */
  type: string
  /** The type as the panel spells it (`default`, `custom_comments`, …). */
  panelType: string
  category: string
  /** Price per 1000 units, canonical decimal string ("0.9", "12.5"). */
  rate: string
  /** Order limits; null when the panel does not state one (SmartPanel writes `"max": null`). */
  min: number | null
  max: number | null
  /** Capability flags: null when the panel's catalog does not say (then the panel decides). */
  refill: boolean | null
  cancel: boolean | null
  dripfeed: boolean | null
  description?: string
}

export interface PanelOrderStatus {
  /** Canonical decimal string, null when the panel did not say. */
  charge: string | null
  startCount: number | null
  /** The panel's own status string, untouched. */
  status: string
  remains: number | null
  currency: string | null
  /** Drip-feed / subscription extras when the panel reports them. */
  runs?: number
  posts?: number
  orders?: number[]
}

export interface PanelBalance {
  balance: string
  currency: string
}

/** Fields of an `add` call, already in the panel's names (`answer_number`, …). */
export type AddFields = Record<string, string | number>

/** One item of a multi call: the value, or the item's own error. */
export type ItemResult<T> = { ok: true, value: T } | { ok: false, error: GatewayError }

/** The form fields of one call, besides `key` and `action`. */
export type PanelForm = Readonly<Record<string, string>>

/** Reads the JSON of a panel's answer into a value, or throws the GatewayError it says. */
export type ParseAnswer<T> = (json: unknown, secrets: readonly string[]) => T

export interface CallOptions {
  /** Whose call this is: the upstream limiter shares the panel fairly between tenants. */
  tenant?: string
}

/** The one call path to the panel; resilience and metrics wrap this function, nothing else. */
export type PanelCall = <T>(action: PanelAction, form: PanelForm, parse: ParseAnswer<T>, options?: CallOptions) => Promise<T>

export interface PanelTransport {
  call: PanelCall
  close: () => Promise<void>
}

export interface PanelClient {
  /** The same client, its calls counted as `tenant`'s in the fair share of the panel. */
  forTenant (tenant: number | string): PanelClient
  services (): Promise<PanelService[]>
  add (fields: AddFields): Promise<{ order: number }>
  status (order: number): Promise<PanelOrderStatus>
  /** ≤100 ids; every requested id has an entry. */
  statusMany (orders: number[]): Promise<Map<number, ItemResult<PanelOrderStatus>>>
  refill (order: number): Promise<{ refill: number }>
  refillMany (orders: number[]): Promise<Map<number, ItemResult<{ refill: number }>>>
  refillStatus (refill: number): Promise<{ status: string }>
  refillStatusMany (refills: number[]): Promise<Map<number, ItemResult<{ status: string }>>>
  /** ≤100 ids; the panel only has a multi form. */
  cancel (orders: number[]): Promise<Map<number, ItemResult<true>>>
  balance (): Promise<PanelBalance>
  close (): Promise<void>
}
