import type { AddressInfo } from 'node:net'
import { CallLog, type CallRecord } from './calls.js'
import { defaultCatalog, generateCatalog, type SimService } from './catalog.js'
import { createPanel, dialectBook, isDialect, type Dialect } from './dialects/index.js'
import { FaultSwitch, type Fault, type FaultOptions } from './faults.js'
import { LeakSwitch, type Leak } from './leaks.js'
import { OrderBook, type OrderStatus, type SimOrder } from './orders.js'
import type { Quirks } from './quirks.js'
import { createSimServer, type SimContext } from './server.js'

export { defaultCatalog, generateCatalog, SERVICE_TYPES, type ServiceType, type SimService } from './catalog.js'
export { FAULTS, type Fault, type FaultOptions } from './faults.js'
export { LEAKS, LEAK_REDIRECT, LEAK_URL, type Leak } from './leaks.js'
export { DIALECTS, type Dialect } from './dialects/index.js'
export { MESSAGES, RENTAL_ERRORS, SMARTPANEL_MESSAGES } from './messages.js'
export { ORDER_STATUSES, type OrderStatus, type RefillStatus, type SimOrder } from './orders.js'
export type { Quirks } from './quirks.js'
export type { CallRecord } from './calls.js'

export const DEFAULT_KEY = 'sim-secret-key'

export interface SimulatorOptions {
  /** The accepted API key, default 'sim-secret-key'. */
  key?: string
  /** Default '127.0.0.1'. */
  host?: string
  /** Default 0 (ephemeral). */
  port?: number
  /** The catalog, or N generated services; default: the default catalog. */
  services?: SimService[] | number
  /** Starting balance, default '1000.00' (currency USD). */
  balance?: string
  /** Time per status step (Pending → In progress → Completed/Partial), default 2000. */
  progressMs?: number
  /** Added to every answer, default 0. */
  latencyMs?: number
  quirks?: Quirks
  /** Answer `add` with the link-duplicate error while an order for the same link and service is active; default false. */
  rejectDuplicateLinks?: boolean
  /**
   * The panel script to speak, default 'standard' (the protocol document's API v2).
   * 'smartpanel' and 'rental' answer as the two scripts recorded in panel-api-v2.md §3.
   */
  dialect?: Dialect
  /** SmartPanel's development mode: PHP notices printed as HTML before every answer; default false. */
  phpNotices?: boolean
  /** False: the account is disabled, and every call is refused as the dialect refuses it; default true. */
  accountActive?: boolean
  /**
   * The wall clock (ms since the epoch) orders and refills progress by and
   * calls are stamped with; default Date.now. A test passes its own to freeze
   * and move the simulator's time.
   */
  clock?: { now: () => number }
}

export interface Simulator {
  /** The dialect's API, e.g. http://127.0.0.1:43123/api/v2 (SmartPanel: …/api/v1) */
  readonly url: string
  /** e.g. http://127.0.0.1:43123 */
  readonly origin: string
  readonly key: string
  readonly dialect: Dialect
  setFault: (fault: Fault | null, options?: FaultOptions) => void
  /** Answers that echo the key the call carried and the panel's internal addresses (see leaks.ts); null: none. */
  setLeak: (leak: Leak | null, options?: { actions?: string[] }) => void
  setLatency: (ms: number) => void
  /** The standard dialect's variants; other dialects refuse any (RangeError). */
  setQuirks: (quirks: Quirks) => void
  /** SmartPanel only (RangeError elsewhere): PHP notices before every answer, or not. */
  setPhpNotices: (on: boolean) => void
  /** Disables or enables the account: `{"error":"Your account is inactive","status":"103"}` on the rental panel. */
  setAccountActive: (active: boolean) => void
  /** Calls received per action (every call to the API path, faults included; 'unknown' when no action); no argument: total. */
  calls: (action?: string) => number
  /** The calls received, oldest first, fields without the key. */
  callLog: () => CallRecord[]
  resetCalls: () => void
  /** Pins an order's status (it stops progressing); Partial and Canceled refund the undelivered part. */
  setOrderStatus: (order: number, status: OrderStatus, fields?: { remains?: number, startCount?: number }) => void
  setBalance: (balance: string) => void
  /** Adds a service to the catalog, or changes the fields given of one (every dialect lists it). */
  setService: (service: Partial<SimService> & { service: number }) => SimService
  removeService: (id: number) => boolean
  order: (id: number) => SimOrder | undefined
  close: () => Promise<void>
}

function catalogOf (services: SimService[] | number | undefined): SimService[] {
  if (services === undefined) return defaultCatalog()
  if (typeof services === 'number') return generateCatalog(services)
  return services.map((s) => ({ ...s }))
}

function checkLatency (ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a non-negative number of ms: ${ms}`)
  return ms
}

/** Starts a panel speaking API v2 in the given dialect, on `POST <origin>/api/v2` (SmartPanel: `/api/v1`). */
export async function startSimulator (options: SimulatorOptions = {}): Promise<Simulator> {
  const key = options.key ?? DEFAULT_KEY
  if (typeof key !== 'string' || key === '') throw new RangeError('the simulator key must be a non-empty string')
  const dialect = options.dialect ?? 'standard'
  if (!isDialect(dialect)) throw new RangeError(`not a simulator dialect: ${String(dialect)}`)
  const host = options.host ?? '127.0.0.1'
  const clock = options.clock ?? { now: () => Date.now() }
  const book = new OrderBook({
    catalog: catalogOf(options.services),
    balance: options.balance ?? '1000.00',
    progressMs: options.progressMs ?? 2000,
    rejectDuplicateLinks: options.rejectDuplicateLinks ?? false,
    now: clock.now,
    ...dialectBook(dialect)
  })
  const panel = createPanel(dialect, { key, book, quirks: options.quirks, phpNotices: options.phpNotices })
  panel.accountActive = options.accountActive ?? true
  const ctx: SimContext = {
    book,
    panel,
    faults: new FaultSwitch(),
    leaks: new LeakSwitch(),
    calls: new CallLog(clock.now),
    now: clock.now,
    latencyMs: checkLatency(options.latencyMs ?? 0)
  }
  const { server, close } = createSimServer(ctx)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  return {
    url: origin + panel.apiPath,
    origin,
    key,
    dialect,
    setFault: (fault, faultOptions) => ctx.faults.set(fault, faultOptions),
    setLeak: (leak, leakOptions) => ctx.leaks.set(leak, leakOptions),
    setLatency: (ms) => { ctx.latencyMs = checkLatency(ms) },
    setQuirks: (quirks) => panel.setQuirks(quirks),
    setPhpNotices: (on) => panel.setPhpNotices(on),
    setAccountActive: (active) => { panel.accountActive = active },
    calls: (action) => ctx.calls.count(action),
    callLog: () => ctx.calls.entries(),
    resetCalls: () => ctx.calls.reset(),
    setOrderStatus: (order, status, fields) => { book.setOrderStatus(order, status, fields) },
    setBalance: (balance) => book.setBalance(balance),
    setService: (service) => book.setService(service),
    removeService: (id) => book.removeService(id),
    order: (id) => book.order(id),
    close
  }
}
