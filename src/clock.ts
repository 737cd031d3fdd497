// The time the gateway reads, passed in rather than taken from the globals, so
// a test can move it for one app without touching Date or performance.

export interface Clock {
  /** Wall time, ms since the epoch (Date.now): what is stamped, stored or compared with stored dates. */
  now: () => number
  /** Monotonic ms (performance.now): deadlines, cool-downs, windows, cache TTLs; it never steps with the wall clock. */
  monotonic: () => number
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now()
}
