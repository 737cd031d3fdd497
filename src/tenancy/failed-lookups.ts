import { LRUCache } from 'lru-cache'
import ipaddr from 'ipaddr.js'

const WINDOW_MS = 60_000

interface Window {
  /** Monotonic ms when the window opened (its first counted lookup). */
  openedAt: number
  /** Lookups counted as failed in the window, those still in flight included. */
  failures: number
}

/**
 * Whom failed key lookups are counted against: an IPv4 address, or an IPv6
 * address's /64 (one subscriber's network: counted per address, a client
 * with a /64 would have 2^64 fresh allowances).
 */
function networkOf (ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') return address.toString()
  return address.toNormalizedString().split(':').slice(0, 4).join(':') + '::/64'
}

/** A lookup counted against a client until it turns out valid. */
export interface Charge {
  refund: () => void
}

export interface FailedLookupsOptions {
  /** Failed key lookups a client may make in a minute. */
  perMinute: number
  /** Monotonic ms. */
  monotonic: () => number
  /** Clients remembered; past it the one quiet longest is forgotten (and starts afresh). */
  maxClients?: number
}

/**
 * Failed key lookups per client address, in windows of a minute opened by the
 * first lookup counted. Each instance counts its own: behind a load balancer
 * over N instances a client gets up to N times the limit, which is still a
 * bound on what it costs the store.
 *
 * A lookup is charged before it is made and refunded if the key was valid, so
 * a burst of concurrent lookups from one client cannot overshoot the limit
 * while the first of them are still waiting on the store.
 */
export class FailedLookups {
  readonly #perMinute: number
  readonly #monotonic: () => number
  readonly #windows: LRUCache<string, Window>

  constructor (options: FailedLookupsOptions) {
    this.#perMinute = options.perMinute
    this.#monotonic = options.monotonic
    this.#windows = new LRUCache({
      max: options.maxClients ?? 10_000,
      ttl: WINDOW_MS,
      perf: { now: options.monotonic },
      ttlResolution: 0
    })
  }

  /** Seconds until `client` may look a key up again; undefined while it may. */
  refusedFor (client: string): number | undefined {
    const window = this.#current(networkOf(client))
    if (window === undefined || window.failures < this.#perMinute) return undefined
    return Math.max(1, Math.ceil((window.openedAt + WINDOW_MS - this.#monotonic()) / 1000))
  }

  /** Counts a lookup by `client` as failed, until refunded. */
  charge (address: string): Charge {
    const client = networkOf(address)
    let window = this.#current(client)
    if (window === undefined) {
      window = { openedAt: this.#monotonic(), failures: 0 }
      this.#windows.set(client, window)
    }
    window.failures++
    const charged = window
    let refunded = false
    return {
      refund: () => {
        if (refunded) return
        refunded = true
        charged.failures--
      }
    }
  }

  clear (): void {
    this.#windows.clear()
  }

  #current (client: string): Window | undefined {
    const window = this.#windows.get(client)
    if (window === undefined || this.#monotonic() - window.openedAt < WINDOW_MS) return window
    this.#windows.delete(client)
    return undefined
  }
}
