// Which store failures are an outage (retry later) rather than a bug: the
// drivers say so by a socket error code, a SQLSTATE, an SQLite result code, or
// (pg's own client-side failures) only by message.

const SOCKET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_DESTROYED'
])

// SQLSTATE: 08 connection exception, 57P01–57P03 shutdown / not accepting
// connections yet, 57014 statement_timeout, 25P03 idle-in-transaction timeout,
// 53 insufficient resources (too many connections, disk, memory), 40001 and
// 40P01 serialization failure and deadlock (nothing was committed; a retry can pass).
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|57014|25P03|53[0-9A-Z]{3}|40001|40P01)$/

const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED)(_[A-Z]+)?$/

// pg and pg-pool raise these without a code.
const PG_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Query read timeout|timeout expired|Client has encountered a connection error and is not queryable)$/

const MAX_DEPTH = 8

function transient (err: { code?: unknown, message?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : undefined
  if (code !== undefined && (SOCKET_CODES.has(code) || SQLSTATE.test(code) || SQLITE_CODES.test(code))) return true
  return typeof err.message === 'string' && PG_MESSAGES.test(err.message)
}

/** True when `err`, or an error in its `cause` chain, says the store is unreachable, overloaded, or timed out. */
export function isStoreUnavailable (err: unknown): boolean {
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): boolean => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > MAX_DEPTH) return false
    seen.add(value)
    const candidate = value as { code?: unknown, message?: unknown, cause?: unknown, errors?: unknown }
    if (transient(candidate)) return true
    // Node reports a failed connect to several addresses as an AggregateError.
    if (Array.isArray(candidate.errors) && candidate.errors.some((inner) => visit(inner, depth + 1))) return true
    return visit(candidate.cause, depth + 1)
  }
  return visit(err, 0)
}
