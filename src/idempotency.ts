import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from './errors.js'
import type { Store } from './store/types.js'

// Idempotency-Key for unsafe routes, after the IETF httpapi idempotency-key
// draft: same key + same request → the stored answer; same key + another
// request → 422; same key still running → 409. Scoped per tenant.

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/
const TTL_SECONDS = 24 * 60 * 60
// Far longer than any panel call may take (PANEL_TIMEOUT_MS ≤ 300 s): a claim
// this old was left by a process that died mid-call, so its outcome is unknown.
const IN_FLIGHT_SECONDS = 600

export interface Outcome {
  status: number
  body: unknown
  headers?: Record<string, string>
}

/** Stable JSON: object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonical (value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']'
  if (value !== null && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical((value as Record<string, unknown>)[k])).join(',') + '}'
  }
  return JSON.stringify(value) ?? 'null'
}

function fingerprint (route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(canonical(body)).digest('hex')
}

export function idempotencyKey (request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key']
  if (header === undefined) return undefined
  const key = Array.isArray(header) ? header[0] : header
  if (key === undefined || !KEY_PATTERN.test(key)) {
    throw new GatewayError('invalid_idempotency_key', 'Idempotency-Key must be 1–255 visible ASCII characters')
  }
  return key
}

/**
 * Runs `work` at most once per (tenant, Idempotency-Key) and answers with its
 * outcome; without the header it just runs. When `work` fails in a way that
 * may have reached the panel, the record says so and every retry answers
 * `upstream_outcome_unknown` rather than placing a second order.
 */
export async function idempotent (
  store: Store,
  tenantId: number,
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<Outcome>
): Promise<FastifyReply> {
  const key = idempotencyKey(request)
  if (key === undefined) return await send(reply, await work())
  const route = `${request.method} ${request.url.split('?')[0] ?? ''}`
  const claim = await store.claimIdempotency({ tenantId, key, fingerprint: fingerprint(route, request.body ?? null), route, ttlSeconds: TTL_SECONDS, inFlightSeconds: IN_FLIGHT_SECONDS })
  switch (claim.state) {
    case 'in_flight':
      throw new GatewayError('idempotency_in_flight', 'A request with this Idempotency-Key is still running; retry shortly', { retryAfter: 1 })
    case 'mismatch':
      throw new GatewayError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request')
    case 'unknown':
      throw new GatewayError('upstream_outcome_unknown', 'An earlier request with this Idempotency-Key may have reached the panel but its answer was lost; check GET /orders before placing it again')
    case 'done':
      reply.header('idempotent-replayed', 'true')
      return await send(reply, claim)
  }
  let outcome: Outcome
  try {
    outcome = await work()
  } catch (err) {
    if (err instanceof GatewayError && err.outcomeUnknown) await store.markIdempotencyUnknown(tenantId, key)
    else await store.releaseIdempotency(tenantId, key)
    throw err
  }
  await store.completeIdempotency({ tenantId, key, status: outcome.status, body: outcome.body, headers: outcome.headers ?? {} })
  return await send(reply, outcome)
}

async function send (reply: FastifyReply, outcome: Outcome): Promise<FastifyReply> {
  for (const [name, value] of Object.entries(outcome.headers ?? {})) reply.header(name, value)
  return await reply.code(outcome.status).send(outcome.body)
}
