import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../src/simulator/index.js'
import { crashRun, type CrashFigures } from '../test/fixtures/crash-run.js'
import { PG_URL, dropSchemas, postgresUnreachable } from '../test/store/helper.js'

// `npm run chaos`: SIGKILL a gateway mid-burst again and again, on SQLite and
// on PostgreSQL, retry every request with its key until final, and print what
// the money path did. CHAOS_ROUNDS (default 5), CHAOS_ORDERS (default 40).
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? '5')
const ORDERS = Number(process.env.CHAOS_ORDERS ?? '40')
const PANEL_TIMEOUT_MS = 2000

async function round (engine: 'sqlite' | 'postgres'): Promise<CrashFigures> {
  const sim = await startSimulator({ progressMs: 60_000, balance: '100000000' })
  const dir = await mkdtemp(join(tmpdir(), 'smm-chaos-'))
  const schema = `chaos_${process.pid}_${randomBytes(4).toString('hex')}`
  try {
    const env: Record<string, string> = engine === 'sqlite'
      ? { DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}` }
      : { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }
    return await crashRun(sim, env, { orders: ORDERS, panelTimeoutMs: PANEL_TIMEOUT_MS })
  } finally {
    await sim.close()
    await rm(dir, { recursive: true, force: true })
    if (engine === 'postgres') await dropSchemas(schema)
  }
}

const engines: Array<'sqlite' | 'postgres'> = ['sqlite']
if (await postgresUnreachable() === undefined) engines.push('postgres')
else process.stdout.write('PostgreSQL unreachable: SQLite only\n')

process.stdout.write(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${ROUNDS} rounds × ${ORDERS} keyed orders per engine, SIGKILL after half the adds, PANEL_TIMEOUT_MS=${PANEL_TIMEOUT_MS}\n\n`)
process.stdout.write('| engine | round | keys | add calls | duplicates | 201 before kill | 201 lost | placed | unknown (listed) | keys 409 after crash | longest 409 | recovery |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n')
let failed = false
for (const engine of engines) {
  for (let i = 1; i <= ROUNDS; i++) {
    const f = await round(engine)
    failed ||= f.duplicates > 0 || f.lost201 > 0 || f.unlistedUnknown > 0 || f.neverFinal > 0 || f.unexpected.length > 0
    process.stdout.write(`| ${engine} | ${i} | ${f.keys} | ${f.addCalls} | ${f.duplicates} | ${f.answered201BeforeKill} | ${f.lost201} | ${f.placed} | ${f.unknown} (${f.unknown - f.unlistedUnknown}) | ${f.keysStuck} | ${f.longestStuckMs} ms | ${f.recoveryMs} ms |\n`)
    for (const line of f.unexpected) process.stdout.write(`  unexpected: ${line}\n`)
  }
}
process.exitCode = failed ? 1 : 0
