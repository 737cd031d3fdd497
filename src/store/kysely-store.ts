import { sql } from 'kysely'
import type { Db, Dialect } from './db.js'
import { StoreContext } from './db.js'
import * as events from './events.js'
import * as idempotency from './idempotency.js'
import * as keys from './keys.js'
import * as orders from './orders.js'
import * as refills from './refills.js'
import * as spending from './spend.js'
import * as balanceState from './balance-state.js'
import * as catalogState from './catalog.js'
import * as tenants from './tenants.js'
import * as webhooks from './webhooks.js'
import * as tracking from './tracking.js'
import type {
  ClaimedDelivery, DeliveriesPage, EndpointPatch, NewEndpoint, WebhookAttemptResult, WebhookDelivery, WebhookEndpoint,
  ApiKey, ClaimIdempotency, ClaimQuery, ClaimedOrder, ClaimedRefill, RefillEvents, RefillStatusUpdate, OrderEvents, StatusEvents, EventsQuery, NewEvent, StoredEvent, ClaimResult, CompleteIdempotency, LedgerQuery, ListOrdersQuery, NewApiKey, NewRefill, NewTenant,
  OrderState, OrderStatusUpdate, ReserveOrder, ReserveResult, Resolution, ResolveResult, Store, StoredOrder, StoredRefill, Tenant, TenantPatch, Usage
} from './types.js'

/** The Store over Kysely; each concern lives in its own module. */
export class KyselyStore implements Store {
  readonly dialect: Dialect
  readonly #ctx: StoreContext
  #closing: Promise<void> | undefined

  constructor (db: Db, dialect: Dialect) {
    this.dialect = dialect
    this.#ctx = new StoreContext(db, dialect)
  }

  /** For tests and tooling that need raw SQL. */
  get db (): Db {
    return this.#ctx.db
  }

