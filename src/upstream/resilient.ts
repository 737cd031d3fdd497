import { CircuitBreaker, type BreakerOptions, type BreakerPermit, type BreakerStats, type StateListener } from './breaker.js'
import { Limiter, type LimiterOptions, type LimiterStats, type Release } from './limiter.js'
import { GatewayError } from '../problems/errors.js'
import { normaliseBalance } from './normalise.js'
import { AUTH_FAILED_DETAIL } from './panel-errors.js'
import type { RateGate } from './shared-rate.js'
import { verdictOf } from './verdict.js'
import type { PanelAction, PanelCall, PanelTransport } from './types.js'

export interface ResilienceOptions {
  /**
   * How long a call may wait for its turn (our queue, the shared rate) before it
   * is refused with `upstream_overloaded`; the panel's own PANEL_TIMEOUT_MS only
   * starts when it leaves, so time spent queued is never taken for a slow panel.
   */
  queueTimeoutMs: number
  breaker: Omit<BreakerOptions, 'now'>
  limiter: Omit<LimiterOptions, 'now'>
  /** The panel's rate shared with other instances (Redis); the limiter alone bounds this one. */
  rateGate?: RateGate
  /** Monotonic clock in ms for the queue deadline, the breaker and the limiter (the rate gate's must be the same); default performance.now. */
  now?: () => number
}

export interface ResilienceState {
  breaker: BreakerStats
  limiter: LimiterStats
}

export interface ResilientTransport extends PanelTransport {
  state: () => ResilienceState
  /** Breaker transitions (metrics, logs); returns a function that unsubscribes. */
  onStateChange: (listener: StateListener) => () => void
}

// Calls that carry nothing but the key: a credentials refusal of one of these is about the key.
const KEY_ONLY: ReadonlySet<PanelAction> = new Set(['balance', 'services'])

/**
 * A credentials-like refusal of a call that carried a tenant's input (an order,
 * ids) may be about that input ("this account is suspended" of the link's
 * account): it is the panel's verdict on the key only when a call carrying
 * nothing but the key is refused too. Otherwise it is the tenant's refusal.
 */
function notTheKey (err: GatewayError): GatewayError {
  const lead = `${AUTH_FAILED_DETAIL}: `
  const said = (text: string): string => text.startsWith(lead) ? text.slice(lead.length) : text
  return new GatewayError('upstream_refused', `The panel refused the request: ${said(err.message)}`, {
    cause: err,
    ...(err.operatorDetail === undefined ? {} : { operatorDetail: `The panel refused the request: ${said(err.operatorDetail)}` })
  })
}

/**
 * Every panel call (a multi call is one) passes the circuit breaker and the
 * tenant-fair limiter. An open circuit fails at once, before queueing; the
 * breaker judges only what the panel did with calls that reached it.
 */
export function withResilience (inner: PanelTransport, options: ResilienceOptions): ResilientTransport {
  const now = options.now ?? (() => performance.now())
  if (!Number.isFinite(options.queueTimeoutMs) || options.queueTimeoutMs < 0) throw new RangeError('queueTimeoutMs must be a non-negative number')
  const breaker = new CircuitBreaker({ ...options.breaker, now })
  const limiter = new Limiter({ ...options.limiter, now })
  // One key check at a time however many refusals ask for it.
  let checkingKey: Promise<boolean> | undefined

  async function keyRefused (): Promise<boolean> {
    checkingKey ??= call('balance', {}, normaliseBalance).then(() => false, (err: unknown) => verdictOf(err) === 'credentials')
      .finally(() => { checkingKey = undefined })
    return await checkingKey
  }

  const call: PanelCall = async (action, form, parse, callOptions) => {
    breaker.check()
    const tenant = callOptions?.tenant ?? ''
    const queueDeadline = now() + options.queueTimeoutMs
    const release: Release = limiter.tryAcquire(tenant) ?? await limiter.acquire(queueDeadline, tenant)
    let permit: BreakerPermit
    try {
      await options.rateGate?.wait(queueDeadline)
      // The circuit may have opened while this call waited its turn.
      permit = breaker.acquire()
    } catch (err) {
      release()
      throw err
    }
    let value
    try {
      value = await inner.call(action, form, parse, callOptions)
    } catch (err) {
      release()
      if (verdictOf(err) !== 'credentials' || KEY_ONLY.has(action)) {
        permit.settle(err)
        throw err
      }
      permit.success()
      // The key check goes through this same path: a refused key opens the circuit there.
      throw await keyRefused() ? err : notTheKey(err as GatewayError)
    }
    release()
    permit.success()
    return value
  }

  return {
    call,
    state: () => ({ breaker: breaker.stats(), limiter: limiter.stats() }),
    onStateChange: (listener) => breaker.onStateChange(listener),
    close: async () => {
      limiter.close()
      breaker.close()
      await inner.close()
    }
  }
}
