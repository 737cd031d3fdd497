import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../src/simulator/index.js'
import { ADMIN_TOKEN } from '../test/helper.js'
import { json, startServer } from '../test/fixtures/server-process.js'

// `npm run bench:fair`: one tenant floods the panel (100 orders the panel
// refuses, 300 concurrent batch cancels of 300 orders: 3 panel calls each)
// while another tenant calls GET /balance once every 50 ms. Prints the other
// tenant's latency and errors, and the breaker's state after; the baseline in
// the same run is the other tenant alone. A real gateway process on SQLite,
// default limits; panel latency SIM_LATENCY_MS (default 20 ms).
const LATENCY_MS = Number(process.env.SIM_LATENCY_MS ?? '20')
const ORDERS = 300
const CANCELS = 300
const REFUSED = 100
const PROBES = 100
const PROBE_EVERY_MS = 50

interface Figures { probes: number, errors: number, p50: number, p99: number, max: number, floodMs: number, floodErrors: Record<string, number>, breaker: string }

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0
}

async function run (flooding: boolean): Promise<Figures> {
  const sim = await startSimulator({ progressMs: 600_000, balance: '100000000', rejectDuplicateLinks: true, latencyMs: LATENCY_MS })
  const dir = await mkdtemp(join(tmpdir(), 'smm-fair-'))
  const server = await startServer({
    PANEL_URL: sim.url,
    PANEL_KEY: sim.key,
    DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`,
    RATE_LIMIT_PER_MINUTE: '1000000'
  })
  try {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const flooder = (await json(`${server.url}/admin/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'flooder' }) })).body.key as string
    const other = (await json(`${server.url}/admin/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'other' }) })).body.key as string
    const ids: number[] = []
    for (let i = 0; i < ORDERS; i++) {
      const placed = await json(`${server.url}/orders`, { method: 'POST', key: flooder, body: JSON.stringify({ service: 1, link: `https://x.test/p/${i}`, quantity: 50 }) })
      ids.push(placed.body.id)
    }
    // The placing above used the panel's rate of the last second: start on a fresh one.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const floodErrors: Record<string, number> = {}
    const count = (res: { status: number, body: any }): void => {
      if (res.status >= 400) floodErrors[res.body?.code ?? String(res.status)] = (floodErrors[res.body?.code ?? String(res.status)] ?? 0) + 1
    }
    const started = performance.now()
    const wallStart = Date.now()
    sim.resetCalls()
    const floodAll = async (): Promise<number> => await Promise.all([
      ...Array.from({ length: REFUSED }, async () => { count(await json(`${server.url}/orders`, { method: 'POST', key: flooder, body: JSON.stringify({ service: 1, link: 'https://x.test/p/0', quantity: 50 }) })) }),
      ...Array.from({ length: CANCELS }, async () => { count(await json(`${server.url}/orders/cancel`, { method: 'POST', key: flooder, body: JSON.stringify({ orders: ids }) })) })
    ]).then(() => performance.now() - started)
    const flood = flooding ? floodAll() : Promise.resolve(0)
    const latencies: number[] = []
    let errors = 0
    await Promise.all(Array.from({ length: PROBES }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * PROBE_EVERY_MS))
      const t0 = performance.now()
      const res = await json(`${server.url}/balance`, { key: other })
      latencies.push(performance.now() - t0)
      if (process.env.BENCH_TRACE === '1') process.stderr.write(`probe ${i} at ${Math.round(t0 - started)} took ${Math.round(performance.now() - t0)}\n`)
      if (res.status !== 200) errors++
    }))
    const floodMs = await flood
    if (process.env.BENCH_TRACE === '1') {
      const arrivals = sim.callLog().filter((c) => c.action === 'balance').map((c) => c.at - wallStart)
      process.stderr.write(`balance arrivals at the panel: ${arrivals.slice(0, 15).join(' ')}\n`)
      const log = sim.callLog().map((c) => `${c.action}@${c.at - wallStart}`)
      process.stderr.write(`first calls: ${log.slice(0, 60).join(' ')}\n`)
    }
    const ready = await json(`${server.url}/ready`)
    latencies.sort((a, b) => a - b)
    return {
      probes: latencies.length,
      errors,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
      floodMs,
      floodErrors,
      breaker: ready.body?.checks?.breaker?.detail ?? '?'
    }
  } finally {
    server.child.kill('SIGKILL')
    await sim.close()
    await rm(dir, { recursive: true, force: true })
  }
}

process.stdout.write(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; panel latency ${LATENCY_MS} ms, PANEL_MAX_CONCURRENCY 16, PANEL_MAX_RPS 50 (defaults)\n\n`)
process.stdout.write('| run | other tenant: requests | errors | p50 | p99 | max | flood took | flood answers ≥ 400 | breaker after |\n|---|---|---|---|---|---|---|---|---|\n')
const ms = (n: number): string => `${Math.round(n)} ms`
const alone = await run(false)
const flooded = await run(true)
for (const [name, f] of [['alone (baseline)', alone], ['beside the flood', flooded]] as const) {
  process.stdout.write(`| ${name} | ${f.probes} | ${f.errors} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${ms(f.floodMs)} | ${JSON.stringify(f.floodErrors)} | ${f.breaker} |\n`)
}
process.stdout.write(`\np99 beside the flood / alone: ${(flooded.p99 / alone.p99).toFixed(2)}\n`)
process.exitCode = flooded.errors > 0 || !flooded.breaker.startsWith('closed') ? 1 : 0
