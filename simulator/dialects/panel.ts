import type { Fault } from '../faults.js'
import type { Reply } from '../http-util.js'
import type { OrderBook } from '../orders.js'
import type { Quirks } from '../quirks.js'

export const DIALECTS = ['standard', 'smartpanel', 'rental'] as const
export type Dialect = typeof DIALECTS[number]

export function isDialect (value: unknown): value is Dialect {
  return typeof value === 'string' && (DIALECTS as readonly string[]).includes(value)
}

export type Fields = Readonly<Record<string, string>>

/** One call to the API path, as the panel's script receives it. */
export interface PanelCall {
  fields: Fields
  /** A JSON body: `fields` only say what it meant (for the call log); PHP's `$_POST` is empty. */
  json: boolean
}

export interface PanelDeps {
  key: string
  book: OrderBook
  quirks?: Quirks
  phpNotices?: boolean
}

/** A panel script as the HTTP layer drives it; one class per dialect. */
export interface Panel {
  readonly dialect: Dialect
  /** Where the API answers, e.g. `/api/v2`. */
  readonly apiPath: string
  /** A disabled account: each dialect refuses the key its own way. */
  accountActive: boolean
  /** The fields a GET to the API path carries, or undefined when GET is refused (405). */
  getFields: (query: URLSearchParams) => Record<string, string> | undefined
  /** The answer to one call: key, account and action checks included. */
  call: (request: PanelCall) => Reply
  /** The dialect's own rendering of a fault, or undefined for the common one. */
  fault: (fault: Fault) => Reply | undefined
  /** Other pages the panel serves (e.g. SmartPanel's 403 on /api/v2), or undefined. */
  page: (method: string, path: string) => Reply | undefined
  setQuirks: (quirks: Quirks) => void
  setPhpNotices: (on: boolean) => void
}
