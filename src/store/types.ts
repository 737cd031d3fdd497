export type Scope = 'services:read' | 'orders:read' | 'orders:write' | 'refills:write' | 'cancels:write' | 'balance:read'

export const ALL_SCOPES: Scope[] = ['services:read', 'orders:read', 'orders:write', 'refills:write', 'cancels:write', 'balance:read']

export interface AllowedServices {
  ids: number[]
  categories: string[]
}

export interface Tenant {
  id: number
  name: string
  scopes: Scope[]
  rateLimitPerMinute: number | null
  dailyBudget: string | null
  monthlyBudget: string | null
  /** null = every service */
  allowedServices: AllowedServices | null
  disabled: boolean
  createdAt: Date
  updatedAt: Date
}

export interface NewTenant {
  name: string
  scopes: Scope[]
  rateLimitPerMinute?: number | null
  dailyBudget?: string | null
  monthlyBudget?: string | null
  allowedServices?: AllowedServices | null
}

export type TenantPatch = Partial<NewTenant> & { disabled?: boolean }

export interface ApiKey {
  id: number
  tenantId: number
  prefix: string
  /** hex SHA-256 of the whole key */
  hash: string
  createdAt: Date
  expiresAt: Date | null
  revokedAt: Date | null
  lastUsedAt?: Date | null
}

export interface NewApiKey {
  tenantId: number
  prefix: string
  hash: string
  expiresAt?: Date | null
}

/** reserved = budget held while the add is in flight; unknown = the add's outcome was lost (budget stays held). */
export type OrderState = 'reserved' | 'placed' | 'failed' | 'unknown'

export interface StoredOrder {
  /** our own row id */
  localId: number
  /** the panel's order id once known */
  id: number | null
  tenantId: number
  service: number
  /** the validated request fields */
  request: Record<string, unknown>
  quantity: number | null
  estimatedCharge: string | null
  /** the last charge the panel reported */
  charge: string | null
  state: OrderState
  status: string | null
  upstreamStatus: string | null
  startCount: number | null
  remains: number | null
  currency: string | null
  final: boolean
  createdAt: Date
  updatedAt: Date
}

export interface ReserveOrder {
  tenantId: number
  service: number
  request: Record<string, unknown>
  quantity: number | null
  estimatedCharge: string | null
  dailyBudget: string | null
  monthlyBudget: string | null
  now?: Date
}

export type ReserveResult =
  | { ok: true, localId: number }
  | { ok: false, limit: 'daily' | 'monthly', spent: string, budget: string }

export interface OrderStatusUpdate {
  status: string
  upstreamStatus: string
  charge: string | null
  startCount: number | null
  remains: number | null
  currency: string | null
  final: boolean
}

export interface NewRefill {
  /** the panel's refill id */
  id: number
  /** the panel's order id */
  orderId: number
  tenantId: number
}

export interface StoredRefill extends NewRefill {
  createdAt: Date
}

export interface ListOrdersQuery {
  limit: number
  /** localId cursor: only orders older than this one */
  before?: number
  status?: string
}

export interface ClaimIdempotency {
  tenantId: number
  key: string
  fingerprint: string
  route: string
  ttlSeconds: number
  /** A claim still in flight after this long belongs to a process that died mid-call: report it as `unknown`. */
  inFlightSeconds?: number
  now?: Date
}

export type ClaimResult =
  | { state: 'claimed' }
  | { state: 'in_flight' }
  | { state: 'mismatch' }
  | { state: 'done', status: number, body: unknown, headers: Record<string, string> }
  | { state: 'unknown' }

export interface CompleteIdempotency {
  tenantId: number
  key: string
  status: number
  body: unknown
  headers: Record<string, string>
}

export interface Usage {
  /** oldest first, one entry per UTC day (zero-filled), ending today */
  days: Array<{ day: string, orders: number, spend: string }>
  /** oldest first, every UTC month the days touch (whole-month totals) */
  months: Array<{ month: string, orders: number, spend: string }>
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres'

  createTenant (t: NewTenant): Promise<Tenant>
  getTenant (id: number): Promise<Tenant | undefined>
  /** ordered by id, ids greater than `after` */
  listTenants (page: { limit: number, after?: number }): Promise<Tenant[]>
  /** undefined fields stay as they are; null clears */
  updateTenant (id: number, patch: TenantPatch): Promise<Tenant | undefined>

  createKey (k: NewApiKey): Promise<ApiKey>
  /** the prefix is unique */
  findKeyByPrefix (prefix: string): Promise<ApiKey | undefined>
  listKeys (tenantId: number): Promise<ApiKey[]>
  /** sets revokedAt once (idempotent) and returns the key */
  revokeKey (id: number, now?: Date): Promise<ApiKey | undefined>
  getKey (id: number): Promise<ApiKey | undefined>
  /** records lastUsedAt */
  touchKey (id: number, now?: Date): Promise<void>

  /**
   * Atomically holds the estimate against the tenant's budgets: the spend of its
   * reserved/placed/unknown orders (the reported charge, else the estimate) in
   * the current UTC day and month plus this estimate must stay within each.
   */
  reserveOrder (o: ReserveOrder): Promise<ReserveResult>
  markPlaced (localId: number, upstreamId: number): Promise<void>
  /** releases the budget */
  markFailed (localId: number): Promise<void>
  /** keeps the budget held */
  markUnknown (localId: number): Promise<void>
  /** by the panel's id, only the tenant's own */
  getOrder (tenantId: number, id: number): Promise<StoredOrder | undefined>
  /** by the panel's ids, only the tenant's own */
  getOrders (tenantId: number, ids: number[]): Promise<Map<number, StoredOrder>>
  /** placed orders only, newest first */
  listOrders (tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[]>
  /** by our row id (from getOrder/getOrders), only the tenant's own; panel ids may repeat */
  updateOrderStatus (tenantId: number, localId: number, s: OrderStatusUpdate): Promise<void>

  /** every record is kept, even of a refill id seen before (a replaced panel repeats them) */
  recordRefill (r: NewRefill): Promise<void>
  /** which of these refill ids belong to the tenant; a repeated id resolves to its newest record */
  getRefills (tenantId: number, ids: number[]): Promise<Map<number, StoredRefill>>

  /** atomic per (tenantId, key); an expired record counts as absent */
  claimIdempotency (r: ClaimIdempotency): Promise<ClaimResult>
  completeIdempotency (r: CompleteIdempotency): Promise<void>
  /** the call failed before reaching the panel: forget an in-flight claim */
  releaseIdempotency (tenantId: number, key: string): Promise<void>
  /** the add may have reached the panel: retries must answer upstream_outcome_unknown */
  markIdempotencyUnknown (tenantId: number, key: string): Promise<void>
  /** housekeeping: deletes expired records, returns how many */
  purgeIdempotency (now?: Date): Promise<number>

  usage (tenantId: number, q: { days: number, now?: Date }): Promise<Usage>
  spend (tenantId: number, now?: Date): Promise<{ today: string, month: string }>

  /** readiness: one round trip */
  ping (): Promise<void>
  /** idempotent */
  close (): Promise<void>
}
