import { CircuitBreaker, type BreakerOptions, type BreakerPermit, type BreakerStats, type StateListener } from './breaker.js'
import { Limiter, type LimiterOptions, type LimiterStats, type Release } from './limiter.js'
import type { RateGate } from './shared-rate.js'
import type { PanelCall, PanelTransport } from './types.js'

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

/**
 * Every panel call (a multi call is one) passes the circuit breaker and the
 * tenant-fair limiter. An open circuit fails at once, before queueing; the
 * breaker judges only what the panel did with calls that reached it.
 */
export function withResilience (inner: PanelTransport, options: ResilienceOptions): ResilientTransport {
  const now = (): number => performance.now()
  if (!Number.isFinite(options.queueTimeoutMs) || options.queueTimeoutMs < 0) throw new RangeError('queueTimeoutMs must be a non-negative number')
  const breaker = new CircuitBreaker({ ...options.breaker, now })
  const limiter = new Limiter({ ...options.limiter, now })

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
    try {
      const value = await inner.call(action, form, parse, callOptions)
      permit.success()
      return value
    } catch (err) {
      permit.settle(err)
      throw err
    } finally {
      release()
    }
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
