import { GatewayError } from '../problems/errors.js'

// Event feed cursors, built like order cursors (src/orders/cursor.ts): the
// public id of the last event a page held, the listing and its types filter,
// base64url behind a version. The store resolves the id among the events the
// caller may see, so a cursor grants nothing.

const VERSION = 'e1'
const TOKEN = /^[A-Za-z0-9_-]+$/
const EVENT_ID = /^evt_[A-Za-z0-9_-]{1,64}$/

export interface EventCursorScope {
  list: 'events' | 'admin-events'
  filter: string
}

export function encodeEventCursor (scope: EventCursorScope, id: string): string {
  return Buffer.from(`${VERSION}|${scope.list}|${scope.filter}|${id}`).toString('base64url')
}

export function invalidEventCursor (detail: string): GatewayError {
  return new GatewayError('invalid_cursor', `${detail}; start again from the first page (no cursor)`)
}

/** The event id a cursor names; `invalid_cursor` unless it is well formed and pages this very listing and filter. */
export function decodeEventCursor (scope: EventCursorScope, token: string): string {
  const text = TOKEN.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : ''
  if (text === '' || Buffer.from(text).toString('base64url') !== token) throw invalidEventCursor('The cursor is not one this gateway gave out')
  const [version, list, filter, id, ...rest] = text.split('|')
  if (version !== VERSION || id === undefined || rest.length > 0 || !EVENT_ID.test(id)) throw invalidEventCursor('The cursor is not one this gateway gave out')
  if (list !== scope.list) throw invalidEventCursor('The cursor pages another listing')
  if (filter !== scope.filter) throw invalidEventCursor('The cursor pages this listing with another filter')
  return id
}
