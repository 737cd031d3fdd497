import t from 'tap'
import { GatewayError, type ErrorCode } from '../../src/problems/errors.js'
import { CircuitBreaker, type BreakerState } from '../../src/upstream/breaker.js'
import { PANEL_FAILURES, verdictOf } from '../../src/upstream/verdict.js'

// The subtest type tap hands to a callback.
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

function clocked (options: { failureThreshold?: number, cooldownMs?: number } = {}) {
  let time = 1000
  const transitions: Array<[BreakerState, BreakerState]> = []
  const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 5000, ...options, now: () => time })
  breaker.onStateChange((to, from) => { transitions.push([from, to]) })
  return { breaker, transitions, advance: (ms: number) => { time += ms } }
}

const fail = (code: ErrorCode, retryAfter?: number): GatewayError =>
  new GatewayError(code, code, retryAfter === undefined ? {} : { retryAfter })

async function rejects (t: Test, promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  t.fail('expected a rejection')
  throw new Error('resolved')
}

async function failWith (breaker: CircuitBreaker, code: ErrorCode, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.run(async () => { throw fail(code) }).catch(() => {})
}

t.test('panel failures count; refusals, our queue and our own bugs do not', async (t) => {
  for (const code of PANEL_FAILURES) t.equal(verdictOf(fail(code)), 'failure', code)
  t.equal(verdictOf(fail('upstream_auth_failed')), 'credentials', 'a wrong panel key is the operator\'s problem')
  const refusals = ['not_found', 'quantity_out_of_range', 'upstream_insufficient_funds', 'upstream_refused', 'upstream_bad_request',
    'invalid_link', 'unknown_service', 'duplicate_active_order', 'missing_field', 'invalid_drip_feed', 'upstream_action_unsupported'] as const
  for (const code of refusals) t.equal(verdictOf(fail(code)), 'refusal', `${code}: the panel answered`)
  t.equal(verdictOf(fail('upstream_overloaded')), 'neutral', 'time in our own queue says nothing about the panel')
  t.equal(verdictOf(fail('internal_error')), 'neutral')
  t.equal(verdictOf(new TypeError('bug')), 'neutral')
})

t.test('refusals keep the circuit closed however many there are', async (t) => {
  const { breaker } = clocked({ failureThreshold: 2 })
  await failWith(breaker, 'upstream_unavailable')
  await failWith(breaker, 'upstream_refused', 100)
  t.equal(breaker.state, 'closed')
  t.equal(breaker.stats().consecutiveFailures, 0, 'a refusal proves the panel alive')
})

t.test('a credential refusal opens the circuit at once and the fail-fast answer says why', async (t) => {
  const { breaker, advance } = clocked({ failureThreshold: 5, cooldownMs: 5000 })
  await failWith(breaker, 'upstream_auth_failed')
  t.equal(breaker.state, 'open', 'one refusal of our key is enough')
  t.match(breaker.stats().reason, /API key/)
  let ran = false
  const err = await rejects(t, breaker.run(async () => { ran = true }))
  t.notOk(ran, 'the panel is not called while open')
  t.equal(err.code, 'upstream_auth_failed')
  t.equal(err.retryAfter, 5)
  advance(5000)
  t.equal(breaker.state, 'half_open')
  await breaker.run(async () => 'ok')
  t.equal(breaker.state, 'closed', 'a fixed key closes it on the probe')
  t.equal(breaker.stats().reason, undefined)
})

t.test('opens after N consecutive failures and then fails fast without running the call', async (t) => {
  const { breaker, transitions } = clocked()
  await failWith(breaker, 'upstream_unavailable', 2)
  t.equal(breaker.state, 'closed', 'two failures: still closed')
  await failWith(breaker, 'upstream_timeout')
  t.equal(breaker.state, 'open', 'the third opens it')
  t.same(transitions, [['closed', 'open']])

  let ran = false
  const err = await rejects(t, breaker.run(async () => { ran = true }))
  t.notOk(ran, 'the call did not run')
  t.equal(err.code, 'upstream_unavailable')
  t.equal(err.statusCode, 503)
  t.equal(err.retryAfter, 5, 'Retry-After: seconds until the probe')
  t.match(err.message, /circuit .* open/)
  t.match(breaker.stats(), { state: 'open', consecutiveFailures: 3, failures: 3, successes: 0, rejected: 1, opened: 1, retryInMs: 5000 })
})

t.test('a success or a business answer resets the consecutive count', async (t) => {
  const { breaker } = clocked()
  await failWith(breaker, 'upstream_server_error', 2)
  await breaker.run(async () => 'ok')
  await failWith(breaker, 'upstream_server_error', 2)
  await failWith(breaker, 'not_found')
  await failWith(breaker, 'upstream_server_error', 2)
  t.equal(breaker.state, 'closed')
  t.equal(breaker.stats().consecutiveFailures, 2)
  await failWith(breaker, 'internal_error', 5)
  t.equal(breaker.state, 'closed', 'our own bugs say nothing about the panel')
  t.equal(breaker.stats().consecutiveFailures, 2, 'and do not reset the count either')
})

