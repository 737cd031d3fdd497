import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Webhook } from 'standardwebhooks'
import { startSimulator, type OrderStatus } from '../simulator/index.js'
import { ADMIN_TOKEN } from '../test/helper.js'
import { json, startServer } from '../test/fixtures/server-process.js'

// `npm run bench:tracker`: ORDERS orders placed through the real server
// (src/server.ts in its own process, on SQLite) and never read; then every
// one of them changes status at the panel (the simulator, in this process) at
// one moment, twice. A webhook receiver on loopback verifies each delivery's
// signature and stamps its arrival: the event delay is arrival − the moment of
// the change. Panel calls are counted by the simulator. Prints a markdown table.

const ORDERS = Number(process.env.TRACKER_ORDERS ?? '1000')
const MIN_MS = Number(process.env.TRACKER_MIN_INTERVAL_MS ?? '2000')
const MAX_MS = Number(process.env.TRACKER_MAX_INTERVAL_MS ?? '10000')
const PANEL_KEY = 'panel-key-bench-tracker-7Hq2LmN9'

const sim = await startSimulator({ key: PANEL_KEY, balance: '100000000.00', progressMs: 86_400_000 })
const dir = await mkdtemp(join(tmpdir(), 'tracker-'))

const arrivals = new Map<string, number>() // `${orderId}:${status}` → ms
let secret = ''
let badSignatures = 0
const receiver = createServer((req: IncomingMessage, res) => {
  let body = ''
  req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => {
    try {
      new Webhook(secret).verify(body, req.headers as Record<string, string>)
    } catch {
      badSignatures++
    }
    const event = JSON.parse(body) as { type: string, data: { order: { id: number, status: string } } }
    const key = `${event.data.order.id}:${event.data.order.status}`
    if (!arrivals.has(key)) arrivals.set(key, performance.now())
    res.writeHead(204).end()
  })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`

const server = await startServer({
  PANEL_URL: sim.url,
  PANEL_KEY,
  DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`,
  TRACKER_TICK_MS: '100',
  TRACKER_MIN_INTERVAL_MS: String(MIN_MS),
  TRACKER_MAX_INTERVAL_MS: String(MAX_MS),
  WEBHOOK_ALLOWED_TARGETS: '127.0.0.1'
})
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const created = await json(`${server.url}/admin/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'bench', rateLimitPerMinute: 1_000_000 }) })
const key = created.body.key as string
const hook = await json(`${server.url}/webhooks`, { method: 'POST', key, body: JSON.stringify({ url: receiverUrl, events: ['order.status_changed'] }) })
if (hook.status !== 201) throw new Error(`POST /webhooks answered ${hook.status}: ${JSON.stringify(hook.body)}`)
secret = hook.body.secret

const orders: Array<{ id: number, panelOrderId: number }> = []
for (let i = 0; i < ORDERS; i += 16) {
  await Promise.all(Array.from({ length: Math.min(16, ORDERS - i) }, async (_, j) => {
    const placed = await json(`${server.url}/orders`, { method: 'POST', key, body: JSON.stringify({ service: 1, link: `https://instagram.com/bench${i + j}`, quantity: 100 }) })
    if (placed.status !== 201) throw new Error(`POST /orders answered ${placed.status}: ${JSON.stringify(placed.body)}`)
    orders.push({ id: placed.body.id, panelOrderId: placed.body.panelOrderId })
  }))
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN
}

async function change (status: OrderStatus, gatewayStatus: string): Promise<{ p50: number, p99: number, max: number, missing: number }> {
  const at = performance.now()
  for (const order of orders) sim.setOrderStatus(order.panelOrderId, status)
  const deadline = at + 4 * MAX_MS + 30_000
  const arrived = (): number => orders.filter((o) => arrivals.has(`${o.id}:${gatewayStatus}`)).length
  while (arrived() < orders.length && performance.now() < deadline) await sleep(50)
  const delays = orders.map((o) => arrivals.get(`${o.id}:${gatewayStatus}`)).filter((t): t is number => t !== undefined).map((t) => t - at).sort((a, b) => a - b)
  return { p50: percentile(delays, 0.5), p99: percentile(delays, 0.99), max: delays.at(-1) ?? NaN, missing: orders.length - delays.length }
}

// Let the schedule spread out first: the changes land on orders polled at gaps near the max.
await sleep(2 * MAX_MS)
sim.resetCalls()
const started = performance.now()
const first = await change('In progress', 'in_progress')
const second = await change('Completed', 'completed')
const minutes = (performance.now() - started) / 60_000
const statusCalls = sim.calls('status')
const ids = sim.callLog().filter((c) => c.action === 'status').reduce((n, c) => n + (c.fields.orders?.split(',').length ?? 1), 0)

const row = (name: string, r: Awaited<ReturnType<typeof change>>): string =>
  `| ${name} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.max.toFixed(0)} | ${r.missing} |`
console.log(`\n${ORDERS} tracked orders, TRACKER_MIN_INTERVAL_MS=${MIN_MS}, TRACKER_MAX_INTERVAL_MS=${MAX_MS}, Node ${process.version}\n`)
console.log('| change at the panel | event delay p50 (ms) | p99 (ms) | max (ms) | events missing |')
console.log('|---|---|---|---|---|')
console.log(row('pending → in_progress', first))
console.log(row('in_progress → completed', second))
console.log(`\npanel status calls: ${statusCalls} in ${minutes.toFixed(2)} min = ${(statusCalls / minutes).toFixed(1)} calls/min, ${(ids / Math.max(1, statusCalls)).toFixed(1)} orders per call; bad signatures: ${badSignatures}`)

server.child.kill('SIGTERM')
await new Promise((resolve) => server.child.once('exit', resolve))
receiver.close()
await sim.close()
await rm(dir, { recursive: true, force: true })
