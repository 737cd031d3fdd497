import { GatewayError } from '../problems/errors.js'

// Page cursors. A cursor names the last item of a page by its public id —
// which the caller has already seen — and the listing and filter it pages,
// base64url-encoded behind a version. It needs no server secret: it grants
// nothing, since the store resolves the id within the caller's own orders
// (`after` in ListOrdersQuery), and it carries no row id or counter, so it
// says nothing of anyone else's volume. Opaque to clients: the encoding may
// change with the version.

const VERSION = 'c1'
const ID_BOUND = 2 ** 48 // src/store/ids.ts: public ids are below it
const TOKEN = /^[A-Za-z0-9_-]+$/
const ID = /^[1-9]\d{0,14}$/

/** Which listing a cursor pages, and its filter ('' for none). */
export interface CursorScope {
  list: 'orders' | 'ledger'
  filter: string
}

export function encodeCursor (scope: CursorScope, id: number): string {
  return Buffer.from(`${VERSION}|${scope.list}|${scope.filter}|${id}`).toString('base64url')
}

function invalid (detail: string): GatewayError {
  return new GatewayError('invalid_cursor', `${detail}; start again from the first page (no cursor)`)
}

/** The public id a cursor names; `invalid_cursor` unless it is well formed and pages this very listing. */
export function decodeCursor (scope: CursorScope, token: string): number {
  const text = TOKEN.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : ''
  // Node decodes base64 leniently: only the canonical spelling of a payload is one.
  if (text === '' || Buffer.from(text).toString('base64url') !== token) throw invalid('The cursor is not one this gateway gave out')
  const [version, list, filter, id, ...rest] = text.split('|')
  if (version !== VERSION || id === undefined || rest.length > 0) throw invalid('The cursor is not one this gateway gave out')
  if (list !== scope.list) throw invalid('The cursor pages another listing')
  if (filter !== scope.filter) throw invalid('The cursor pages this listing with another filter')
  const value = Number(id)
  if (!ID.test(id) || value >= ID_BOUND) throw invalid('The cursor is not one this gateway gave out')
  return value
}

/**
 * A page out of `limit + 1` rows the store gave: the first `limit`, and a
 * cursor after the last of them only when the extra row shows more follow
 * (so the last page's nextCursor is null, never a cursor to an empty page).
 */
export function pageOf<T extends { id: number }> (scope: CursorScope, rows: T[], limit: number): { page: T[], nextCursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return { page, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(scope, last.id) : null }
}

/** The store's rows after a cursor; undefined from the store: the cursor names no order this caller may page from. */
export function rowsOrThrow<T> (rows: T[] | undefined): T[] {
  if (rows === undefined) throw invalid('The cursor names no order of this listing')
  return rows
}
