import type { Test } from 'tap'
import { request } from 'undici'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/index.js'

/** A simulator for one test, closed when the test ends. */
export async function simulator (t: Test, options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator(options)
  t.teardown(async () => { await sim.close() })
  return sim
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
}

export interface SendOptions {
  method?: string
  path?: string
  body?: string
  contentType?: string | null
  headersTimeout?: number
}

/** Any HTTP request to the simulator, the body read as text. */
export async function send (sim: Simulator, options: SendOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/x-www-form-urlencoded'
  const res = await request(sim.origin + (options.path ?? new URL(sim.url).pathname), {
    method: (options.method ?? 'POST') as 'POST',
    headers,
    body: options.body,
    headersTimeout: options.headersTimeout,
    bodyTimeout: options.headersTimeout
  })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }
}

/** A panel call with the right key unless `fields.key` says otherwise. */
export async function call (sim: Simulator, fields: Record<string, string | number>, options: SendOptions = {}): Promise<Answer> {
  const form = new URLSearchParams({ key: sim.key })
  for (const [name, value] of Object.entries(fields)) form.set(name, String(value))
  return await send(sim, { ...options, body: form.toString() })
}

/** The JSON answer of a panel call that must be HTTP 200 application/json. */
export async function panel (sim: Simulator, fields: Record<string, string | number>): Promise<any> {
  const answer = await call(sim, fields)
  if (answer.status !== 200 || answer.headers['content-type'] !== 'application/json') {
    throw new Error(`expected a JSON answer, got ${answer.status} ${String(answer.headers['content-type'])}: ${answer.text}`)
  }
  return answer.json()
}

/** JSON to a control route. */
export async function control (sim: Simulator, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  return await send(sim, {
    method,
    path,
    body: body === undefined ? undefined : JSON.stringify(body),
    contentType: body === undefined ? null : 'application/json'
  })
}
