import { GatewayError } from '../problems/errors.js'
import { verdictOf } from './verdict.js'

// Hand-written rather than opossum: the state machine is small, and opossum's
// own timeouts, fallbacks and rolling-window statistics overlap what the undici
// client (deadline, retries) and the limiter already do; we only need
// "N consecutive panel failures → fail fast for a while → one probe", and
// "the panel refused our key → fail fast at once".

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number
  /** How long it stays open before one probe is let through (ms). */
  cooldownMs: number
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number
}

export interface BreakerStats {
  state: BreakerState
  consecutiveFailures: number
  /** Totals since start. */
  successes: number
  failures: number
  /** Calls refused while open or while a probe was out. */
  rejected: number
  /** Times the circuit opened. */
  opened: number
  /** While open: ms until a probe is let through. */
  retryInMs?: number
  /** While open: why, in words an operator can act on. */
  reason?: string
}

export type StateListener = (to: BreakerState, from: BreakerState) => void

/** One admitted call; settle it exactly once (later calls are ignored). */
export interface BreakerPermit {
  success: () => void
  failure: (retryAfterSeconds?: number) => void
  /** The panel refused the gateway's key: open at once. */
  trip: (error: GatewayError) => void
  /** The call never reached the panel: no verdict. */
  release: () => void
  /** Settles by `verdictOf(err)`. */
  settle: (err: unknown) => void
}

export class CircuitBreaker {
  readonly #threshold: number
  readonly #cooldownMs: number
  readonly #now: () => number
  readonly #listeners = new Set<StateListener>()
  #state: BreakerState = 'closed'
  // Bumped on every transition: results of calls admitted before it are stale.
  #generation = 0
  #consecutive = 0
  #openUntil = 0
  #probeOut = false
  #timer: NodeJS.Timeout | undefined
  #successes = 0
  #failures = 0
  #rejected = 0
  #opened = 0
  // Set while open because the panel refused our key: answered instead of "circuit open".
  #tripped: GatewayError | undefined
  #reason: string | undefined

  constructor (options: BreakerOptions) {
    if (!Number.isSafeInteger(options.failureThreshold) || options.failureThreshold < 1) throw new RangeError('failureThreshold must be a positive integer')
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) throw new RangeError('cooldownMs must be a non-negative number')
    this.#threshold = options.failureThreshold
    this.#cooldownMs = options.cooldownMs
    this.#now = options.now ?? (() => performance.now())
  }

  get state (): BreakerState {
    this.#refresh()
    return this.#state
  }

  stats (): BreakerStats {
    const state = this.state
    return {
      state,
      consecutiveFailures: this.#consecutive,
      successes: this.#successes,
      failures: this.#failures,
      rejected: this.#rejected,
      opened: this.#opened,
      ...(state === 'open' ? { retryInMs: Math.max(0, this.#openUntil - this.#now()), reason: this.#reason ?? 'repeated panel failures' } : {})
    }
  }

  /** Called on every transition; returns a function that unsubscribes. */
  onStateChange (listener: StateListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Throws what `acquire` would throw, without taking the probe: a cheap check before queueing. */
  check (): void {
    this.#refresh()
    if (this.#state === 'open') {
      this.#rejected++
      const seconds = Math.max(1, Math.ceil((this.#openUntil - this.#now()) / 1000))
      if (this.#tripped !== undefined) {
        throw new GatewayError('upstream_auth_failed', `${this.#tripped.message}; the panel is not asked again for ${seconds} s`, { retryAfter: seconds })
      }
      throw new GatewayError('upstream_unavailable', `The circuit to the panel is open after repeated failures; the next try is in ${seconds} s`, { retryAfter: seconds })
    }
    if (this.#state === 'half_open' && this.#probeOut) {
      this.#rejected++
      throw new GatewayError('upstream_unavailable', 'The circuit to the panel is half-open and a probe call is out; try again shortly', { retryAfter: 1 })
    }
  }

  /** Admits a call or throws 503 `upstream_unavailable` at once, without touching the panel. */
  acquire (): BreakerPermit {
    this.check()
    const probe = this.#state === 'half_open'
    if (probe) this.#probeOut = true
    return this.#permit(this.#generation, probe)
  }

  /** Runs `fn` under the breaker, judging its outcome with `verdictOf`. */
  async run<T> (fn: () => Promise<T>): Promise<T> {
    const permit = this.acquire()
    try {
      const value = await fn()
      permit.success()
      return value
    } catch (err) {
      permit.settle(err)
      throw err
    }
  }

  /** Stops the cool-down timer (the breaker still works, lazily). */
  close (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #permit (generation: number, probe: boolean): BreakerPermit {
    let settled = false
    const once = (fn: () => void) => () => {
      if (settled) return
      settled = true
      if (probe && generation === this.#generation) this.#probeOut = false
      fn()
    }
    const success = once(() => {
      this.#successes++
      if (generation !== this.#generation) return
      this.#consecutive = 0
      if (this.#state === 'half_open') this.#transition('closed')
    })
    const failure = (retryAfterSeconds?: number): void => once(() => {
      this.#failures++
      if (generation !== this.#generation) return
      this.#consecutive++
      if (this.#state === 'half_open' || this.#consecutive >= this.#threshold) this.#open(retryAfterSeconds)
    })()
    const trip = (error: GatewayError): void => once(() => {
      this.#failures++
      if (generation !== this.#generation) return
      this.#consecutive++
      this.#open(undefined, error)
    })()
    const release = once(() => {})
    return {
      success,
      failure,
      trip,
      release,
      settle: (err) => {
        const verdict = verdictOf(err)
        if (verdict === 'success' || verdict === 'refusal') success()
        else if (verdict === 'failure') failure(err instanceof GatewayError ? err.retryAfter : undefined)
        else if (verdict === 'credentials') trip(err as GatewayError)
        else release()
      }
    }
  }

  #open (retryAfterSeconds: number | undefined, credentials?: GatewayError): void {
    // A panel that said how long to back off is not asked again before then.
    const ms = Math.max(this.#cooldownMs, (retryAfterSeconds ?? 0) * 1000)
    this.#tripped = credentials
    this.#reason = credentials === undefined
      ? `${this.#consecutive} consecutive panel failures`
      : 'the panel refused the gateway\'s API key (upstream_auth_failed): check PANEL_KEY'
    this.#openUntil = this.#now() + ms
    this.#opened++
    this.#transition('open')
    clearTimeout(this.#timer)
    // The timer only makes the half-open state visible (metrics, /ready) without traffic.
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#refresh()
    }, ms + 1)
    this.#timer.unref()
  }

  #refresh (): void {
    if (this.#state === 'open' && this.#now() >= this.#openUntil) this.#transition('half_open')
  }

  #transition (to: BreakerState): void {
    const from = this.#state
    if (from === to) return
    this.#state = to
    this.#generation++
    this.#probeOut = false
    if (to === 'closed') {
      this.#consecutive = 0
      this.#tripped = undefined
      this.#reason = undefined
    }
    if (to !== 'open') {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    for (const listener of this.#listeners) {
      try {
        listener(to, from)
      } catch {
        // A listener's bug must not break the panel calls.
      }
    }
  }
}
