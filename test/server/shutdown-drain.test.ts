// SIGTERM under load, through the real entry point (close-with-grace): its own
// file, as it takes longer than the other shutdown tests together.
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t, { type Test } from 'tap'
import { startSimulator, type Simulator } from '../../simulator/index.js'
import { ADMIN_TOKEN } from '../helper.js'
import { json, startServer, type Server } from '../fixtures/server-process.js'
import { until } from '../fixtures/time.js'

// Two real server starts and a 12 s drain: past the suite's 60 s on a busy machine.
t.setTimeout(180_000)

interface Setup { sim: Simulator, file: string, env: Record<string, string> }

async function setUp (t: Test, env: Record<string, string> = {}): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'smm-drain-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })
  const file = join(dir, 'gateway.db')
  return { sim, file, env: { PANEL_URL: sim.url, PANEL_KEY: sim.key, DATABASE_URL: `sqlite:${file}`, ...env } }
}

async function tenant (server: Server): Promise<{ key: string, service: { id: number, min: number } }> {
  const key: string = (await json(`${server.url}/admin/tenants`, { method: 'POST', key: ADMIN_TOKEN, body: JSON.stringify({ name: 'drain', rateLimitPerMinute: 100000 }) })).body.key
  return { key, service: (await json(`${server.url}/services?type=Default`, { key })).body.items[0] }
}

function place (server: Server, key: string, service: { id: number, min: number }, i: number, signal?: AbortSignal): Promise<{ status: number, body: any }> {
  return json(`${server.url}/orders`, {
    method: 'POST', key, signal, headers: { 'idempotency-key': `drain-${i}` }, body: JSON.stringify({ service: service.id, link: `https://instagram.com/p/drain-${i}`, quantity: service.min })
  })
}

async function untilAdds (sim: Simulator, n: number): Promise<void> {
  await until(() => sim.calls('add') >= n, `${n} adds at the panel`)
}

function orderStates (file: string): unknown[] {
  const db = new BetterSqlite3(file, { readonly: true })
  try {
    return db.prepare('select state, count(*) as n from orders group by state').all().map((row) => ({ ...(row as object), n: Number((row as { n: unknown }).n) }))
  } finally {
    db.close()
  }
}

t.test('SIGTERM with 100 orders in flight at 3 s panel latency: all answered 201 and recorded, then exit 0', async (t) => {
  // 25 panel calls at a time: four waves of 3 s, so most orders are still
  // queued in the gateway when SIGTERM comes and the drain takes ~12 s, longer
  // than the old fixed 10 s grace. Generous PANEL_QUEUE_TIMEOUT_MS and
  // PANEL_TIMEOUT_MS (the grace defaults to both + 10 s) keep the queueing
  // itself from failing any order.
  const { sim, file, env } = await setUp(t, { PANEL_MAX_CONCURRENCY: '25', PANEL_MAX_RPS: '1000', PANEL_TIMEOUT_MS: '30000', PANEL_QUEUE_TIMEOUT_MS: '30000' })
  const first = await startServer(env)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const { key, service } = await tenant(first)

  sim.setLatency(3000)
  const orders = Array.from({ length: 100 }, async (_, i) => await place(first, key, service, i))
  await untilAdds(sim, 25)
  t.ok(sim.calls('add') < 100, `the panel has what it may take at once (${sim.calls('add')}); the rest wait in the gateway`)
  const exited = once(first.child, 'exit')
  first.child.kill('SIGTERM')

  const answers = await Promise.all(orders)
  const statuses = new Map<number, number>()
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
  t.same([...statuses], [[201, 100]], 'all 100 answered 201')
  t.same(await exited, [0, null], 'then the process exits 0', { output: first.output().slice(-3000) })
  t.equal(sim.calls('add'), 100, 'no order sent twice')
  t.same(orderStates(file), [{ state: 'placed', n: 100 }], 'every order is recorded as placed')

  sim.setLatency(0)
  const second = await startServer(env)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const listed = (await json(`${second.url}/orders?limit=100`, { key })).body.items.map((o: { id: number }) => o.id).sort()
  t.same(listed, answers.map((a) => a.body.id as number).sort(), 'after a restart GET /orders lists every one')
  second.child.kill('SIGTERM')
  t.same(await once(second.child, 'exit'), [0, null])
})

t.test('SIGTERM when the orders in flight have lost their clients: the panel client and the store stay until both are placed and recorded', async (t) => {
  // One panel call at a time: the second order waits in the gateway's queue,
  // not yet handed to the panel client, when closing starts.
  const { sim, file, env } = await setUp(t, { PANEL_MAX_CONCURRENCY: '1' })
  const server = await startServer(env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  const { key, service } = await tenant(server)

  sim.setLatency(2000)
  const abort = new AbortController()
  const abandoned = [1, 2].map(async (i) => await place(server, key, service, i, abort.signal).catch(() => 'aborted'))
  await untilAdds(sim, 1)
  // Both are written `sending` before their call leaves: the second now waits in the gateway's queue.
  await until(() => JSON.stringify(orderStates(file)) === JSON.stringify([{ state: 'sending', n: 2 }]), 'both orders to be sending')
  // A load balancer giving up: with no connection left, the HTTP server closes at once.
  abort.abort()
  t.same(await Promise.all(abandoned), ['aborted', 'aborted'])
  const exited = once(server.child, 'exit')
  server.child.kill('SIGTERM')
  t.same(await exited, [0, null], 'the process exits 0', { output: server.output().slice(-3000) })
  t.equal(sim.calls('add'), 2, 'the queued order was sent too')
  t.same(orderStates(file), [{ state: 'placed', n: 2 }], 'both are recorded as placed')
})
