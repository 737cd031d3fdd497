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
import type {
  ApiKey, ClaimIdempotency, EventsQuery, NewEvent, StoredEvent, ClaimResult, CompleteIdempotency, LedgerQuery, ListOrdersQuery, NewApiKey, NewRefill, NewTenant,
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
  markPlaced (localId: number, panel: string, panelOrderId: number): Promise<{ placed: boolean, superseded: number }> { return orders.markPlaced(this.#ctx, localId, panel, panelOrderId) }
  markRejected (localId: number): Promise<boolean> { return orders.markRejected(this.#ctx, localId) }
  markFailed (localId: number): Promise<boolean> { return orders.markFailed(this.#ctx, localId) }
  markUnknown (localId: number): Promise<boolean> { return orders.markUnknown(this.#ctx, localId) }
  resolveOrder (id: number, resolution: Resolution): Promise<ResolveResult> { return orders.resolveOrder(this.#ctx, id, resolution) }
  reapStaleOrders (staleBefore: Date): Promise<{ unknown: StoredOrder[], released: number }> { return orders.reapStaleOrders(this.#ctx, staleBefore) }
  adoptPanel (panel: string): Promise<void> { return orders.adoptPanel(this.#ctx, panel) }
  getOrder (tenantId: number, id: number): Promise<StoredOrder | undefined> { return orders.getOrder(this.#ctx, tenantId, id) }
  getOrders (tenantId: number, ids: number[]): Promise<Map<number, StoredOrder>> { return orders.getOrders(this.#ctx, tenantId, ids) }
  listOrders (tenantId: number, q: ListOrdersQuery & { after?: undefined }): Promise<StoredOrder[]>
  listOrders (tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[] | undefined>
  listOrders (tenantId: number, q: ListOrdersQuery): Promise<StoredOrder[] | undefined> { return orders.listOrders(this.#ctx, tenantId, q) }
  listOrdersInState (state: OrderState, q: LedgerQuery & { after?: undefined }): Promise<StoredOrder[]>
  listOrdersInState (state: OrderState, q: LedgerQuery): Promise<StoredOrder[] | undefined>
  listOrdersInState (state: OrderState, q: LedgerQuery): Promise<StoredOrder[] | undefined> { return orders.listOrdersInState(this.#ctx, state, q) }
  updateOrderStatus (tenantId: number, localId: number, s: OrderStatusUpdate): Promise<void> { return orders.updateOrderStatus(this.#ctx, tenantId, localId, s) }

  recordRefill (r: NewRefill): Promise<StoredRefill> { return refills.recordRefill(this.#ctx, r) }
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
