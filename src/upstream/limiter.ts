import { GatewayError } from '../errors.js'

// Hand-written rather than p-limit or bottleneck: p-limit has neither a rate
// guard nor a bounded queue nor per-call deadlines, and bottleneck (unmaintained
// since 2019) brings clustering and reservoirs we do not need. This is one FIFO
// queue in front of two gates.

const WINDOW_MS = 1000

export interface LimiterOptions {
  /** Panel calls in flight at once. */
  maxConcurrency: number
  /** Panel calls started in any one-second window. */
  maxPerSecond: number
  /** Calls that may wait for a slot; one more fails at once with `upstream_overloaded`. */
  queueLimit: number
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number
}

export interface LimiterStats {
  inFlight: number
  queued: number
  /** Totals since start. */
  started: number
  /** Refused because the queue was full. */
  overloaded: number
  /** Gave up in the queue when their deadline passed. */
  timedOut: number
}

/** Give the slot back when the call has settled; extra calls are ignored. */
export type Release = () => void

interface Waiter {
  resolve: (release: Release) => void
  reject: (err: GatewayError) => void
  timer: NodeJS.Timeout | undefined
  queuedAt: number
}

/**
 * Bounds the calls to the panel across every tenant: at most `maxConcurrency`
 * in flight and `maxPerSecond` started in any sliding second (a flooded panel
 * bans the key), the rest waiting first come, first served.
 */
export class Limiter {
  readonly #max: number
  readonly #perSecond: number
  readonly #queueLimit: number
  readonly #now: () => number
  readonly #queue: Waiter[] = []
  // Start times of the last `maxPerSecond` calls, oldest first.
  readonly #starts: number[] = []
  #inFlight = 0
  #wake: NodeJS.Timeout | undefined
  #started = 0
  #overloaded = 0
  #timedOut = 0

  constructor (options: LimiterOptions) {
    for (const [name, value, min] of [['maxConcurrency', options.maxConcurrency, 1], ['maxPerSecond', options.maxPerSecond, 1], ['queueLimit', options.queueLimit, 0]] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}`)
    }
    this.#max = options.maxConcurrency
    this.#perSecond = options.maxPerSecond
    this.#queueLimit = options.queueLimit
    this.#now = options.now ?? (() => performance.now())
  }

  stats (): LimiterStats {
    return { inFlight: this.#inFlight, queued: this.#queue.length, started: this.#started, overloaded: this.#overloaded, timedOut: this.#timedOut }
  }

  /** A slot when one is free and nobody is waiting, else undefined. */
  tryAcquire (): Release | undefined {
    if (this.#queue.length === 0 && this.#inFlight < this.#max && this.#rateWaitMs() === 0) return this.#start()
    return undefined
  }

  /**
   * A slot, at once when one is free, else after waiting in the queue until
   * `deadline` (same clock as `now`) at the latest: then `upstream_timeout`.
   */
  async acquire (deadline: number): Promise<Release> {
    const now = this.tryAcquire()
    if (now !== undefined) return now
    if (this.#queue.length >= this.#queueLimit) {
      this.#overloaded++
      throw new GatewayError('upstream_overloaded', `${this.#queue.length} calls are already waiting for the panel`, { retryAfter: 1 })
    }
    return await new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, queuedAt: this.#now() }
      const wait = deadline - waiter.queuedAt
      if (wait <= 0) {
        this.#timedOut++
        reject(this.#timeout(0))
        return
      }
      waiter.timer = setTimeout(() => {
        const at = this.#queue.indexOf(waiter)
        if (at === -1) return
        this.#queue.splice(at, 1)
        this.#timedOut++
        reject(this.#timeout(this.#now() - waiter.queuedAt))
        // The head may have been the one held back by the rate gate.
        this.#pump()
      }, wait)
      this.#queue.push(waiter)
      this.#pump()
    })
  }

  /** `fn` in a slot, the slot held until it settles. */
  async run<T> (fn: () => Promise<T>, deadline: number): Promise<T> {
    const release = await this.acquire(deadline)
    try {
      return await fn()
    } finally {
      release()
    }
  }

  /** Fails every waiting call (the app is closing). */
  close (): void {
    clearTimeout(this.#wake)
    this.#wake = undefined
    for (const waiter of this.#queue.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(new GatewayError('upstream_unavailable', 'The panel client is closed'))
    }
  }

  #timeout (waitedMs: number): GatewayError {
    return new GatewayError('upstream_timeout', `The call waited ${Math.round(waitedMs)} ms in the gateway's queue to the panel and ran out of time`)
  }

  /** ms until the rate gate lets one more call start. */
  #rateWaitMs (): number {
    if (this.#starts.length < this.#perSecond) return 0
    return Math.max(0, (this.#starts[0] as number) + WINDOW_MS - this.#now())
  }

  #start (): Release {
    const now = this.#now()
    this.#starts.push(now)
    if (this.#starts.length > this.#perSecond) this.#starts.shift()
    this.#inFlight++
    this.#started++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#inFlight--
      this.#pump()
    }
  }

  #pump (): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#max) {
      const wait = this.#rateWaitMs()
      if (wait > 0) {
        if (this.#wake === undefined) {
          this.#wake = setTimeout(() => {
            this.#wake = undefined
            this.#pump()
          }, Math.ceil(wait))
        }
        return
      }
      const waiter = this.#queue.shift() as Waiter
      clearTimeout(waiter.timer)
      waiter.resolve(this.#start())
    }
  }
}
