import { GatewayError } from '../problems/errors.js'

// Hand-written rather than p-limit or bottleneck: p-limit has neither a rate
// guard nor a bounded queue nor per-call deadlines, and bottleneck (unmaintained
// since 2019) brings clustering and reservoirs we do not need. This is one FIFO
// queue per tenant in front of two gates that every tenant shares.

const WINDOW_MS = 1000
// Starts are also paced, a burst of at most a tenth of the second's budget at
// once: otherwise whoever comes first spends the whole second in one burst and
// a tenant arriving just after waits for the window to slide, up to a second.
const BURST_SHARE = 10

export interface LimiterOptions {
  /** Panel calls in flight at once, all tenants together. */
  maxConcurrency: number
  /** Panel calls started in any one-second window, all tenants together. */
  maxPerSecond: number
  /**
   * Calls that may wait for a slot, per tenant: one more of that tenant fails
   * at once with `upstream_overloaded`, while other tenants still queue.
   */
  queueLimit: number
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number
}

export interface LimiterStats {
  inFlight: number
  queued: number
  /** Tenants with at least one call waiting. */
  tenantsWaiting: number
  /** Tenants with a call waiting or in flight (the limiter holds state for these only). */
  tenants: number
  /** Totals since start. */
  started: number
  /** Refused because the tenant's queue was full. */
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

interface Tenant {
  name: string
  queue: Waiter[]
  inFlight: number
  /**
   * When this tenant's turn began, in arrival order (`#seq`): its head's
   * arrival, or its last start if later, so tenants tied on calls in flight
   * take turns instead of draining whoever came first.
   */
  turn: number
}

/**
 * Bounds the calls to the panel across every tenant: at most `maxConcurrency`
 * in flight and `maxPerSecond` started in any sliding second (a flooded panel
 * bans the key). Each tenant waits in its own queue, and a slot that frees
 * goes to the waiting tenant with the fewest calls in flight, ties to the one
 * waiting longest for its turn. So a flooding tenant gets its share and no
 * more while others wait, and all of it when alone.
 */
export class Limiter {
  readonly #max: number
  readonly #perSecond: number
  readonly #queueLimit: number
  readonly #now: () => number
  // Only tenants with a call waiting or in flight, so many tenants cost nothing once idle.
  readonly #tenants = new Map<string, Tenant>()
  readonly #waiting = new Set<Tenant>()
  // Start times of the last `maxPerSecond` calls, oldest first.
  readonly #starts: number[] = []
  readonly #spacingMs: number
  readonly #burst: number
  // When the pacing would let the next start through with no burst left (GCRA's theoretical arrival time).
  #paceAt = -Infinity
  #inFlight = 0
  #queued = 0
  #seq = 0
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
    this.#spacingMs = WINDOW_MS / options.maxPerSecond
    this.#burst = Math.max(1, Math.floor(options.maxPerSecond / BURST_SHARE))
    this.#queueLimit = options.queueLimit
    this.#now = options.now ?? (() => performance.now())
  }

  stats (): LimiterStats {
    return {
      inFlight: this.#inFlight,
      queued: this.#queued,
      tenantsWaiting: this.#waiting.size,
      tenants: this.#tenants.size,
      started: this.#started,
      overloaded: this.#overloaded,
      timedOut: this.#timedOut
    }
  }

