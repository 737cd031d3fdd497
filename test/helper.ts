import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js'
import { createTenant } from '../src/tenancy/admin.js'
import type { NewTenant, Tenant } from '../src/store/types.js'

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'

export interface TestContext {
  teardown: (fn: () => unknown) => void
}

export interface Gateway {
  app: FastifyInstance
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
  const config = loadConfig({
    PANEL_URL: sim.url,
    PANEL_KEY: sim.key,
    ADMIN_TOKEN,
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'debug',
    PANEL_TIMEOUT_MS: '2000',
    ...options.env
  })
  const app = await buildApp(config, { logStream })
  t.teardown(async () => { await app.close() })
  const addTenant: Gateway['addTenant'] = async (input = {}) => {
    const { tenant, key } = await createTenant(app.store, { name: 'tenant', ...input })
    return { tenant, key: key.key, request: bound(app, key.key) }
  }
  const first = await addTenant({ name: 'first', ...options.tenant })
  return { app, sim, logs, key: first.key, tenant: first.tenant, request: first.request, addTenant }
}
