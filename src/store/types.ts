/** Events of an order's transition, built by the domain, written in the transaction that makes it. */
export type OrderEvents = (order: StoredOrder) => NewEvent[]
export type StatusEvents = (before: StoredOrder, after: StoredOrder) => NewEvent[]

export interface ClaimQuery {
  now: Date
  limit: number
  /** claimed rows are not due again before this: no other instance takes a poll in flight */
  leaseUntil: Date
  /** only orders placed on this panel are asked about */
  panel: string
}

export interface ClaimedOrder extends StoredOrder {
  /** when its poll was due */
  dueAt: Date
  /** polls since placing or since its status last changed, this one included */
  polls: number
}

export const ALL_SCOPES = ['services:read', 'orders:read', 'orders:write', 'refills:write', 'cancels:write', 'balance:read'] as const
export type Scope = typeof ALL_SCOPES[number]
/**
 * What a tenant created without `scopes` gets: every scope but `balance:read`.
 * The panel balance is the operator's account, shared by every tenant, so
 * seeing it move (and so others' spending) is the operator's choice to grant.
 */
export const DEFAULT_SCOPES: readonly Scope[] = ALL_SCOPES.filter((scope) => scope !== 'balance:read')

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

/**
 * The money path (DESIGN.md): reserved (budget held, nothing sent) → sending
 * (durable before the `add` leaves) → placed | rejected (the panel said no) |
 * failed (it never left) | unknown (it may have been placed). rejected and
 * failed release the budget; unknown holds it until an operator resolves it.
 */
export type OrderState = 'reserved' | 'sending' | 'placed' | 'rejected' | 'failed' | 'unknown'

export interface StoredOrder {
  /** our own row id (cursor, foreign keys) */
  localId: number
  /** the gateway's order id, as clients see it */
  id: number
  /** which panel it was sent to; null for rows from before 0003 until adopted */
  panel: string | null
  /** the panel's order id once known */
  panelOrderId: number | null
  /** a newer order got the same panel id: the panel's answers about it are another order's */
  panelSuperseded: boolean
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
  /** the panel it will be sent to */
  panel: string
  service: number
  request: Record<string, unknown>
  quantity: number | null
  estimatedCharge: string | null
  dailyBudget: string | null
  monthlyBudget: string | null
  /** the Idempotency-Key claim this order belongs to: linked in the same transaction */
  idempotencyKey?: string
  now?: Date
}

export type ReserveResult =
  | { ok: true, localId: number, id: number }
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
  tenantId: number
  /** the order's row */
  orderLocalId: number
  panel: string
  panelRefillId: number
}

export interface StoredRefill {
  /** the gateway's refill id */
  id: number
  panel: string | null
  panelRefillId: number
  /** the gateway's order id */
  orderId: number
  orderLocalId: number
  tenantId: number
  createdAt: Date
  /** the normalised status last seen (pending when recorded); null on rows from before 0004 */
  status: string | null
  upstreamStatus: string | null
  final: boolean
  /** polls since recorded or since its status last changed */
  polls: number
}

export interface RefillStatusUpdate {
  status: string
  upstreamStatus: string
  final: boolean
}

export type RefillEvents = (before: StoredRefill, after: StoredRefill) => NewEvent[]

export interface ClaimedRefill extends StoredRefill {
  dueAt: Date
}

/** What an operator found on the panel for an order whose outcome was unknown. */
export type Resolution = { outcome: 'placed', panelOrderId: number } | { outcome: 'not_placed' }

export type ResolveResult =
  | { ok: true, order: StoredOrder }
  | { ok: false, reason: 'not_found' | 'not_unknown' | 'panel_id_taken', order?: StoredOrder }

export interface ListOrdersQuery {
  limit: number
  /** a public order id (a page's last): only orders older than that one */
  after?: number
  status?: string
}

/** Operators' listing of one state across tenants; `after` as in ListOrdersQuery. */
export interface LedgerQuery {
  limit: number
  after?: number
}

