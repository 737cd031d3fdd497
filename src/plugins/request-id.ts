import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

// A caller's X-Request-Id is kept when it is a sane token (so ids can be
// followed across services); anything else is replaced, never logged raw.
const VALID = /^[\w.:@/+=-]{1,128}$/

export function requestId (request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && VALID.test(incoming) ? incoming : randomUUID()
}
