export interface CallRecord {
  action: string
  /** The form fields without `key`. */
  fields: Record<string, string>
  at: number
}

// Bounds memory in long benchmark runs; the counters stay exact.
const MAX_LOG = 10_000
const MAX_ACTION_NAME = 100

/** Every call to the API path the simulator received, counted per action. */
export class CallLog {
  readonly #now: () => number
  #total = 0
  #byAction = new Map<string, number>()
  #log: CallRecord[] = []

  /** `now`: the wall clock calls are stamped with (ms since the epoch). */
  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  record (action: string, fields: Record<string, string>): void {
    const name = action === '' ? 'unknown' : action.slice(0, MAX_ACTION_NAME)
    this.#total++
    this.#byAction.set(name, (this.#byAction.get(name) ?? 0) + 1)
    const { key: _key, ...rest } = fields
    this.#log.push({ action: name, fields: rest, at: this.#now() })
    if (this.#log.length > MAX_LOG * 2) this.#log = this.#log.slice(-MAX_LOG)
  }

  count (action?: string): number {
    return action === undefined ? this.#total : this.#byAction.get(action) ?? 0
  }

  byAction (): Record<string, number> {
    return Object.fromEntries(this.#byAction)
  }

  entries (): CallRecord[] {
    return this.#log.slice(-MAX_LOG).map((entry) => ({ ...entry, fields: { ...entry.fields } }))
  }

  reset (): void {
    this.#total = 0
    this.#byAction.clear()
    this.#log = []
  }
}
