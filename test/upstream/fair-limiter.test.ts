import t from 'tap'
import { GatewayError } from '../../src/problems/errors.js'
import { Limiter, type LimiterOptions, type Release } from '../../src/upstream/limiter.js'

// Every test runs on a clock it moves itself and releases slots by hand, so
// the outcome never depends on how fast the machine is. The few real timers
// the limiter arms (queue deadlines, the rate gate's wake-up) only decide when
// something happens, never what.

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

// Longer than any test runs; close() in teardown clears these timers.
const FAR = 60_000

/** Lets settled acquisitions run their continuations. */
async function settle (): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Polls until `condition` holds; only for outcomes a real timer triggers. */
async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
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

/** A limiter on a clock the test moves, and calls whose slots the test releases, oldest first. */
function harness (t: Test, options: Partial<LimiterOptions> = {}) {
  const clock = { now: 0 }
  const limiter = new Limiter({ maxConcurrency: 1, maxPerSecond: 1_000_000, queueLimit: 1000, ...options, now: () => clock.now })
  t.teardown(() => limiter.close())
  const starts: string[] = []
  const issued = new Map<string, number>()
  const held = new Map<string, Release[]>()
  const failures: Array<{ tenant: string, error: GatewayError }> = []

  // Never rejects but for an unexpected error, which then fails the run as unhandled.
  async function call (tenant: string, deadline = clock.now + FAR): Promise<void> {
    issued.set(tenant, (issued.get(tenant) ?? 0) + 1)
    try {
      const release = await limiter.acquire(deadline, tenant)
      starts.push(tenant)
      held.set(tenant, [...(held.get(tenant) ?? []), release])
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err
      failures.push({ tenant, error: err })
    }
  }
  return {
    clock,
    limiter,
    starts,
    failures,
    calls: (tenant: string, n: number) => { for (let i = 0; i < n; i++) call(tenant) },
    release (tenant: string): void {
      const release = held.get(tenant)?.shift()
      if (release === undefined) throw new Error(`${tenant} holds no slot`)
      release()
    },
    holding: (tenant: string) => held.get(tenant)?.length ?? 0,
    waiting: (tenant: string) => (issued.get(tenant) ?? 0) - starts.filter((s) => s === tenant).length - failures.filter((f) => f.tenant === tenant).length
  }
}

t.test('a tenant arriving behind 300 waiters of another starts at the next free slot', async (t) => {
  const h = harness(t, { maxConcurrency: 2 })
  h.calls('A', 302)
  await settle()
  t.match(h.limiter.stats(), { inFlight: 2, queued: 300, tenantsWaiting: 1 })
  h.calls('B', 1)
  await settle()
  t.match(h.limiter.stats(), { queued: 301, tenantsWaiting: 2, tenants: 2 })
  h.release('A')
  await settle()
  t.same(h.starts, ['A', 'A', 'B'], 'B went ahead of all 300 of A')
  h.release('A')
  await settle()
  t.equal(h.starts.at(-1), 'A', 'and A has the slot after')
})

t.test('two flooding tenants take turns: starts alternate A, B, A, B', async (t) => {
  const h = harness(t)
  h.calls('A', 10)
  h.calls('B', 10)
  await settle()
  t.same(h.starts, ['A'], 'A\'s first call found the slot free')
  for (let i = 0; i < 12; i++) {
    h.release(h.starts.at(-1) as string)
    await settle()
  }
  t.same(h.starts.slice(1), ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'A', 'B'])
})

t.test('under the rate gate alone, fast calls of two tenants also alternate and keep to the rate', async (t) => {
  const clock = { now: 0 }
  const limiter = new Limiter({ maxConcurrency: 10, maxPerSecond: 1, queueLimit: 100, now: () => clock.now })
  t.teardown(() => limiter.close())
  const starts: Array<[string, number]> = []
  // Each call ends at once, so neither tenant has a call in flight when the next slot is handed out.
  const run = async (tenant: string): Promise<void> => {
    const release = await limiter.acquire(FAR, tenant)
    starts.push([tenant, clock.now])
    clock.now += 1000
    release()
  }
  await Promise.all([...Array.from({ length: 5 }, async () => await run('A')), ...Array.from({ length: 5 }, async () => await run('B'))])
  t.same(starts.map(([tenant]) => tenant).join(''), 'AABABABABB', 'after A\'s first (the gate was open), turns alternate')
  t.same(starts.map(([, at]) => at), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000], 'one start per second')
})