export interface ClaimIdempotency {
  tenantId: number
  key: string
  fingerprint: string
  route: string
  ttlSeconds: number
  /**
   * A claim (or its order) untouched since before this belongs to a process
   * that died mid-request (the panel timeout plus a margin ago): an order
   * still `sending` becomes `unknown`, one never sent is released and the
   * claim taken over. Without it a claim stays in flight.
   */
  staleBefore?: Date
  /**
   * The work records its progress in an order (POST /orders), so a stale
   * claim without a sent order is safe to take over. Other work (refill,
   * cancel) leaves no trace: a stale claim of it is `unknown`.
   */
  ledger?: boolean
  now?: Date
}

export type ClaimResult =
  | { state: 'claimed' }
  | { state: 'in_flight' }
  | { state: 'mismatch' }
  | { state: 'done', status: number, body: unknown, headers: Record<string, string> }
  /** the answer was never stored, but the order it placed was */
  | { state: 'placed', order: StoredOrder }
  | { state: 'unknown', order?: StoredOrder }

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

/**
 * Who sees an event: a tenant's own (`tenantId`), or, for an event about the
 * panel (`tenantId` null), every tenant holding `scope` whose allowed services
 * admit `service`.
 */
export interface EventAudience {
  scope: Scope | string | null
  service: { id: number, category: string } | null
}

export interface NewEvent {
  type: string
  tenantId: number | null
  audience?: Partial<EventAudience>
  /** what the event says: `data.order` as GET /orders/:id shows it, `data.service`, `data.previous`… */
  data: Record<string, unknown>
  createdAt?: Date
}

export interface StoredEvent {
  /** row id: the feed's order */
  localId: number
  /** `evt_…`, the webhook-id of its deliveries */
  id: string
  type: string
  tenantId: number | null
  audience: EventAudience
  data: Record<string, unknown>
  createdAt: Date
}

export interface EventsQuery {
  limit: number
  /** an event id (a page's last): only events after it */
  after?: string
  types?: string[]
  createdAfter?: Date
}

// --- Webhooks (src/store/webhooks.ts) ---
export interface NewEndpoint {
  /** null: an operator's endpoint, which receives every event */
  tenantId: number | null
  url: string
  /** null: every type */
  events: string[] | null
  secret: string
}

export interface EndpointPatch {
  url?: string
  events?: string[] | null
  enabled?: boolean
}

export interface WebhookEndpoint {
  id: number
  tenantId: number | null
  url: string
  events: string[] | null
  enabled: boolean
  secret: string
  /** after a rotation: still signs beside the new one until previousSecretUntil */
  previousSecret: string | null
  previousSecretUntil: Date | null
  /** its first failure since its last success */
  failingSince: Date | null
  disabledReason: string | null
  createdAt: Date
  updatedAt: Date
}

export interface WebhookAttempt {
  attempt: number
  status: number | null
  error: string | null
  excerpt: string | null
  durationMs: number
  at: Date
}

export interface WebhookDelivery {
  localId: number
  id: number
  endpointId: number
  eventId: string
  eventType: string
  state: 'pending' | 'succeeded' | 'failed'
  attempts: number
  nextAttemptAt: Date | null
  lastAttemptAt: Date | null
  lastStatus: number | null
  lastError: string | null
  createdAt: Date
  attemptsLog: WebhookAttempt[]
}

export interface ClaimedDelivery {
  delivery: WebhookDelivery
  event: StoredEvent
  endpoint: WebhookEndpoint
}

export interface WebhookAttemptResult {
  status: number | null
  error: string | null
  excerpt: string | null
  durationMs: number
  succeeded: boolean
  /** null: no attempt left, the delivery has failed */
  nextAttemptAt: Date | null
}

