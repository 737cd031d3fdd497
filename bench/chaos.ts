import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../simulator/index.js'
import { crashRun, type CrashFigures } from '../test/fixtures/crash-run.js'
import { startTcpProxy } from '../test/fixtures/tcp-proxy.js'
import { PG_URL, dropSchemas, postgresUnreachable } from '../test/store/helper.js'

// `npm run chaos`: SIGKILL a gateway mid-burst again and again, on SQLite and
// on PostgreSQL, and reset its PostgreSQL connections every 50 ms through a
// burst; retry every request with its key until final, and print what the
// money path did. CHAOS_ROUNDS (default 5), CHAOS_ORDERS (default 40).
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? '5')
const ORDERS = Number(process.env.CHAOS_ORDERS ?? '40')
const PANEL_TIMEOUT_MS = 2000

type Scenario = 'sqlite kill' | 'postgres kill' | 'postgres resets'

async function round (scenario: Scenario): Promise<CrashFigures> {
  const sim = await startSimulator({ progressMs: 60_000, balance: '100000000' })
  const dir = await mkdtemp(join(tmpdir(), 'smm-chaos-'))
  const schema = `chaos_${process.pid}_${randomBytes(4).toString('hex')}`
  const target = new URL(PG_URL)
  const proxy = scenario === 'postgres resets' ? await startTcpProxy({ host: target.hostname, port: Number(target.port === '' ? 5432 : target.port) }) : undefined
  try {
    let env: Record<string, string> = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }
    if (scenario === 'sqlite kill') env = { DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}` }
    if (proxy !== undefined) {
      const url = new URL(PG_URL)
      url.host = `127.0.0.1:${proxy.port}`
      env = { ...env, DATABASE_URL: url.toString(), DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_CONNECT_TIMEOUT_MS: '1000' }
    }
    return await crashRun(sim, env, { orders: ORDERS, panelTimeoutMs: PANEL_TIMEOUT_MS, ...(proxy === undefined ? {} : { resets: proxy }) })
  } finally {
    await proxy?.close()
    await sim.close()
    await rm(dir, { recursive: true, force: true })
    if (scenario !== 'sqlite kill') await dropSchemas(schema)
  }
}

const scenarios: Scenario[] = ['sqlite kill']
if (await postgresUnreachable() === undefined) scenarios.push('postgres kill', 'postgres resets')
else process.stdout.write('PostgreSQL unreachable: SQLite only\n')

process.stdout.write(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${ROUNDS} rounds × ${ORDERS} keyed orders per scenario, kill: SIGKILL after half the adds; resets: every 50 ms from then until every first answer is in; PANEL_TIMEOUT_MS=${PANEL_TIMEOUT_MS}\n\n`)
process.stdout.write('| scenario | round | keys | add calls | duplicates | 201 before the fault | 201 lost | placed | unknown (listed) | keys 409 after the fault | longest 409 | recovery |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n')
let failed = false
for (const scenario of scenarios) {
  for (let i = 1; i <= ROUNDS; i++) {
    const f = await round(scenario)
    failed ||= f.duplicates > 0 || f.lost201 > 0 || f.unlistedUnknown > 0 || f.neverFinal > 0 || f.unexpected.length > 0
    process.stdout.write(`| ${scenario} | ${i} | ${f.keys} | ${f.addCalls} | ${f.duplicates} | ${f.answered201BeforeKill} | ${f.lost201} | ${f.placed} | ${f.unknown} (${f.unknown - f.unlistedUnknown}) | ${f.keysStuck} | ${f.longestStuckMs} ms | ${f.recoveryMs} ms |\n`)
    for (const line of f.unexpected) process.stdout.write(`  unexpected: ${line}\n`)
  }
}
process.exitCode = failed ? 1 : 0