t.test('starts are paced through the second; a start held back only by the rate happens when the gate opens; a newcomer waits at most one turn', async (t) => {
  // 2 a second: one start every 500 ms (a burst of a tenth of the budget, at least 1).
  const h = harness(t, { maxConcurrency: 100, maxPerSecond: 2 })
  h.calls('A', 300)
  await settle()
  t.same(h.starts, ['A'], 'the first tenant does not spend the whole second at once')
  // Queued 10 ms before the gate opens, so the wake-up timer is short; however
  // early or late it fires, nothing can start until the clock says so.
  h.clock.now = 490
  h.calls('B', 1)
  await settle()
  t.same(h.starts, ['A'], 'nothing starts before the pace allows')
  h.clock.now = 500
  await until(() => h.starts.length === 2)
  t.same(h.starts, ['A', 'B'], 'B, arriving behind 299 of A\'s calls, has the very next start')
  h.clock.now = 1000
  await until(() => h.starts.length === 3)
  t.same(h.starts, ['A', 'B', 'A'])
  t.match(h.limiter.stats(), { started: 3, queued: 298, tenantsWaiting: 1 })
})

t.test('a tenant alone uses every slot', async (t) => {
  const h = harness(t, { maxConcurrency: 4 })
  h.calls('A', 10)
  await settle()
  t.equal(h.holding('A'), 4)
  t.match(h.limiter.stats(), { inFlight: 4, queued: 6, tenantsWaiting: 1, tenants: 1 })
  h.release('A')
  await settle()
  t.equal(h.holding('A'), 4, 'its own next call takes the freed slot')
})

t.test('while B waits, A holds no more than its share once slots turn over, and the other way round', async (t) => {
  const h = harness(t, { maxConcurrency: 4 })
  h.calls('A', 44)
  await settle()
  h.calls('B', 40)
  await settle()
  t.equal(h.holding('A'), 4, 'A had every slot before B came')
  // A fixed pseudo-random order of which tenant's oldest call ends next.
  let seed = 7
  const coin = (): boolean => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % 2 === 0 }
  const overShare: string[] = []
  const idle: number[] = []
  let turnedOver = false
  for (let step = 0; step < 60; step++) {
    h.release(h.holding('B') === 0 || (h.holding('A') > 0 && coin()) ? 'A' : 'B')
    await settle()
    const a = h.holding('A')
    const b = h.holding('B')
    if (a + b !== 4) idle.push(step)
    if (a <= 2) turnedOver = true
    if (turnedOver && h.waiting('B') > 0 && a > 2) overShare.push(`step ${step}: A holds ${a}`)
    if (h.waiting('A') > 0 && b > 2) overShare.push(`step ${step}: B holds ${b}`)
  }
  t.ok(turnedOver, 'A came down to its share')
  t.same(overShare, [], 'neither held more than 2 of 4 while the other waited')
  t.same(idle, [], 'no slot stood idle while calls waited')
})

t.test('a tenant whose queue is full is refused at once; other tenants still queue and are served', async (t) => {
  const h = harness(t, { queueLimit: 3 })
  h.calls('A', 4)
  await settle()
  t.match(h.limiter.stats(), { inFlight: 1, queued: 3 })
  const refused = await Promise.race([failure(h.limiter.acquire(FAR, 'A')), settle().then(() => 'still pending')])
  t.type(refused, GatewayError, 'refused without waiting')
  t.match(refused, { code: 'upstream_overloaded', statusCode: 503, retryAfter: 1 })
  h.calls('B', 3)
  await settle()
  t.match(h.limiter.stats(), { queued: 6, overloaded: 1, tenantsWaiting: 2 }, 'B queues its own three')
  t.equal((await failure(h.limiter.acquire(FAR, 'B'))).code, 'upstream_overloaded', 'B\'s limit is its own')
  t.equal(h.limiter.stats().overloaded, 2)
  h.release('A')
  await settle()
  h.release('A')
  await settle()
  t.same(h.starts, ['A', 'A', 'B'], 'B is served while A\'s queue is still full')
})