t.test('Retry-After counts down while open', async (t) => {
  const { breaker, advance } = clocked()
  await failWith(breaker, 'upstream_unavailable', 3)
  advance(3500)
  t.equal((await rejects(t, breaker.run(async () => {}))).retryAfter, 2)
  advance(1400)
  t.equal((await rejects(t, breaker.run(async () => {}))).retryAfter, 1, 'never below 1')
})

t.test('half-open after the cool-down: one probe at a time; success closes', async (t) => {
  const { breaker, transitions, advance } = clocked()
  await failWith(breaker, 'upstream_unavailable', 3)
  advance(5000)
  t.equal(breaker.state, 'half_open', 'the state is half-open once the cool-down is over, without a call')

  let finish: (() => void) | undefined
  const probe = breaker.run(async () => await new Promise<void>((resolve) => { finish = resolve }))
  const second = await rejects(t, breaker.run(async () => {}))
  t.equal(second.code, 'upstream_unavailable', 'a second call while the probe is out fails fast')
  t.equal(second.retryAfter, 1)
  t.match(second.message, /half-open/)
  finish?.()
  await probe
  t.equal(breaker.state, 'closed')
  t.equal(breaker.stats().consecutiveFailures, 0)
  t.same(transitions, [['closed', 'open'], ['open', 'half_open'], ['half_open', 'closed']])
  await breaker.run(async () => {})
})

t.test('a failed probe opens the circuit again for a full cool-down', async (t) => {
  const { breaker, transitions, advance } = clocked()
  await failWith(breaker, 'upstream_unavailable', 3)
  advance(5000)
  await failWith(breaker, 'upstream_html_response')
  t.equal(breaker.state, 'open')
  t.equal(breaker.stats().retryInMs, 5000)
  t.equal(breaker.stats().opened, 2)
  advance(4999)
  t.equal(breaker.state, 'open')
  advance(1)
  t.equal(breaker.state, 'half_open')
  t.same(transitions.map(([, to]) => to), ['open', 'half_open', 'open', 'half_open'])
})

t.test('a business answer to the probe proves the panel alive', async (t) => {
  const { breaker, advance } = clocked()
  await failWith(breaker, 'upstream_unavailable', 3)
  advance(5000)
  await failWith(breaker, 'upstream_insufficient_funds')
  t.equal(breaker.state, 'closed')
})

t.test('a probe that never reached the panel frees the probe slot without a verdict', async (t) => {
  const { breaker, advance } = clocked()
  await failWith(breaker, 'upstream_unavailable', 3)
  advance(5000)
  const permit = breaker.acquire()
  t.throws(() => breaker.acquire(), { code: 'upstream_unavailable' }, 'probe out')
  permit.release()
  t.equal(breaker.state, 'half_open')
  const next = breaker.acquire()
  next.success()
  next.failure()
  t.equal(breaker.state, 'closed', 'a permit settles once: the later failure is ignored')
})

t.test('results of calls admitted before a transition are ignored', async (t) => {
  const { breaker, advance } = clocked()
  const slow = [breaker.acquire(), breaker.acquire()]
  await failWith(breaker, 'upstream_unavailable', 3)
  t.equal(breaker.state, 'open')
  slow[0]?.success()
  t.equal(breaker.state, 'open', 'a late success of an old call does not close it')
  advance(5000)
  const probe = breaker.acquire()
  slow[1]?.failure()
  t.equal(breaker.state, 'half_open', 'a late failure of an old call does not reopen it')
  probe.success()
  t.equal(breaker.state, 'closed')
})

t.test('a panel Retry-After longer than the cool-down keeps the circuit open that long', async (t) => {
  const { breaker, advance } = clocked({ failureThreshold: 2 })
  await failWith(breaker, 'upstream_rate_limited')
  await breaker.run(async () => { throw fail('upstream_rate_limited', 30) }).catch(() => {})
  t.equal(breaker.state, 'open')
  t.equal((await rejects(t, breaker.run(async () => {}))).retryAfter, 30)
  advance(29_000)
  t.equal(breaker.state, 'open')
  advance(1000)
  t.equal(breaker.state, 'half_open')
})

t.test('a listener that throws does not break the breaker', async (t) => {
  const { breaker } = clocked({ failureThreshold: 1 })
  const off = breaker.onStateChange(() => { throw new Error('listener bug') })
  await failWith(breaker, 'upstream_unavailable')
  t.equal(breaker.state, 'open')
  off()
})

t.test('without traffic the open circuit turns half-open on the real clock', async (t) => {
  const transitions: BreakerState[] = []
  const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 50 })
  t.teardown(() => breaker.close())
  breaker.onStateChange((to) => { transitions.push(to) })
  await failWith(breaker, 'upstream_unavailable')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(transitions, ['open', 'half_open'], 'the listener heard half_open with no call made')
})

t.test('bad options are refused', async (t) => {
  t.throws(() => new CircuitBreaker({ failureThreshold: 0, cooldownMs: 1 }), RangeError)
  t.throws(() => new CircuitBreaker({ failureThreshold: 1, cooldownMs: -1 }), RangeError)
})
