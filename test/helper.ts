import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Clock } from '../src/clock.js'
import type { Config } from '../src/config.js'
import type { Simulator, SimulatorOptions } from '../simulator/index.js'
import { startDevGateway } from '../scripts/dev-gateway.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createTenant } from '../src/tenancy/admin.js'
import { ALL_SCOPES, type NewTenant, type Tenant } from '../src/store/types.js'
import { PG_URL, dropSchemas, postgresUnreachable } from './store/helper.js'

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'
/** Every gateway a test starts serves GET /metrics on its main port to this (`METRICS_TOKEN: ''` turns that off). */
export const METRICS_TOKEN = 'metrics-token-0123456789abcdef'

/**
 * Load shedding on event-loop delay guards a production process; on a busy
 * test machine the loop stalls too (a child loading its modules, a neighbour
 * taking the CPU) and the tests' own requests were shed as 503 `overloaded`.
 * Every gateway a test starts gets this unless the test is about shedding.
 */
export const NO_LOAD_SHEDDING = { MAX_EVENT_LOOP_DELAY_MS: '0' }

export interface TestContext {
  teardown: (fn: () => unknown) => void
}

export interface Gateway {
  app: FastifyInstance
  /** The config the app was built with (its database among it). */
  config: Config
  sim: Simulator
  /** The first tenant's key (every scope). */
  key: string
  tenant: Tenant
  /** Every log line the app wrote, as text (to assert what never appears in logs). */
  logs: string[]
  /** app.inject with the first tenant's key already set. */
  request: (options: InjectOptions) => Promise<LightMyRequestResponse>
  /**
   * Another tenant with its own key, and an inject bound to that key; every
   * scope unless `input.scopes` says otherwise, like the first (the default a
   * tenant gets in production, DEFAULT_SCOPES, is tested through the admin routes).
   */
  addTenant: (input?: Partial<NewTenant>) => Promise<{ tenant: Tenant, key: string, request: (options: InjectOptions) => Promise<LightMyRequestResponse> }>
  /**
   * Another instance on this gateway's database and panel (several instances
   * sharing one PostgreSQL), with no background work unless `env` asks; closed
   * when the test ends.
   */
  sibling: (env?: Record<string, string>, clock?: Clock) => Promise<FastifyInstance>
  /** GET /metrics on the main port with METRICS_TOKEN: the Prometheus text (a rendering is shared for a second; move a test clock on between scrapes). */
  metrics: () => Promise<string>
}

export interface GatewayOptions {
  env?: Record<string, string>
  sim?: SimulatorOptions
  tenant?: Partial<NewTenant>
  /** The store: a private in-memory SQLite database, or a fresh PostgreSQL schema; default from TEST_DATABASE. */
  database?: 'sqlite' | 'postgres'
  /** The time the gateway and its simulator read (fixtures/time.ts `testClock()`); default the system's. */
  clock?: Clock
}

export const TEST_DATABASE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite'

/** DATABASE_URL (and DATABASE_SCHEMA) for a new private database; PostgreSQL's is dropped after `close`. */
async function database (engine: 'sqlite' | 'postgres'): Promise<{ env: Record<string, string>, drop: () => Promise<void> }> {
  if (engine === 'sqlite') return { env: { DATABASE_URL: 'sqlite::memory:' }, drop: async () => {} }
  const unreachable = await postgresUnreachable()
  if (unreachable !== undefined) throw new Error(`${unreachable}; the gateway tests were asked to run on PostgreSQL`)
  const schema = `test_gw_${process.pid}_${randomBytes(4).toString('hex')}`
  return { env: { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }, drop: async () => { await dropSchemas(schema) } }
}

function bound (app: FastifyInstance, key: string) {
  return async (opts: InjectOptions): Promise<LightMyRequestResponse> => await app.inject({
    ...opts,
    headers: { authorization: `Bearer ${key}`, ...opts.headers }
  })
}

/** A simulator, a gateway in front of it on a private in-memory store, and a tenant; all closed when the test ends. */
export async function gateway (t: TestContext, options: GatewayOptions = {}): Promise<Gateway> {
  const logs: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString())
      callback()
    }
  })
  const db = options.env?.DATABASE_URL === undefined ? await database(options.database ?? TEST_DATABASE) : undefined
  const { app, config, sim, key, tenant, close } = await startDevGateway({
    sim: { progressMs: 60_000, ...options.sim },
    env: {
      ADMIN_TOKEN,
      METRICS_TOKEN,
      LOG_LEVEL: 'debug',
      // The simulator shares the test's event loop: on a busy machine a crowd of
      // injects keeps it from reading the panel's answer for seconds (300 cold
      // reads timed out after 2 s without the call reaching the simulator). Tests
      // of timeouts set their own.
      PANEL_TIMEOUT_MS: '10000',
      ...NO_LOAD_SHEDDING,
      // No background polling, delivery or panel checks unless a test is about
      // them: they would add panel calls other tests count.
      TRACKER_TICK_MS: '0',
      ...db?.env,
      ...options.env
    },
    tenant: { name: 'first', ...options.tenant },
    logStream,
    clock: options.clock
  }).catch(async (error: unknown) => {
    await db?.drop()
    throw error
  })
  t.teardown(async () => {
    await close()
    await db?.drop()
  })
  const addTenant: Gateway['addTenant'] = async (input = {}) => {
    const { tenant, key } = await createTenant(app.store, { name: 'tenant', scopes: [...ALL_SCOPES], ...input }, app.authenticator)
    return { tenant, key: key.key, request: bound(app, key.key) }
  }
  const metrics = async (): Promise<string> => {
    const res = await bound(app, config.metrics.token ?? '')({ url: '/metrics' })
    if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}: ${res.body}`)
    return res.body
  }
  const sibling: Gateway['sibling'] = async (env = {}, siblingClock) => {
    const other = await buildApp(loadConfig({
      PANEL_URL: sim.url,
      PANEL_KEY: sim.key,
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN,
      DATABASE_URL: config.store.url,
      DATABASE_SCHEMA: config.store.schema ?? '',
      TRACKER_TICK_MS: '0',
      ...NO_LOAD_SHEDDING,
      ...env
    }), siblingClock === undefined ? {} : { clock: siblingClock })
    t.teardown(async () => { await other.close() })
    return other
  }
  return { app, config, sim, logs, key, tenant, request: bound(app, key), addTenant, metrics, sibling }
}
