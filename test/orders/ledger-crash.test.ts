import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startSimulator } from '../../simulator/index.js'
import { crashRun, type CrashOptions } from '../fixtures/crash-run.js'
import { startTcpProxy } from '../fixtures/tcp-proxy.js'
import { PG_URL, dropSchemas, postgresUnreachable } from '../store/helper.js'

const PANEL_TIMEOUT_MS = 2000

// An order `sending` when its process died counts as dead PANEL_QUEUE_TIMEOUT_MS +
// PANEL_TIMEOUT_MS + LEDGER_STALE_MARGIN_MS after it started: the keys stuck on
// one answer 409 that long after the crash. The default 5 s queue wait made that
// 7.5 s per crash; no call queues here (64 at a time, no rate to wait for).
const QUICK_STALE = { PANEL_QUEUE_TIMEOUT_MS: '1000', PANEL_MAX_RPS: '10000' }

// Five server starts (two SIGKILLed mid-burst) and their recoveries: past the suite's 60 s on a busy machine.
t.setTimeout(180_000)

async function check (t: Test, env: Record<string, string>, options: CrashOptions = {}): Promise<void> {
  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })
  const f = await crashRun(sim, { ...QUICK_STALE, ...env }, { panelTimeoutMs: PANEL_TIMEOUT_MS, ...options })
  t.comment(JSON.stringify(f))
  t.equal(f.duplicates, 0, 'no key placed two orders on the panel')
  t.ok(f.addCalls <= f.keys, `add calls (${f.addCalls}) ≤ distinct keys (${f.keys})`)
  t.equal(f.lost201, 0, 'every 201 answered before the kill is replayed and listed')
  t.equal(f.neverFinal, 0, 'every key reached a final answer')
  t.equal(f.unlistedUnknown, 0, 'every unknown outcome is listed by GET /orders')
  t.equal(f.refusedButPlaced, 0, 'no key on the panel was answered as refused')
  t.same(f.unexpected, [])
  t.ok(f.longestStuckMs <= PANEL_TIMEOUT_MS + 30_000, 'no key answered 409 past PANEL_TIMEOUT_MS + 30 s after the crash')
  t.equal(f.placed + f.unknown, f.keys)
}

t.test('SIGKILL mid-burst on SQLite: no second add, no 201 lost, unknown outcomes listed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-crash-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  await check(t, { DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}` })
})

const unreachable = await postgresUnreachable()
const REQUIRED = process.env.REQUIRE_SERVICES === '1'

t.test('SIGKILL mid-burst on PostgreSQL: no second add, no 201 lost, unknown outcomes listed', { skip: unreachable !== undefined && !REQUIRED ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }
  const schema = `test_crash_${process.pid}_${randomBytes(4).toString('hex')}`
  t.teardown(async () => { await dropSchemas(schema) })
  await check(t, { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema })
})

t.test('PostgreSQL connections reset every 50 ms through a burst: no second add, no 201 lost, unknown outcomes listed', { skip: unreachable !== undefined && !REQUIRED ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }
  const target = new URL(PG_URL)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port === '' ? 5432 : target.port) })
  t.teardown(async () => { await proxy.close() })
  const url = new URL(PG_URL)
  url.host = `127.0.0.1:${proxy.port}`
  const schema = `test_resets_${process.pid}_${randomBytes(4).toString('hex')}`
  t.teardown(async () => { await dropSchemas(schema) })
  await check(t, { DATABASE_URL: url.toString(), DATABASE_SCHEMA: schema, DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_CONNECT_TIMEOUT_MS: '1000' }, { resets: proxy })
})