  /**
   * A slot when one is free and no tenant is waiting, else undefined, so no
   * call jumps ahead of a waiter. Waiters start as soon as the gates allow: a
   * free slot beside waiters only lasts until the rate gate's wake-up, and
   * `acquire` then queues the call and hands the slot out by the fair rule.
   */
  tryAcquire (tenant = ''): Release | undefined {
    if (this.#waiting.size === 0 && this.#inFlight < this.#max && this.#rateWaitMs() === 0) return this.#start(this.#tenant(tenant))
    return undefined
  }

  /**
   * A slot, at once when one is free, else after waiting in the tenant's queue
   * until `deadline` (same clock as `now`) at the latest: then
   * `upstream_overloaded`, since time spent queued is no panel failure.
   */
  async acquire (deadline: number, tenant = ''): Promise<Release> {
    const now = this.tryAcquire(tenant)
    if (now !== undefined) return now
    const waiting = this.#tenants.get(tenant)?.queue.length ?? 0
    if (waiting >= this.#queueLimit) {
      this.#overloaded++
      throw new GatewayError('upstream_overloaded', `${waiting} calls of this tenant are already waiting for the panel`, { retryAfter: 1 })
    }
    return await new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, queuedAt: this.#now() }
      const wait = deadline - waiter.queuedAt
      if (wait <= 0) {
        this.#timedOut++
        reject(this.#timeout(0))
        return
      }
      const state = this.#tenant(tenant)
      waiter.timer = setTimeout(() => {
        const at = state.queue.indexOf(waiter)
        if (at === -1) return
        state.queue.splice(at, 1)
        this.#queued--
        this.#dequeued(state)
        this.#timedOut++
        reject(this.#timeout(this.#now() - waiter.queuedAt))
        this.#pump()
      }, wait)
      if (state.queue.length === 0) state.turn = this.#seq++
      state.queue.push(waiter)
      this.#queued++
      this.#waiting.add(state)
      this.#pump()
    })
  }

  /** `fn` in a slot, the slot held until it settles. */
  async run<T> (fn: () => Promise<T>, deadline: number, tenant = ''): Promise<T> {
    const release = await this.acquire(deadline, tenant)
    try {
      return await fn()
    } finally {
      release()
    }
  }

  /** Fails every waiting call of every tenant (the app is closing). */
  close (): void {
    clearTimeout(this.#wake)
    this.#wake = undefined
    const waiting = [...this.#waiting]
    for (const state of waiting) {
      for (const waiter of state.queue.splice(0)) {
        clearTimeout(waiter.timer)
        waiter.reject(new GatewayError('upstream_unavailable', 'The panel client is closed'))
      }
      this.#dequeued(state)
    }
    this.#queued = 0
  }

  #timeout (waitedMs: number): GatewayError {
    return new GatewayError('upstream_overloaded', `The call waited ${Math.round(waitedMs)} ms in the gateway's queue to the panel and ran out of time`, { retryAfter: 1 })
  }

  #tenant (name: string): Tenant {
    let state = this.#tenants.get(name)
    if (state === undefined) {
      state = { name, queue: [], inFlight: 0, turn: 0 }
      this.#tenants.set(name, state)
    }
    return state
  }

  /** After waiters left `state.queue`: an emptied queue stops counting as waiting. */
  #dequeued (state: Tenant): void {
    if (state.queue.length > 0) return
    this.#waiting.delete(state)
    this.#forgetIfIdle(state)
  }

  #forgetIfIdle (state: Tenant): void {
    if (state.queue.length === 0 && state.inFlight === 0) this.#tenants.delete(state.name)
  }

  /** ms until the rate gate lets one more call start: at most `maxPerSecond` in any second, paced. */
  #rateWaitMs (): number {
    const now = this.#now()
    const pace = Math.max(0, this.#paceAt - (this.#burst - 1) * this.#spacingMs - now)
    if (this.#starts.length < this.#perSecond) return pace
    return Math.max(pace, (this.#starts[0] as number) + WINDOW_MS - now)
  }

  #start (state: Tenant): Release {
    const now = this.#now()
    this.#paceAt = Math.max(this.#paceAt, now) + this.#spacingMs
    this.#starts.push(now)
    if (this.#starts.length > this.#perSecond) this.#starts.shift()
    this.#inFlight++
    state.inFlight++
    this.#started++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#inFlight--
      state.inFlight--
      this.#forgetIfIdle(state)
      this.#pump()
    }
  }

  /** The waiting tenant with the fewest calls in flight; of those, the one whose turn began first. */
  #next (): Tenant | undefined {
    let best: Tenant | undefined
    for (const state of this.#waiting) {
      if (best === undefined || state.inFlight < best.inFlight || (state.inFlight === best.inFlight && state.turn < best.turn)) best = state
    }
    return best
  }

  #pump (): void {
    while (this.#waiting.size > 0 && this.#inFlight < this.#max) {
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
      const state = this.#next() as Tenant
      const waiter = state.queue.shift() as Waiter
      this.#queued--
      clearTimeout(waiter.timer)
      // Started before the emptied queue is looked at, so the tenant is not forgotten.
      const release = this.#start(state)
      if (state.queue.length > 0) state.turn = this.#seq++
      this.#dequeued(state)
      waiter.resolve(release)
    }
  }
}
