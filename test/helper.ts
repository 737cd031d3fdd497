import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js'

export const API_KEY = 'test-key-0123456789abcdef'

export interface TestContext {
  teardown: (fn: () => unknown) => void
}

export interface Gateway {
  app: FastifyInstance
  sim: Simulator
  /** Every log line the app wrote, as text (to assert what never appears in logs). */
  logs: string[]
  /** app.inject with the test key already set. */
  request: (options: InjectOptions) => Promise<LightMyRequestResponse>
}

export interface GatewayOptions {
  env?: Record<string, string>
  sim?: SimulatorOptions
}

/** A simulator and a gateway in front of it, both closed when the test ends. */
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
    API_KEYS: API_KEY,
    LOG_LEVEL: 'debug',
    PANEL_TIMEOUT_MS: '2000',
    ...options.env
  })
  const app = await buildApp(config, { logStream })
  t.teardown(async () => { await app.close() })
  const request = async (opts: InjectOptions): Promise<LightMyRequestResponse> => await app.inject({
    ...opts,
    headers: { authorization: `Bearer ${API_KEY}`, ...opts.headers }
  })
  return { app, sim, logs, request }
}
