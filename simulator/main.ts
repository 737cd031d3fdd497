import { DEFAULT_KEY, DIALECTS, startSimulator, type Dialect, type SimulatorOptions } from './index.js'

// `npm run simulator`: a standalone panel for other processes (tests, benchmarks,
// a gateway started by hand). Driven over HTTP with the /_sim/… control routes.

function integer (name: string, min: number, max: number): number | undefined {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, got "${text}"`)
  }
  return value
}

function fail (line: string): never {
  process.stderr.write(`${line}\n`)
  process.exit(1)
}

function dialect (): Dialect | undefined {
  const text = process.env.SIM_DIALECT
  if (text === undefined || text.trim() === '') return undefined
  if (!(DIALECTS as readonly string[]).includes(text.trim())) fail(`SIM_DIALECT must be one of ${DIALECTS.join(', ')}, got "${text}"`)
  return text.trim() as Dialect
}

function flag (name: string): boolean | undefined {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return undefined
  if (['1', 'true'].includes(text.trim())) return true
  if (['0', 'false'].includes(text.trim())) return false
  fail(`${name} must be 1, 0, true or false, got "${text}"`)
}

const options: SimulatorOptions = {
  host: process.env.SIM_HOST ?? '127.0.0.1',
  port: integer('SIM_PORT', 0, 65535) ?? 4010,
  key: process.env.SIM_KEY ?? DEFAULT_KEY,
  services: integer('SIM_SERVICES', 1, 1_000_000),
  progressMs: integer('SIM_PROGRESS_MS', 0, 86_400_000),
  dialect: dialect(),
  phpNotices: flag('SIM_PHP_NOTICES')
}
if (options.phpNotices === true && options.dialect !== 'smartpanel') fail('SIM_PHP_NOTICES needs SIM_DIALECT=smartpanel')

const simulator = await startSimulator(options)
process.stdout.write(`panel simulator (${simulator.dialect}) listening on ${simulator.url} (key: ${simulator.key})\n`)

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await simulator.close()
  process.exit(0)
}
process.once('SIGINT', () => { stop().catch(() => process.exit(1)) })
process.once('SIGTERM', () => { stop().catch(() => process.exit(1)) })
