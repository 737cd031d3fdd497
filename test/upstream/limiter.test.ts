import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import t from 'tap'
import { GatewayError } from '../../src/problems/errors.js'
import { Limiter } from '../../src/upstream/limiter.js'
import { createPanelApi } from '../../src/upstream/client.js'
import { createHttpTransport } from '../../src/upstream/http-transport.js'
import { withResilience, type ResilienceOptions } from '../../src/upstream/resilient.js'

// The subtest type tap hands to a callback.
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const KEY = 'limiter-test-key'

type Answer = { status?: number, headers?: Record<string, string>, body: unknown, delayMs?: number }

/** A panel on 127.0.0.1:0 that counts requests in flight and when each arrived. */
async function countingPanel (t: Test, answer: (n: number) => Answer) {
  const arrivals: number[] = []
  const sockets = new Set<Socket>()
  let inFlight = 0
  let maxInFlight = 0
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now())
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    req.resume()
    req.on('end', () => {
      const a = answer(arrivals.length)
      setTimeout(() => {
        inFlight--
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers })
        res.end(JSON.stringify(a.body))
      }, a.delayMs ?? 0)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`,
    arrivals,
    hits: () => arrivals.length,
    maxInFlight: () => maxInFlight
  }
}

const BALANCE = { balance: '12.5', currency: 'USD' }

function resilient (t: Test, url: string, options: { timeoutMs?: number, queueTimeoutMs?: number, limiter?: Partial<ResilienceOptions['limiter']>, breakerFailures?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 5000
  const transport = withResilience(createHttpTransport({ url, key: KEY, timeoutMs, connections: 64, retryBaseMs: 10 }), {
    queueTimeoutMs: options.queueTimeoutMs ?? timeoutMs,
    breaker: { failureThreshold: options.breakerFailures ?? 100, cooldownMs: 1000 },
    limiter: { maxConcurrency: 64, maxPerSecond: 10_000, queueLimit: 1000, ...options.limiter }
  })
  const client = Object.assign(createPanelApi(transport), { state: transport.state })
  t.teardown(async () => { await client.close() })
  return client
}

async function failure (promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  throw new Error('expected the call to fail')
}

t.test('in-flight calls at the panel never exceed PANEL_MAX_CONCURRENCY', async (t) => {
  const panel = await countingPanel(t, () => ({ body: BALANCE, delayMs: 30 }))
  const client = resilient(t, panel.url, { limiter: { maxConcurrency: 3 } })
  const results = await Promise.all(Array.from({ length: 30 }, async () => await client.balance()))
  t.equal(results.length, 30)
  t.same(results[29], BALANCE)
  t.equal(panel.hits(), 30, 'every call reached the panel once')
  t.equal(panel.maxInFlight(), 3, 'at most 3 at a time, and the limit was used')
  t.match(client.state().limiter, { inFlight: 0, queued: 0, started: 30, overloaded: 0, timedOut: 0 })
})

t.test('calls started per second never exceed PANEL_MAX_RPS', async (t) => {
  const panel = await countingPanel(t, () => ({ body: BALANCE }))
  const client = resilient(t, panel.url, { limiter: { maxPerSecond: 5 } })
  const started = performance.now()
  await Promise.all(Array.from({ length: 12 }, async () => await client.balance()))
  t.ok(performance.now() - started >= 1900, '12 calls at 5/s take two windows at least')
  t.equal(panel.hits(), 12)
  // Any 6 consecutive arrivals span about a second (a little less for loopback jitter).
  for (let i = 0; i + 5 < panel.arrivals.length; i++) {
    const span = (panel.arrivals[i + 5] as number) - (panel.arrivals[i] as number)
    t.ok(span >= 900, `arrivals ${i}..${i + 5} span ${Math.round(span)} ms`)
  }
})

t.test('a full queue fails at once with 503 upstream_overloaded and Retry-After', async (t) => {
  const panel = await countingPanel(t, () => ({ body: BALANCE, delayMs: 300 }))
  const client = resilient(t, panel.url, { limiter: { maxConcurrency: 1, queueLimit: 2 } })
  const admitted = [client.balance(), client.balance(), client.balance()]
  const started = performance.now()
  const err = await failure(client.balance())
  t.ok(performance.now() - started < 100, 'refused at once, not after waiting')
  t.equal(err.code, 'upstream_overloaded')
  t.equal(err.statusCode, 503)
  t.equal(err.retryAfter, 1)
  t.match(client.state().limiter, { inFlight: 1, queued: 2, overloaded: 1 })
  t.same(await Promise.all(admitted), [BALANCE, BALANCE, BALANCE], 'the queued calls still run')
  t.equal(panel.hits(), 3, 'the refused call never reached the panel')
  t.equal(client.state().breaker.state, 'closed', 'our own overload does not count against the panel')
})

t.test('a call whose deadline runs out in the queue fails with upstream_overloaded and never reaches the panel', async (t) => {
  const panel = await countingPanel(t, () => ({ body: BALANCE }))
  // One call a second: the second call would have to wait longer than its 400 ms.
  const client = resilient(t, panel.url, { timeoutMs: 400, limiter: { maxPerSecond: 1 }, breakerFailures: 1 })
  t.same(await client.balance(), BALANCE)
  const started = performance.now()
  const queued = await failure(client.balance())
  const elapsed = performance.now() - started
  t.equal(queued.code, 'upstream_overloaded', 'time spent queued is no panel timeout')
  t.equal(queued.statusCode, 503)
  t.equal(queued.retryAfter, 1)
  t.match(queued.message, /queue/)
  t.ok(elapsed >= 350 && elapsed < 400 + 400, `gave up at the deadline (${Math.round(elapsed)} ms)`)
  t.equal(panel.hits(), 1, 'the queued call never reached the panel')
  t.equal(client.state().limiter.timedOut, 1)
  t.equal(client.state().breaker.state, 'closed', 'time out in our own queue is no panel failure')
})

t.test('a call that waited in the queue still gets the whole PANEL_TIMEOUT_MS at the panel', async (t) => {
  const panel = await countingPanel(t, (n) => ({ body: n === 2 ? { order: 9 } : BALANCE, delayMs: 400 }))
  const client = resilient(t, panel.url, { timeoutMs: 600, queueTimeoutMs: 1000, limiter: { maxConcurrency: 1 } })
  const started = performance.now()
  const first = client.balance()
  const second = client.add({ service: 1, link: 'https://a.b/c', quantity: 10 })
  t.same(await first, BALANCE)
  t.same(await second, { order: 9 }, 'the add waited ~400 ms for its turn, then had its own 600 ms')
  t.ok(performance.now() - started >= 750, 'the two calls ran one after the other')
  t.equal(client.state().limiter.inFlight, 0)
  t.equal(client.state().breaker.state, 'closed')
  t.equal(panel.hits(), 2)
})

t.test('the panel\'s Retry-After is still honoured through the limiter and breaker', async (t) => {
  const panel = await countingPanel(t, (n) => n === 1
    ? { status: 429, headers: { 'retry-after': '1' }, body: { error: 'Too many requests' } }
    : { body: BALANCE })
  const client = resilient(t, panel.url, { timeoutMs: 3000, limiter: { maxConcurrency: 1 }, breakerFailures: 1 })
  const started = performance.now()
  t.same(await client.balance(), BALANCE)
  t.ok(performance.now() - started >= 950, 'the retry waited the second the panel asked for')
  t.equal(panel.hits(), 2)
  t.equal(client.state().breaker.state, 'closed', 'a read that succeeded on retry is one success')
})

t.test('an empty multi call touches neither limiter nor breaker', async (t) => {
  const panel = await countingPanel(t, () => ({ body: BALANCE }))
  const client = resilient(t, panel.url)
  t.equal((await client.statusMany([])).size, 0)
  t.equal((await client.cancel([])).size, 0)
  t.equal(client.state().limiter.started, 0)
  t.equal(panel.hits(), 0)
})

t.test('Limiter: FIFO order, queue limit 0, close fails waiters', async (t) => {
  const limiter = new Limiter({ maxConcurrency: 1, maxPerSecond: 1000, queueLimit: 10 })
  const far = performance.now() + 10_000
  const release = await limiter.acquire(far)
  const order: number[] = []
  const waiting = [1, 2, 3].map(async (n) => { (await limiter.acquire(far))(); order.push(n) })
  t.equal(limiter.stats().queued, 3)
  release()
  release()
  await Promise.all(waiting)
  t.same(order, [1, 2, 3], 'first come, first served')
  t.equal(limiter.stats().inFlight, 0, 'a release called twice counts once')

  const noQueue = new Limiter({ maxConcurrency: 1, maxPerSecond: 1000, queueLimit: 0 })
  const held = await noQueue.acquire(far)
  t.equal((await failure(noQueue.acquire(far))).code, 'upstream_overloaded', 'queue limit 0: no waiting at all')
  held()

  const closing = new Limiter({ maxConcurrency: 1, maxPerSecond: 1000, queueLimit: 10 })
  await closing.acquire(far)
  const waiter = failure(closing.acquire(far))
  closing.close()
  t.equal((await waiter).code, 'upstream_unavailable')

  t.throws(() => new Limiter({ maxConcurrency: 0, maxPerSecond: 1, queueLimit: 0 }), RangeError)
  t.throws(() => new Limiter({ maxConcurrency: 1, maxPerSecond: 1, queueLimit: -1 }), RangeError)
})

t.test('Limiter: a timed-out head of the queue does not hold up the next', async (t) => {
  const limiter = new Limiter({ maxConcurrency: 1, maxPerSecond: 1000, queueLimit: 10 })
  const now = performance.now()
  const release = await limiter.acquire(now + 10_000)
  const short = failure(limiter.acquire(now + 50))
  const long = limiter.acquire(now + 10_000)
  t.equal((await short).code, 'upstream_overloaded')
  release()
  ;(await long)()
  t.match(limiter.stats(), { inFlight: 0, queued: 0, timedOut: 1, started: 2 })
})