  createTenant (t: NewTenant): Promise<Tenant> { return tenants.createTenant(this.#ctx, t) }
  getTenant (id: number): Promise<Tenant | undefined> { return tenants.getTenant(this.#ctx, id) }
  listTenants (page: { limit: number, after?: number }): Promise<Tenant[]> { return tenants.listTenants(this.#ctx, page) }
  updateTenant (id: number, patch: TenantPatch): Promise<Tenant | undefined> { return tenants.updateTenant(this.#ctx, id, patch) }

  createKey (k: NewApiKey): Promise<ApiKey> { return keys.createKey(this.#ctx, k) }
  findKeyByPrefix (prefix: string): Promise<ApiKey | undefined> { return keys.findKeyByPrefix(this.#ctx, prefix) }
  listKeys (tenantId: number): Promise<ApiKey[]> { return keys.listKeys(this.#ctx, tenantId) }
  revokeKey (id: number, now?: Date): Promise<ApiKey | undefined> { return keys.revokeKey(this.#ctx, id, now) }
  getKey (id: number): Promise<ApiKey | undefined> { return keys.getKey(this.#ctx, id) }
  touchKey (id: number, now?: Date): Promise<void> { return keys.touchKey(this.#ctx, id, now) }

  reserveOrder (o: ReserveOrder): Promise<ReserveResult> { return orders.reserveOrder(this.#ctx, o) }
  markSending (localId: number): Promise<boolean> { return orders.markSending(this.#ctx, localId) }
  markPlaced (localId: number, panel: string, panelOrderId: number, events?: OrderEvents, nextPollAt?: Date): Promise<{ placed: boolean, superseded: number }> { return orders.markPlaced(this.#ctx, localId, panel, panelOrderId, events, nextPollAt) }
  markRejected (localId: number): Promise<boolean> { return orders.markRejected(this.#ctx, localId) }
  markFailed (localId: number): Promise<boolean> { return orders.markFailed(this.#ctx, localId) }
  markUnknown (localId: number, events?: OrderEvents): Promise<boolean> { return orders.markUnknown(this.#ctx, localId, events) }
  resolveOrder (id: number, resolution: Resolution, events?: OrderEvents, nextPollAt?: Date): Promise<ResolveResult> { return orders.resolveOrder(this.#ctx, id, resolution, events, nextPollAt) }
  reapStaleOrders (staleBefore: Date, events?: OrderEvents): Promise<{ unknown: StoredOrder[], released: number }> { return orders.reapStaleOrders(this.#ctx, staleBefore, events) }
  adoptPanel (panel: string): Promise<void> { return orders.adoptPanel(this.#ctx, panel) }
  getOrder (tenantId: number, id: number): Promise<StoredOrder | undefined> { return orders.getOrder(this.#ctx, tenantId, id) }
  getOrders (tenantId: number, ids: number[]): Promise<Map<number, StoredOrder>> { return orders.getOrders(this.#ctx, tenantId, ids) }
  listOrders (tenantId: number, q: ListOrdersQuery & { after?: undefined }): Promise<StoredOrder[]>
  listOrders (tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[] | undefined>
  listOrders (tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[] | undefined> { return orders.listOrders(this.#ctx, tenantId, q) }
  listOrdersInState (state: OrderState, q: LedgerQuery & { after?: undefined }): Promise<StoredOrder[]>
  listOrdersInState (state: OrderState, q: LedgerQuery): Promise<StoredOrder[] | undefined>
  listOrdersInState (state: OrderState, q: LedgerQuery): Promise<StoredOrder[] | undefined> { return orders.listOrdersInState(this.#ctx, state, q) }
  updateOrderStatus (tenantId: number, localId: number, s: OrderStatusUpdate, events?: StatusEvents, nextPollAt?: Date | null): Promise<StoredOrder | undefined> { return orders.updateOrderStatus(this.#ctx, tenantId, localId, s, events, nextPollAt) }

  recordRefill (r: NewRefill, now?: Date, nextPollAt?: Date): Promise<StoredRefill> { return refills.recordRefill(this.#ctx, r, now, nextPollAt) }
  updateRefillStatus (id: number, s: RefillStatusUpdate, events?: RefillEvents, nextPollAt?: Date | null): Promise<StoredRefill | undefined> { return refills.updateRefillStatus(this.#ctx, id, s, events, nextPollAt) }
  getRefills (tenantId: number, ids: number[]): Promise<Map<number, StoredRefill>> { return refills.getRefills(this.#ctx, tenantId, ids) }

  claimIdempotency (r: ClaimIdempotency): Promise<ClaimResult> { return idempotency.claimIdempotency(this.#ctx, r) }
  completeIdempotency (r: CompleteIdempotency): Promise<void> { return idempotency.completeIdempotency(this.#ctx, r) }
  releaseIdempotency (tenantId: number, key: string): Promise<void> { return idempotency.releaseIdempotency(this.#ctx, tenantId, key) }
  markIdempotencyUnknown (tenantId: number, key: string): Promise<void> { return idempotency.markIdempotencyUnknown(this.#ctx, tenantId, key) }
  purgeIdempotency (now?: Date): Promise<number> { return idempotency.purgeIdempotency(this.#ctx, now) }

  usage (tenantId: number, q: { days: number, now?: Date }): Promise<Usage> { return spending.usage(this.#ctx, tenantId, q) }
  spend (tenantId: number, now?: Date): Promise<{ today: string, month: string }> { return spending.spend(this.#ctx, tenantId, now) }

  recordEvents (list: NewEvent[], now?: Date): Promise<StoredEvent[]> { return events.recordEvents(this.#ctx, list, now) }
  listEvents (tenant: Pick<Tenant, 'id' | 'scopes' | 'allowedServices'> | undefined, q: EventsQuery): Promise<StoredEvent[] | undefined> { return events.listEvents(this.#ctx, tenant, q) }
  purgeEvents (before: Date): Promise<number> { return events.purgeEvents(this.#ctx, before) }

  // --- Webhooks ---
  createEndpoint (e: NewEndpoint, now?: Date): Promise<WebhookEndpoint> { return webhooks.createEndpoint(this.#ctx, e, now) }
  getEndpoint (owner: number | null, id: number): Promise<WebhookEndpoint | undefined> { return webhooks.getEndpoint(this.#ctx, owner, id) }
  listEndpoints (owner: number | null): Promise<WebhookEndpoint[]> { return webhooks.listEndpoints(this.#ctx, owner) }
  updateEndpoint (owner: number | null, id: number, patch: EndpointPatch, now?: Date): Promise<WebhookEndpoint | undefined> { return webhooks.updateEndpoint(this.#ctx, owner, id, patch, now) }
  deleteEndpoint (owner: number | null, id: number): Promise<boolean> { return webhooks.deleteEndpoint(this.#ctx, owner, id) }
  rotateSecret (owner: number | null, id: number, newSecret: string, previousUntil: Date, now?: Date): Promise<WebhookEndpoint | undefined> { return webhooks.rotateSecret(this.#ctx, owner, id, newSecret, previousUntil, now) }
  claimDueDeliveries (q: { now: Date, limit: number, leaseUntil: Date }): Promise<ClaimedDelivery[]> { return webhooks.claimDueDeliveries(this.#ctx, q) }
  recordAttempt (delivery: Pick<WebhookDelivery, 'localId' | 'endpointId' | 'attempts'>, r: WebhookAttemptResult, now?: Date): Promise<WebhookEndpoint | undefined> { return webhooks.recordAttempt(this.#ctx, delivery, r, now) }
  disableEndpoint (id: number, reason: string, now?: Date): Promise<WebhookEndpoint | undefined> { return webhooks.disableEndpoint(this.#ctx, id, reason, now) }
  listDeliveries (owner: number | null, endpointId: number, q: { limit: number, cursor?: number }): Promise<DeliveriesPage | undefined> { return webhooks.listDeliveries(this.#ctx, owner, endpointId, q) }
  replayDeliveries (owner: number | null, endpointId: number, since: Date, now?: Date): Promise<number | undefined> { return webhooks.replayDeliveries(this.#ctx, owner, endpointId, since, now) }
  // --- Tracker (src/store/tracking.ts) ---
  claimDueOrders (q: ClaimQuery): Promise<ClaimedOrder[]> { return tracking.claimDueOrders(this.#ctx, q) }
  scheduleOrder (localId: number, nextPollAt: Date | null): Promise<void> { return tracking.scheduleOrder(this.#ctx, localId, nextPollAt) }
  claimDueRefills (q: ClaimQuery): Promise<ClaimedRefill[]> { return refills.claimDueRefills(this.#ctx, q) }
  scheduleRefill (id: number, nextPollAt: Date | null): Promise<void> { return refills.scheduleRefill(this.#ctx, id, nextPollAt) }
  orderSchedule (localId: number): Promise<{ nextPollAt: Date | null, polls: number } | undefined> { return tracking.orderSchedule(this.#ctx, localId) }
  countTracked (): Promise<{ orders: number, refills: number, oldestDue: Date | null }> { return tracking.countTracked(this.#ctx) }
  // --- balance watch ---
  panelSpentSince (since: Date): Promise<string> { return balanceState.panelSpentSince(this.#ctx, since) }
  recordBalanceLow (low: boolean, event: NewEvent, now: Date): Promise<StoredEvent | undefined> { return balanceState.recordBalanceLow(this.#ctx, low, event, now) }

  // --- catalog changes ---
  recordCatalog (panel: string, services: Array<{ id: number, data: unknown }>, diff: (previous: Map<number, unknown> | undefined) => NewEvent[], now: Date): Promise<StoredEvent[]> { return catalogState.recordCatalog(this.#ctx, panel, services, diff, now) }

  async ping (): Promise<void> {
    await sql`select 1`.execute(this.#ctx.db)
  }

  async close (): Promise<void> {
    this.#closing ??= this.#ctx.db.destroy()
    await this.#closing
  }
}
