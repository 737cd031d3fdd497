import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ADMIN_TOKEN } from '../test/helper.js'
import { json, startServer } from '../test/fixtures/server-process.js'

// `npm run bench:fair`: one tenant floods the panel (100 orders the panel
// refuses for want of funds, 300 concurrent batch cancels of 300 orders: 3
// panel calls each) while another tenant calls GET /balance every 50 ms.
// Prints the other tenant's latency and errors and the breaker's state after;
// the baseline in the same run is the other tenant alone. Simulator, gateway
// (the real src/server.ts on SQLite, default limits), flood and probes each
// run in their own process, so none of them slows another's clock.
// Panel latency SIM_LATENCY_MS (default 20 ms).
const LATENCY_MS = Number(process.env.SIM_LATENCY_MS ?? '20')
const ORDERS = 300
const CANCELS = 300
const REFUSED = 100
const PROBES = 100
const PROBE_EVERY_MS = 50
const HERE = fileURLToPath(import.meta.url)
const SIMULATOR = fileURLToPath(new URL('../simulator/main.ts', import.meta.url))

interface FloodResult { floodMs: number, answers: Record<string, number> }

function tsx (file: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
}

async function firstMatch (child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return await new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = pattern.exec(out)
      if (match !== null) resolve(match)
    })
    child.once('exit', (code) => { reject(new Error(`exited ${code ?? 'by signal'} before printing ${pattern}: ${out}`)) })
  })
}

/** In the flood's own process: fire everything at once, print what came back. */
async function flood (): Promise<void> {
  const { FLOOD_URL: url = '', FLOOD_KEY: key = '', FLOOD_IDS: ids = '' } = process.env
  const answers: Record<string, number> = {}
  const count = (res: { status: number, body: any }): void => {
    const name = res.status < 400 ? String(res.status) : res.body?.code ?? String(res.status)
    answers[name] = (answers[name] ?? 0) + 1
  }
  const orders = JSON.stringify({ orders: ids.split(',').map(Number) })
  const started = performance.now()
  await Promise.all([
    ...Array.from({ length: REFUSED }, async () => { count(await json(`${url}/orders`, { method: 'POST', key, body: JSON.stringify({ service: 1, link: 'https://x.test/refused', quantity: 50 }) })) }),
    ...Array.from({ length: CANCELS }, async () => { count(await json(`${url}/orders/cancel`, { method: 'POST', key, body: orders })) })
  ])
  process.stdout.write(`RESULT ${JSON.stringify({ floodMs: performance.now() - started, answers } satisfies FloodResult)}\n`)
}

interface Figures { probes: number, errors: number, p50: number, p99: number, max: number, flood?: FloodResult, breaker: string }

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0
}

async function run (flooding: boolean): Promise<Figures> {
  const sim = tsx(SIMULATOR, [], { SIM_PORT: '0', SIM_PROGRESS_MS: '600000' })
  const [, simUrl = '', simKey = ''] = await firstMatch(sim, /listening on (\S+) \(key: ([^)]+)\)/)
  const control = new URL(simUrl).origin + '/_sim'
  const dir = await mkdtemp(join(tmpdir(), 'smm-fair-'))
  const server = await startServer({ PANEL_URL: simUrl, PANEL_KEY: simKey, DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`, RATE_LIMIT_PER_MINUTE: '1000000' })
  try {
    await json(`${control}/balance`, { method: 'POST', body: JSON.stringify({ balance: '100000' }) })
    await json(`${control}/latency`, { method: 'POST', body: JSON.stringify({ ms: LATENCY_MS }) })
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const flooder = (await json(`${server.url}/admin/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'flooder' }) })).body.key as string
    const other = (await json(`${server.url}/admin/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'other', scopes: ['balance:read'] }) })).body.key as string
    const ids: number[] = []
    for (let i = 0; i < ORDERS; i++) {
      ids.push((await json(`${server.url}/orders`, { method: 'POST', key: flooder, body: JSON.stringify({ service: 1, link: `https://x.test/p/${i}`, quantity: 50 }) })).body.id)
    }
    // From now on the panel refuses new orders; and the placing above used the panel's rate of the last second.
    await json(`${control}/balance`, { method: 'POST', body: JSON.stringify({ balance: '0' }) })
    await new Promise((resolve) => setTimeout(resolve, 1100))

    const flooder$ = flooding ? tsx(HERE, ['flood'], { FLOOD_URL: server.url, FLOOD_KEY: flooder, FLOOD_IDS: ids.join(',') }) : undefined
    const result = flooder$ === undefined ? undefined : firstMatch(flooder$, /RESULT (.+)\n/)
    const latencies: number[] = []
    let errors = 0
    await Promise.all(Array.from({ length: PROBES }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * PROBE_EVERY_MS))
      const t0 = performance.now()
      const res = await json(`${server.url}/balance`, { key: other })
      latencies.push(performance.now() - t0)
      if (res.status !== 200) errors++
    }))
    const floodResult = result === undefined ? undefined : JSON.parse((await result)[1] as string) as FloodResult
    const ready = await json(`${server.url}/ready`)
    latencies.sort((a, b) => a - b)
    return {
      probes: latencies.length,
      errors,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
      ...(floodResult === undefined ? {} : { flood: floodResult }),
      breaker: ready.body?.checks?.breaker?.detail ?? '?'
    }
  } finally {
    server.child.kill('SIGKILL')
    sim.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === 'flood') {
  await flood()
} else {
  process.stdout.write(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; panel latency ${LATENCY_MS} ms; PANEL_MAX_CONCURRENCY 16, PANEL_MAX_RPS 50, PANEL_QUEUE_TIMEOUT_MS 5000 (defaults)\n\n`)
  process.stdout.write('| run | other tenant: requests | errors | p50 | p99 | max | flood took | flood answers | breaker after |\n|---|---|---|---|---|---|---|---|---|\n')
  const ms = (n: number): string => `${Math.round(n)} ms`
  const alone = await run(false)
  const flooded = await run(true)
  for (const [name, f] of [['alone (baseline)', alone], ['beside the flood', flooded]] as const) {
    process.stdout.write(`| ${name} | ${f.probes} | ${f.errors} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${f.flood === undefined ? '–' : ms(f.flood.floodMs)} | ${f.flood === undefined ? '–' : JSON.stringify(f.flood.answers)} | ${f.breaker} |\n`)
  }
  process.stdout.write(`\np99 beside the flood / alone: ${(flooded.p99 / alone.p99).toFixed(2)}\n`)
  process.exitCode = flooded.errors > 0 || !flooded.breaker.startsWith('closed') ? 1 : 0
}
