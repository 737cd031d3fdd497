import { request } from 'undici'
import type { Fault } from '../simulator/index.js'
import { startDevGateway } from '../scripts/dev-gateway.js'

// `npm run soak`: about a minute of mixed traffic against a flaky panel.
// Pass: no crash, heap flat (after GC), every answer right or a problem+json.
// SOAK_SECONDS (default 60), SOAK_CONCURRENCY (default 20).
const SECONDS = Number(process.env.SOAK_SECONDS ?? '60')
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? '20')
const FAULTS: Array<Fault | null> = [null, null, null, 'html', 'empty', 'malformed', 'rate-limit', 'server-error', 'reset', 'hang']

const { app, sim, key, close } = await startDevGateway({
  sim: { progressMs: 2000, balance: '100000000' },
  env: {
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    PANEL_TIMEOUT_MS: '1000',
    SERVICES_TTL_SECONDS: '2',
    RATE_LIMIT_PER_MINUTE: '1000000'
  },
  tenant: { name: 'soak' }
})
const base = await app.listen({ host: '127.0.0.1', port: 0 })
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
const { items: services } = (await app.inject({ url: '/services?type=Default&limit=1000', headers })).json() as { items: Array<{ id: number, min: number }> }
const placed: number[] = []

const tally = new Map<string, number>()
const bad: string[] = []
function count (what: string): void { tally.set(what, (tally.get(what) ?? 0) + 1) }

async function one (): Promise<void> {
  const pick = Math.random()
  const s = services[Math.floor(Math.random() * services.length)] as { id: number, min: number }
  let method: 'GET' | 'POST' = 'GET'
  let path = '/services'
  let body: string | undefined
  if (pick < 0.3) path = '/services?limit=20'
  else if (pick < 0.5) { method = 'POST'; path = '/orders'; body = JSON.stringify({ service: s.id, link: 'https://a.b/c', quantity: s.min }) } else if (pick < 0.8 && placed.length > 0) path = `/orders/${placed[Math.floor(Math.random() * placed.length)] as number}`
  else if (pick < 0.9 && placed.length > 0) path = `/orders?ids=${placed.slice(-150).join(',')}`
  else path = '/me'
  const res = await request(base + path, { method, headers, body })
  const text = await res.body.text()
  const type = String(res.headers['content-type'] ?? '')
  if (res.statusCode < 400) {
    if (!type.startsWith('application/json')) bad.push(`${method} ${path}: ${res.statusCode} ${type}`)
    if (method === 'POST' && res.statusCode === 201) placed.push((JSON.parse(text) as { id: number }).id)
    count(`${res.statusCode}`)
  } else {
    const problem = type.startsWith('application/problem+json') ? JSON.parse(text) as { code?: string } : undefined
    if (problem?.code === undefined) bad.push(`${method} ${path}: ${res.statusCode} ${type} ${text.slice(0, 80)}`)
    count(`${res.statusCode} ${problem?.code ?? '?'}`)
  }
}

function heapMb (): number {
  globalThis.gc?.()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

const deadline = Date.now() + SECONDS * 1000
const heap: number[] = [heapMb()]
const faults = setInterval(() => { sim.setFault(FAULTS[Math.floor(Math.random() * FAULTS.length)] ?? null) }, 2000)
const sampler = setInterval(() => { heap.push(heapMb()) }, Math.max(1000, SECONDS * 100))
let requests = 0
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (Date.now() < deadline) {
    await one().catch((err: Error) => { bad.push(`client: ${err.message}`) })
    requests++
  }
}))
clearInterval(faults)
clearInterval(sampler)
sim.setFault(null)
heap.push(heapMb())
await close()

const warm = heap.slice(1, 4)
const growth = (heap.at(-1) as number) - Math.min(...warm)
process.stdout.write(`soak: ${requests} requests in ${SECONDS}s, node ${process.version}
answers: ${[...tally].sort().map(([k, v]) => `${k}×${v}`).join(', ')}
heap MB (after GC): ${heap.map((h) => h.toFixed(1)).join(' ')}
heap growth after warm-up: ${growth.toFixed(1)} MB
wrong answers: ${bad.length}${bad.length > 0 ? '\n  ' + bad.slice(0, 10).join('\n  ') : ''}
`)
if (bad.length > 0 || growth > 30) process.exitCode = 1
