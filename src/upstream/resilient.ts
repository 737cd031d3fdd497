import { GatewayError } from '../errors.js'
import { CircuitBreaker, type BreakerOptions, type BreakerStats, type StateListener } from './breaker.js'
import { Limiter, type LimiterOptions, type LimiterStats, type Release } from './limiter.js'
import type { RateGate } from './shared-rate.js'
import { withUnknownOutcome } from './normalise.js'
import { READ_ACTIONS, type PanelAction, type PanelClient } from './types.js'

export interface ResilienceOptions {
  /** The whole call, queue wait included (PANEL_TIMEOUT_MS). */
  timeoutMs: number
  breaker: Omit<BreakerOptions, 'now'>
  limiter: Omit<LimiterOptions, 'now'>
  /** The panel's rate shared with other instances (Redis); the limiter alone bounds this one. */
  rateGate?: RateGate
}

export interface ResilienceState {
  breaker: BreakerStats
  limiter: LimiterStats
}

export interface ResilientPanelClient extends PanelClient {
  state: () => ResilienceState
  /** Breaker transitions (metrics, logs); returns a function that unsubscribes. */
  onStateChange: (listener: StateListener) => () => void
}

export function isResilient (client: PanelClient): client is ResilientPanelClient {
  const candidate = client as Partial<ResilientPanelClient>
  return typeof candidate.state === 'function' && typeof candidate.onStateChange === 'function'
}

/**
 * Every panel call (a multi call is one) passes the circuit breaker and the
 * shared limiter. An open circuit fails at once, before queueing; a call that
 * waited in the queue is cut off at the original deadline, since the inner
 * client's own deadline only starts when it leaves the queue.
 */
export function createResilientClient (inner: PanelClient, options: ResilienceOptions): ResilientPanelClient {
  const now = (): number => performance.now()
  const timeoutMs = options.timeoutMs
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number')
  const breaker = new CircuitBreaker({ ...options.breaker, now })
  const limiter = new Limiter({ ...options.limiter, now })

  async function withinDeadline<T> (action: PanelAction, pending: Promise<T>, deadline: number, waitedMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new GatewayError('upstream_timeout', `The panel did not answer within ${timeoutMs} ms (${Math.round(waitedMs)} ms of it waiting in the gateway's queue)`)
        reject(READ_ACTIONS.has(action) ? error : withUnknownOutcome(error, action))
      }, Math.max(0, deadline - now()))
    })
    try {
      return await Promise.race([pending, expired])
    } finally {
      clearTimeout(timer)
    }
  }

  async function guard<T> (action: PanelAction, call: () => Promise<T>): Promise<T> {
    const started = now()
    const deadline = started + timeoutMs
    breaker.check()
    let release: Release | undefined = limiter.tryAcquire()
    // A call that waited (here or at the shared gate) has used part of its time already.
    const queued = release === undefined || options.rateGate !== undefined
    release ??= await limiter.acquire(deadline)
    let permit
    try {
      await options.rateGate?.wait(deadline)
      // The circuit may have opened while this call waited in the queue.
      permit = breaker.acquire()
    } catch (err) {
      release()
      throw err
    }
    const pending = call()
    // The slot is held until the panel call really ends, even when we stop waiting for it.
    pending.then(release, release)
    try {
      const value = queued ? await withinDeadline(action, pending, deadline, now() - started) : await pending
      permit.success()
      return value
    } catch (err) {
      permit.settle(err)
      throw err
    }
  }

  // An empty multi call never reaches the panel, so it must not count as the probe's success.
  async function many<T> (action: PanelAction, ids: number[], call: () => Promise<Map<number, T>>): Promise<Map<number, T>> {
    return Array.isArray(ids) && ids.length === 0 ? await call() : await guard(action, call)
  }

  return {
    services: async () => await guard('services', async () => await inner.services()),
    add: async (fields) => await guard('add', async () => await inner.add(fields)),
    status: async (order) => await guard('status', async () => await inner.status(order)),
    statusMany: async (orders) => await many('status', orders, async () => await inner.statusMany(orders)),
    refill: async (order) => await guard('refill', async () => await inner.refill(order)),
    refillMany: async (orders) => await many('refill', orders, async () => await inner.refillMany(orders)),
    refillStatus: async (refill) => await guard('refill_status', async () => await inner.refillStatus(refill)),
    refillStatusMany: async (refills) => await many('refill_status', refills, async () => await inner.refillStatusMany(refills)),
    cancel: async (orders) => await many('cancel', orders, async () => await inner.cancel(orders)),
    balance: async () => await guard('balance', async () => await inner.balance()),
    state: () => ({ breaker: breaker.stats(), limiter: limiter.stats() }),
    onStateChange: (listener) => breaker.onStateChange(listener),
    close: async () => {
      limiter.close()
      breaker.close()
      await inner.close()
    }
  }
}
