import { randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.js'
import { createTenant } from '../src/tenancy/admin.js'
import type { NewTenant, Tenant } from '../src/store/types.js'
import { PG_URL, dropSchemas, postgresUnreachable } from './store/helper.js'

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'

/**
 * Load shedding on event-loop delay guards a production process; on a busy
 * test machine the loop stalls too (a child loading its modules, a neighbour
 * taking the CPU) and the tests' own requests were shed as 503 `overloaded`.
 * Every gateway a test starts gets this unless the test is about shedding.
 */
export const NO_LOAD_SHEDDING = { MAX_EVENT_LOOP_DELAY_MS: '60000' }

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
  /** Another tenant with its own key, and an inject bound to that key. */
  addTenant: (input?: Partial<NewTenant>) => Promise<{ tenant: Tenant, key: string, request: (options: InjectOptions) => Promise<LightMyRequestResponse> }>
}

export interface GatewayOptions {
  env?: Record<string, string>
  sim?: SimulatorOptions
  tenant?: Partial<NewTenant>
  /** The store: a private in-memory SQLite database, or a fresh PostgreSQL schema; default from TEST_DATABASE. */
  database?: 'sqlite' | 'postgres'
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

/** A problem the gateway answered because it shed the request (under-pressure, in onRequest: nothing else ran). */
export function isShed (res: { statusCode: number, headers: Record<string, unknown>, body: string }): boolean {
  if (res.statusCode !== 503 || !String(res.headers['content-type']).startsWith('application/problem+json')) return false
  try {
    return JSON.parse(res.body).code === 'overloaded'
  } catch {
    return false
  }
}

/**
 * NO_LOAD_SHEDDING's threshold does not cover everything: under-pressure reads
 * a second in which the event loop never turned (a boot longer than a second on
 * a busy machine, or a loop of injects, which do no I/O) as an infinite delay,
 * and sheds the next second of requests whatever the threshold. A test not
 * about shedding has such a request sent again once the shedding is over; it
 * was refused before anything else ran. Streamed payloads are not sent twice.
 */
export function resendShed (app: FastifyInstance): void {
  const inject = app.inject.bind(app)
  app.inject = (async (opts: InjectOptions) => {
    for (;;) {
      const res = await inject(opts)
      if (!isShed(res) || opts.payload instanceof Readable) return res
      while (app.isUnderPressure()) await sleep(5)
    }
  }) as FastifyInstance['inject']
}

function bound (app: FastifyInstance, key: string) {
  return async (opts: InjectOptions): Promise<LightMyRequestResponse> => await app.inject({
    ...opts,
    headers: { authorization: `Bearer ${key}`, ...opts.headers }
  })
}

/** A simulator, a gateway in front of it on a private in-memory store, and a tenant; all closed when the test ends. */
export async function gateway (t: TestContext, options: GatewayOptions = {}): Promise<Gateway> {
  const sim = await startSimulator({ progressMs: 60_000, ...options.sim })
  t.teardown(async () => { await sim.close() })
  const logs: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString())
      callback()
    }
  })
  const db = options.env?.DATABASE_URL === undefined ? await database(options.database ?? TEST_DATABASE) : undefined
  const config = loadConfig({
    PANEL_URL: sim.url,
    PANEL_KEY: sim.key,
    ADMIN_TOKEN,
    LOG_LEVEL: 'debug',
    // The simulator shares the test's event loop: on a busy machine a crowd of
    // injects keeps it from reading the panel's answer for seconds (300 cold
    // reads timed out after 2 s without the call reaching the simulator). Tests
    // of timeouts set their own.
    PANEL_TIMEOUT_MS: '10000',
    ...NO_LOAD_SHEDDING,
    ...db?.env,
    ...options.env
  })
  const app = await buildApp(config, { logStream }).catch(async (error: unknown) => {
    await db?.drop()
    throw error
  })
  t.teardown(async () => {
    await app.close()
    await db?.drop()
  })
  if (config.maxEventLoopDelayMs === Number(NO_LOAD_SHEDDING.MAX_EVENT_LOOP_DELAY_MS)) resendShed(app)
  const addTenant: Gateway['addTenant'] = async (input = {}) => {
    const { tenant, key } = await createTenant(app.store, { name: 'tenant', ...input })
    return { tenant, key: key.key, request: bound(app, key.key) }
  }
  const first = await addTenant({ name: 'first', ...options.tenant })
  return { app, config, sim, logs, key: first.key, tenant: first.tenant, request: first.request, addTenant }
}
