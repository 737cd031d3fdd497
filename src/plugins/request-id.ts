import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { createRedactor } from '../problems/redact.js'

// A caller's X-Request-Id is kept when it is a sane token, so ids can be
// followed across services: UUIDs, W3C trace ids and traceparent, ULIDs, hex
// digests and the like. It is written on every log line of the request and
// echoed in the answer, so anything else is replaced with a fresh UUID: too
// long, outside a plain charset, shaped like a tenant key (`sgw` and a
// separator, any case), or holding a configured secret in any encoding.
const SAFE = /^[\w.:@/+=-]{1,64}$/
const KEY_LIKE = /sgw[\W_]/i

/** Fastify's genReqId: the caller's id when safe, else a fresh UUID. */
export function requestIds (secrets: readonly string[] = []): (request: IncomingMessage) => string {
  const redactor = createRedactor(secrets)
  return (request) => {
    const incoming = request.headers['x-request-id']
    return typeof incoming === 'string' && SAFE.test(incoming) && !KEY_LIKE.test(incoming) && !redactor.exposes(incoming) ? incoming : randomUUID()
  }
}
