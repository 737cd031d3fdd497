import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../problems/errors.js'
import type { StoredOrder } from '../store/types.js'

// Idempotency-Key for unsafe routes, after the IETF httpapi idempotency-key
// draft: same key + same request → the stored answer; same key + another
// request → 422; same key still running → 409. Scoped per tenant.

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/
const TTL_SECONDS = 24 * 60 * 60

export interface Outcome {
  status: number
  body: unknown
  headers?: Record<string, string>
}

export interface IdempotencyOptions {
  /**
   * The work records an order (POST /orders): a claim whose answer was never
   * stored replays from its placed order, and one whose order never reached
   * the panel is taken over instead of reported unknown.
   */
  replayOrder?: (order: StoredOrder) => Outcome
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

const UNKNOWN_DETAIL = 'An earlier request with this Idempotency-Key may have reached the panel but its answer was lost; check GET /orders before placing it again'

/**
 * Runs `work` at most once per (tenant, Idempotency-Key) and answers with its
 * outcome; without the header it just runs. When `work` fails in a way that
 * may have reached the panel, the record says so and every retry answers
 * `upstream_outcome_unknown` rather than placing a second order. The store
 * refuses to release a claim whose order was sent, whatever fails here.
 */
export async function idempotent (
  tenantId: number,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (key: string | undefined) => Promise<Outcome>,
  options: IdempotencyOptions = {}
): Promise<FastifyReply> {
  const key = idempotencyKey(request)
  if (key === undefined) return await send(reply, await work(undefined))
  const { store, ledger } = request.server
  const route = `${request.method} ${request.url.split('?')[0] ?? ''}`
  const claim = await store.claimIdempotency({
    tenantId,
    key,
    fingerprint: fingerprint(route, request.body ?? null),
    route,
    ttlSeconds: TTL_SECONDS,
    staleBefore: ledger.staleBefore(),
    ledger: options.replayOrder !== undefined
  })
  switch (claim.state) {
    case 'in_flight':
      throw new GatewayError('idempotency_in_flight', 'A request with this Idempotency-Key is still running; retry shortly', { retryAfter: 1 })
    case 'mismatch':
      throw new GatewayError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request')
    case 'unknown':
      throw claim.order === undefined
        ? new GatewayError('upstream_outcome_unknown', UNKNOWN_DETAIL)
        : new GatewayError('upstream_outcome_unknown', UNKNOWN_DETAIL, { extra: { orderId: claim.order.id } })
    case 'done':
      reply.header('idempotent-replayed', 'true')
      return await send(reply, claim)
    case 'placed':
      if (options.replayOrder === undefined) throw new GatewayError('internal_error', 'An idempotency record points at an order on a route that places none')
      reply.header('idempotent-replayed', 'true')
      return await send(reply, options.replayOrder(claim.order))
  }
  let outcome: Outcome
  try {
    outcome = await work(key)
  } catch (err) {
    // A retry took this claim over (this process stalled past the stale window): the record is the retry's now.
    if (err instanceof GatewayError && err.code === 'idempotency_in_flight') throw err
    await (err instanceof GatewayError && err.outcomeUnknown ? store.markIdempotencyUnknown(tenantId, key) : store.releaseIdempotency(tenantId, key))
      .catch((storeErr: unknown) => { request.log.warn({ err: storeErr }, 'idempotency record not updated; a retry resolves it from its order') })
    throw err
  }
  try {
    await store.completeIdempotency({ tenantId, key, status: outcome.status, body: outcome.body, headers: outcome.headers ?? {} })
  } catch (err) {
    // The work is done and recorded in its own rows; a retry replays from them or reports unknown, never repeats.
    request.log.warn({ err }, 'idempotency answer not stored')
  }
  return await send(reply, outcome)
}

async function send (reply: FastifyReply, outcome: Outcome): Promise<FastifyReply> {
  for (const [name, value] of Object.entries(outcome.headers ?? {})) reply.header(name, value)
  return await reply.code(outcome.status).send(outcome.body)
}