t.test('a call whose deadline passes in the queue fails with upstream_overloaded and counts as timedOut', async (t) => {
  const h = harness(t)
  h.calls('A', 1)
  await settle()
  const late = failure(h.limiter.acquire(h.clock.now + 20, 'B'))
  h.clock.now = 35
  const err = await late
  t.match(err, { code: 'upstream_overloaded', statusCode: 503, retryAfter: 1 })
  t.match(err.message, /^The call waited 35 ms in the gateway's queue to the panel/)
  const already = await failure(h.limiter.acquire(h.clock.now - 1, 'C'))
  t.match(already, { code: 'upstream_overloaded', retryAfter: 1 }, 'a deadline already past fails at once')
  t.match(h.limiter.stats(), { timedOut: 2, queued: 0, tenantsWaiting: 0, tenants: 1, inFlight: 1 }, 'only A is left')
})

t.test('per-tenant state is dropped once a tenant has nothing queued or in flight', async (t) => {
  const h = harness(t, { maxConcurrency: 3 })
  const tenants = Array.from({ length: 50 }, (_v, i) => `tenant-${i}`)
  for (const tenant of tenants) h.calls(tenant, 2)
  await settle()
  t.match(h.limiter.stats(), { inFlight: 3, queued: 97, tenants: 50 })
  for (let step = 0; step < 100; step++) {
    h.release(tenants.find((tenant) => h.holding(tenant) > 0) as string)
    await settle()
    if (step === 49) {
      const active = tenants.filter((tenant) => h.holding(tenant) > 0 || h.waiting(tenant) > 0).length
      t.equal(h.limiter.stats().tenants, active, `half way: state for the ${active} tenants with a call, no more`)
    }
  }
  t.same(h.limiter.stats(), { inFlight: 0, queued: 0, tenantsWaiting: 0, tenants: 0, started: 100, overloaded: 0, timedOut: 0 })
})

t.test('tryAcquire never takes a slot ahead of a waiting call', async (t) => {
  const h = harness(t)
  const first = h.limiter.tryAcquire('A')
  t.type(first, 'function', 'a free slot and nobody waiting')
  t.equal(h.limiter.tryAcquire('B'), undefined, 'no slot free')
  h.calls('A', 1)
  ;(first as Release)()
  t.equal(h.limiter.stats().inFlight, 1, 'the freed slot went to the waiter at once')
  t.equal(h.limiter.tryAcquire('B'), undefined)
  await settle()
  h.release('A')
  t.type(h.limiter.tryAcquire('B'), 'function', 'free again, nobody waiting')

  // Between the rate window opening and the wake-up, the gates allow a start while a call waits.
  const rated = harness(t, { maxConcurrency: 10, maxPerSecond: 1 })
  ;(rated.limiter.tryAcquire('A') as Release)()
  rated.clock.now = 990
  rated.calls('A', 1)
  rated.clock.now = 1000
  t.equal(rated.limiter.tryAcquire('B'), undefined, 'B does not jump ahead of A\'s waiter')
  rated.calls('B', 1)
  await settle()
  t.same(rated.starts, ['A'], 'queued, the waiter that came first starts; B waits for the next window')
  t.match(rated.limiter.stats(), { queued: 1, tenantsWaiting: 1 })
})

t.test('close() fails every waiter of every tenant', async (t) => {
  const h = harness(t)
  h.calls('A', 3)
  h.calls('B', 2)
  h.calls('C', 1)
  await settle()
  t.match(h.limiter.stats(), { inFlight: 1, queued: 5, tenantsWaiting: 3, tenants: 3 })
  h.limiter.close()
  await settle()
  t.same(h.failures.map((f) => `${f.tenant}:${f.error.code}`).sort(), ['A:upstream_unavailable', 'A:upstream_unavailable', 'B:upstream_unavailable', 'B:upstream_unavailable', 'C:upstream_unavailable'])
  t.match(h.limiter.stats(), { inFlight: 1, queued: 0, tenantsWaiting: 0, tenants: 1 }, 'the call in flight keeps its slot')
  h.release('A')
  t.match(h.limiter.stats(), { inFlight: 0, tenants: 0, started: 1 })
})
