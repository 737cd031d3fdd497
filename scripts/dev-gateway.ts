import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import type { Clock } from '../src/clock.js'
import { loadConfig, type Config } from '../src/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.js'
import { createTenant } from '../src/tenancy/admin.js'
import { ALL_SCOPES, type NewTenant, type Tenant } from '../src/store/types.js'

// The start-up the demo, the benches and the tests share: the panel
// simulator, a config in front of it, the app, and a tenant with a fresh key
// (every scope unless `tenant` says otherwise: balance:read too, which a
// tenant created without scopes does not get; this one stands in for the
// operator in front of the simulator). Not part of the production build; the
// app is built but not listening.

export interface DevGatewayOptions {
  /**
   * The whole environment loadConfig reads (process.env is not added), over
   * PANEL_URL and PANEL_KEY pointing at the simulator.
   */
  env?: Record<string, string | undefined>
  sim?: SimulatorOptions
  /** The tenant created at start; default name 'dev' and every scope. */
  tenant?: Partial<NewTenant>
  /** Where the app's log lines go (default stdout). */
  logStream?: NodeJS.WritableStream
  /** The time the app reads, and the simulator unless `sim.clock` says otherwise; default the system's. */
  clock?: Clock
}

export interface DevGateway {
  app: FastifyInstance
  config: Config
  sim: Simulator
  tenant: Tenant
  /** The tenant's API key. */
  key: string
  /** Closes the app, then the simulator. */
  close: () => Promise<void>
}

export async function startDevGateway (options: DevGatewayOptions = {}): Promise<DevGateway> {
  const sim = await startSimulator({ clock: options.clock, ...options.sim })
  let app: FastifyInstance | undefined
  try {
    const config = loadConfig({ PANEL_URL: sim.url, PANEL_KEY: sim.key, ...options.env })
    app = await buildApp(config, { logStream: options.logStream, clock: options.clock })
    const { tenant, key } = await createTenant(app.store, { name: 'dev', scopes: [...ALL_SCOPES], ...options.tenant }, app.authenticator)
    const started = app
    const close = async (): Promise<void> => {
      await started.close()
      await sim.close()
    }
    return { app, config, sim, tenant, key: key.key, close }
  } catch (error) {
    await app?.close()
    await sim.close()
    throw error
  }
}
