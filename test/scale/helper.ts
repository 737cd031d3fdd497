import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { killOnExit } from '../fixtures/kill-on-exit.js'
import { PG_URL, dropSchemas, postgresUnreachable } from '../store/helper.js'

export { PG_URL }
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRY = fileURLToPath(new URL('../fixtures/gateway-instance.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000

export interface TestContext {
  teardown: (fn: () => unknown) => void
}

/** undefined when Redis answers PING, else why not. */
export async function redisUnreachable (url = REDIS_URL): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  let cause: Error | undefined
  client.on('error', (error: Error) => { cause ??= error })
  try {
    await client.connect()
    await client.ping()
    return undefined
  } catch (error) {
    return `Redis not reachable at ${url} (${(cause ?? error as Error).message})`
  } finally {
    client.disconnect()
  }
}

/** undefined when PostgreSQL and Redis both answer, else why not. */
export async function servicesUnreachable (): Promise<string | undefined> {
  const reasons = (await Promise.all([postgresUnreachable(), redisUnreachable()])).filter((r) => r !== undefined)
  return reasons.length === 0 ? undefined : reasons.join('; ')
}

/** A name unique to this run, for a PostgreSQL schema and a Redis key prefix. */
export function runId (): string {
  return `scale_${process.pid}_${randomBytes(4).toString('hex')}`
}

/** A fresh PostgreSQL schema name, dropped when the test ends (the instances create it). */
export function freshSchema (t: TestContext, name: string): string {
  t.teardown(async () => { await dropSchemas(name) })
  return name
}

/** Deletes every Redis key under `prefix` when the test ends. */
export function cleanRedis (t: TestContext, prefix: string): void {
  t.teardown(async () => {
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    client.on('error', () => {})
    try {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== '0')
    } finally {
      client.disconnect()
    }
  })
}

export interface Instance {
  /** e.g. http://127.0.0.1:41234 */
  url: string
  /** Everything the process wrote so far (its JSON log lines). */
  output: () => string
  stop: () => Promise<void>
}

// Only what the process needs, so no REDIS_URL or DATABASE_URL of the
// caller's environment leaks in.
function baseEnv (): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR']
  return Object.fromEntries(keep.flatMap((name) => process.env[name] === undefined ? [] : [[name, process.env[name] as string]]))
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** A gateway process (`node --import tsx test/fixtures/gateway-instance.ts`) with `env`; stopped when the test ends. */
export async function startInstance (t: TestContext, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    // No load shedding (NO_LOAD_SHEDDING in test/helper.ts, not imported here: it loads the whole app).
    env: { ...baseEnv(), LOG_LEVEL: 'info', MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  killOnExit(child)
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const instance: Instance = { url: '', output: () => output, stop: async () => { await stopProcess(child) } }
  t.teardown(instance.stop)
  instance.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { fail(new Error(`no gateway listening after ${START_TIMEOUT_MS} ms`)) }, START_TIMEOUT_MS)
    function fail (error: Error): void {
      clearTimeout(timer)
      child.stdout.off('data', look)
      reject(new Error(`${error.message}\n--- output ---\n${output}`))
    }
    function look (): void {
      const match = /\{"listening":"([^"]+)"\}/.exec(output)
      if (match?.[1] === undefined) return
      clearTimeout(timer)
      child.stdout.off('data', look)
      child.off('exit', exited)
      resolve(match[1])
    }
    function exited (code: number | null): void { fail(new Error(`the gateway exited with ${String(code)} before listening`)) }
    child.stdout.on('data', look)
    child.once('exit', exited)
  })
  return instance
}

export interface Answer {
  status: number
  headers: Headers
  body: any
}

/** A real HTTP request; the body is parsed when it is JSON. */
export async function call (base: string, path: string, options: { method?: string, key?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, body }
}