export interface DeliveriesPage {
  items: WebhookDelivery[]
  /** the last item's row id, when more follow */
  nextCursor: number | null
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
   * reserved/sending/placed/unknown orders (the reported charge, else the
   * estimate) in the current UTC day and month plus this estimate must stay
   * within each. With `idempotencyKey`, links the claim to the new order.
   */
  reserveOrder (o: ReserveOrder): Promise<ReserveResult>
  /** reserved → sending, durable before the add leaves; false when it is no longer reserved (a stale claim was taken over): do not send */
  markSending (localId: number): Promise<boolean>
  /**
   * sending | unknown → placed on `panel` with its id. Another order holding
   * the same panel id (a reset panel hands ids out again) is superseded, never
   * merged; their count is returned. False when the order was in another state.
   */
  markPlaced (localId: number, panel: string, panelOrderId: number, events?: OrderEvents, nextPollAt?: Date): Promise<{ placed: boolean, superseded: number }>
  /** sending → rejected: the panel refused it; releases the budget */
  markRejected (localId: number): Promise<boolean>
  /** reserved | sending → failed: it never reached the panel; releases the budget */
  markFailed (localId: number): Promise<boolean>
  /** sending → unknown: it may have been placed; the budget stays held */
  markUnknown (localId: number, events?: OrderEvents): Promise<boolean>
  /** an operator's finding for an unknown order (by the gateway's id, any tenant) */
  resolveOrder (id: number, resolution: Resolution, events?: OrderEvents, nextPollAt?: Date): Promise<ResolveResult>
  /** the crash sweep: sending → unknown and reserved → failed for orders untouched since `staleBefore` */
  reapStaleOrders (staleBefore: Date, events?: OrderEvents): Promise<{ unknown: StoredOrder[], released: number }>
  /** rows from before 0003 belong to the panel configured when they are first opened */
  adoptPanel (panel: string): Promise<void>
  /** by the gateway's id, only the tenant's own */
  getOrder (tenantId: number, id: number): Promise<StoredOrder | undefined>
  /** by the gateway's ids, only the tenant's own */
  getOrders (tenantId: number, ids: number[]): Promise<Map<number, StoredOrder>>
  /** the tenant's placed and unknown orders, newest first; undefined when `after` names no order of this tenant */
  listOrders (tenantId: number, q: ListOrdersQuery & { after?: undefined }): Promise<StoredOrder[]>
  listOrders (tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[] | undefined>
  /** operators: orders in one state across tenants, newest first; undefined when `after` names no order */
  listOrdersInState (state: OrderState, q: LedgerQuery & { after?: undefined }): Promise<StoredOrder[]>
  listOrdersInState (state: OrderState, q: LedgerQuery): Promise<StoredOrder[] | undefined>
  /** by our row id (from getOrder/getOrders), only the tenant's own; the row after (undefined: not the tenant's) */
  updateOrderStatus (tenantId: number, localId: number, s: OrderStatusUpdate, events?: StatusEvents, nextPollAt?: Date | null): Promise<StoredOrder | undefined>

  /** a refill the panel accepted; returns it with the gateway's id */
  recordRefill (r: NewRefill, now?: Date, nextPollAt?: Date): Promise<StoredRefill>
  /** by the gateway's refill id: the status read, its events in the same transaction; a final status ends the schedule */
  updateRefillStatus (id: number, s: RefillStatusUpdate, events?: RefillEvents, nextPollAt?: Date | null): Promise<StoredRefill | undefined>
  /** by the gateway's refill ids, only the tenant's own */
  getRefills (tenantId: number, ids: number[]): Promise<Map<number, StoredRefill>>

  /** atomic per (tenantId, key); an expired record counts as absent */
  claimIdempotency (r: ClaimIdempotency): Promise<ClaimResult>
  completeIdempotency (r: CompleteIdempotency): Promise<void>
  /**
   * Forgets an in-flight claim whose work reached nobody: never one whose
   * order was sent (sending, placed, unknown), whatever the caller thinks.
   */
  releaseIdempotency (tenantId: number, key: string): Promise<void>
  /** the work may have reached the panel: retries must answer upstream_outcome_unknown */
  markIdempotencyUnknown (tenantId: number, key: string): Promise<void>
  /** housekeeping: deletes expired records, returns how many */
  purgeIdempotency (now?: Date): Promise<number>

  usage (tenantId: number, q: { days: number, now?: Date }): Promise<Usage>
  spend (tenantId: number, now?: Date): Promise<{ today: string, month: string }>

  // --- Events (src/store/events.ts) ---
  /** Events written on their own (a panel check, an operator's action), in one transaction with their deliveries. */
  recordEvents (events: NewEvent[], now?: Date): Promise<StoredEvent[]>
  /** the tenant's events (its own and the panel events it may see; undefined tenant: all), oldest first; undefined when `after` names no event it may see */
  listEvents (tenant: Pick<Tenant, 'id' | 'scopes' | 'allowedServices'> | undefined, q: EventsQuery): Promise<StoredEvent[] | undefined>
  /** retention: deletes events created before `before` (and their deliveries) */
  purgeEvents (before: Date): Promise<number>

  // --- Webhooks (src/store/webhooks.ts); owner: a tenant's id, or null for an operator, who sees every endpoint ---
  createEndpoint (e: NewEndpoint, now?: Date): Promise<WebhookEndpoint>
  getEndpoint (owner: number | null, id: number): Promise<WebhookEndpoint | undefined>
  listEndpoints (owner: number | null): Promise<WebhookEndpoint[]>
  /** re-enabling clears failingSince and disabledReason */
  updateEndpoint (owner: number | null, id: number, patch: EndpointPatch, now?: Date): Promise<WebhookEndpoint | undefined>
  deleteEndpoint (owner: number | null, id: number): Promise<boolean>
  /** the current secret goes on signing beside the new one until previousUntil */
  rotateSecret (owner: number | null, id: number, newSecret: string, previousUntil: Date, now?: Date): Promise<WebhookEndpoint | undefined>
  /** due pending deliveries to enabled endpoints, each held until leaseUntil; no two instances take the same one */
  claimDueDeliveries (q: { now: Date, limit: number, leaseUntil: Date }): Promise<ClaimedDelivery[]>
  /** logs an attempt and moves the delivery on; returns the endpoint as it now is */
  recordAttempt (delivery: Pick<WebhookDelivery, 'localId' | 'endpointId' | 'attempts'>, r: WebhookAttemptResult, now?: Date): Promise<WebhookEndpoint | undefined>
  /** disables it and writes webhook.disabled in the same transaction; undefined when it was not enabled */
  disableEndpoint (id: number, reason: string, now?: Date): Promise<WebhookEndpoint | undefined>
  /** newest first with their attempts; undefined when the endpoint is not the owner's */
  listDeliveries (owner: number | null, endpointId: number, q: { limit: number, cursor?: number }): Promise<DeliveriesPage | undefined>
  /** failed deliveries created since `since` are due again now; how many; undefined when the endpoint is not the owner's */
  replayDeliveries (owner: number | null, endpointId: number, since: Date, now?: Date): Promise<number | undefined>
  // --- Tracker (src/store/tracking.ts) ---
  /** claims orders due a poll: their next poll moves to `leaseUntil`, their poll count grows */
  claimDueOrders (q: ClaimQuery): Promise<ClaimedOrder[]>
  /** the next poll of a claimed order (null: no more) */
  scheduleOrder (localId: number, nextPollAt: Date | null): Promise<void>
  claimDueRefills (q: ClaimQuery): Promise<ClaimedRefill[]>
  scheduleRefill (id: number, nextPollAt: Date | null): Promise<void>
  orderSchedule (localId: number): Promise<{ nextPollAt: Date | null, polls: number } | undefined>
  /** non-final orders and refills with a next poll */
  countTracked (): Promise<{ orders: number, refills: number, oldestDue: Date | null }>
  // --- balance watch (src/store/balance-state.ts) ---
  /** what placed/unknown orders of every tenant created since `since` cost (charges, else estimates) */
  panelSpentSince (since: Date): Promise<string>
  /** records whether the panel balance is low; appends `event` only on crossing into low */
  recordBalanceLow (low: boolean, event: NewEvent, now: Date): Promise<StoredEvent | undefined>

  // --- catalog changes (src/store/catalog.ts) ---
  /** stores the panel's catalog and appends the events `diff` derives from the previous one (undefined: none stored, the baseline) */
  recordCatalog (panel: string, services: Array<{ id: number, data: unknown }>, diff: (previous: Map<number, unknown> | undefined) => NewEvent[], now: Date): Promise<StoredEvent[]>

  /** readiness: one round trip */
  ping (): Promise<void>
  /** idempotent */
  close (): Promise<void>
}
