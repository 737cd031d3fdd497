import { DEFAULT_KEY, startSimulator, type SimulatorOptions } from './index.js'

// `npm run simulator`: a standalone panel for other processes (tests, benchmarks,
// a gateway started by hand). Driven over HTTP with the /_sim/… control routes.

function integer (name: string, min: number, max: number): number | undefined {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    process.stderr.write(`${name} must be an integer from ${min} to ${max}, got "${text}"\n`)
    process.exit(1)
  }
  return value
}

const options: SimulatorOptions = {
  host: process.env.SIM_HOST ?? '127.0.0.1',
  port: integer('SIM_PORT', 0, 65535) ?? 4010,
  key: process.env.SIM_KEY ?? DEFAULT_KEY,
  services: integer('SIM_SERVICES', 1, 1_000_000),
  progressMs: integer('SIM_PROGRESS_MS', 0, 86_400_000)
}

const simulator = await startSimulator(options)
process.stdout.write(`panel simulator listening on ${simulator.url} (key: ${simulator.key})\n`)

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await simulator.close()
  process.exit(0)
}
process.once('SIGINT', () => { stop().catch(() => process.exit(1)) })
process.once('SIGTERM', () => { stop().catch(() => process.exit(1)) })
