import { isIP } from 'node:net'
import { Agent, request } from 'undici'
import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../clock.js'
import type { ClaimedDelivery, Store, WebhookAttemptResult } from '../store/types.js'
import { signatureHeader } from './signing.js'
import { TargetPolicy } from './targets.js'
import { eventBody } from './wire.js'

/** The Standard Webhooks retry schedule: the wait after each failed attempt; after the last, the delivery has failed (about a day on). */
export const RETRY_SCHEDULE_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 10 * 3600_000]

// A claim outlives its attempt by this much (the writes around it, clock skew between instances).
const LEASE_MARGIN_MS = 30_000
const EXCERPT_CHARS = 256
const READ_BYTES = 1024

export interface DelivererOptions {
  store: Store
  clock: Clock
  log: FastifyBaseLogger
  allowedTargets: string[]
  timeoutMs: number
  disableAfterMs: number
  concurrency: number
}

interface Outcome { status: number | null, error: string | null, excerpt: string | null, succeeded: boolean }

/** Delivers due webhook deliveries: claim, sign, POST, record, retry on the schedule, disable endpoints failing too long. */
export class Deliverer {
  readonly #o: DelivererOptions
  readonly #policy: TargetPolicy
  readonly #agent: Agent

  constructor (options: DelivererOptions) {
    this.#o = options
    this.#policy = new TargetPolicy(options.allowedTargets)
    this.#agent = new Agent({
      connect: { timeout: options.timeoutMs, lookup: this.#policy.connectLookup() },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs
    })
  }

  /** Delivers everything due now, `concurrency` at a time; returns how many attempts were made. */
  async deliverDue (): Promise<number> {
    let attempted = 0
    for (;;) {
      const now = this.#o.clock.now()
      const batch = await this.#o.store.claimDueDeliveries({
        now: new Date(now),
        limit: this.#o.concurrency,
        leaseUntil: new Date(now + this.#o.timeoutMs + LEASE_MARGIN_MS)
      })
      if (batch.length === 0) return attempted
      await Promise.all(batch.map(async (claimed) => {
        // One delivery's trouble (its endpoint deleted mid-attempt, a write failing) leaves the others to go on; its lease runs out and it is tried again.
        await this.#attempt(claimed).catch((error: unknown) => {
          this.#o.log.error({ err: error, webhook: claimed.endpoint.id, delivery: claimed.delivery.id }, 'webhook attempt could not be recorded')
        })
      }))
      attempted += batch.length
    }
  }

  async close (): Promise<void> {
    await this.#agent.close()
  }

  async #attempt ({ delivery, event, endpoint }: ClaimedDelivery): Promise<void> {
    const { clock, store, log } = this.#o
    const started = clock.monotonic()
    const outcome = await this.#post(endpoint.url, event.id, signatureHeader.bind(null, endpoint), JSON.stringify(eventBody(event)))
    const durationMs = Math.max(0, clock.monotonic() - started)
    const now = new Date(clock.now())
    const wait = outcome.succeeded ? undefined : RETRY_SCHEDULE_MS[delivery.attempts]
    const result: WebhookAttemptResult = { ...outcome, durationMs, nextAttemptAt: wait === undefined ? null : new Date(now.getTime() + wait) }
    const after = await store.recordAttempt(delivery, result, now)
    log.debug({ webhook: endpoint.id, delivery: delivery.id, event: event.id, attempt: delivery.attempts + 1, status: outcome.status, succeeded: outcome.succeeded }, 'webhook attempt')
    if (outcome.succeeded || after?.failingSince == null || !after.enabled) return
    const failingMs = now.getTime() - after.failingSince.getTime()
    if (failingMs < this.#o.disableAfterMs) return
    const reason = `deliveries failing since ${after.failingSince.toISOString()} without a success`
    const disabled = await store.disableEndpoint(endpoint.id, reason, now)
    if (disabled !== undefined) {
      log.warn({ webhook: endpoint.id, tenant: endpoint.tenantId, failingSince: after.failingSince.toISOString() }, 'webhook endpoint disabled: its deliveries kept failing')
    }
  }

  async #post (rawUrl: string, msgId: string, sign: (msgId: string, at: Date, payload: string) => string, payload: string): Promise<Outcome> {
    let url: URL
    try {
      url = new URL(rawUrl)
    } catch {
      return failure('invalid URL')
    }
    // An address literal is never looked up, so the connect-time check would not see it.
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (isIP(host) !== 0) {
      const why = this.#policy.refusal(host, host)
      if (why !== undefined) return failure(`target refused: ${why}`)
    }
    if (url.protocol !== 'https:' && !this.#policy.allowsHost(host)) return failure('target refused: not https')
    const at = new Date(this.#o.clock.now())
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'smm-gateway',
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': sign(msgId, at, payload)
        },
        body: payload,
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs,
        signal: AbortSignal.timeout(this.#o.timeoutMs)
      })
      const excerpt = await readExcerpt(res.body)
      const status = res.statusCode
      if (status >= 200 && status < 300) return { status, error: null, excerpt, succeeded: true }
      const error = status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`
      return { status, error, excerpt, succeeded: false }
    } catch (error) {
      return failure(describe(error))
    }
  }
}

function failure (error: string): Outcome {
  return { status: null, error, excerpt: null, succeeded: false }
}

/** At most a KB of the answer is read; the rest is dropped with the connection. */
async function readExcerpt (body: AsyncIterable<Buffer> & { destroy: () => unknown }): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      chunks.push(chunk)
      size += chunk.length
      if (size >= READ_BYTES) break
    }
  } catch {
  } finally {
    body.destroy()
  }
  const text = Buffer.concat(chunks).subarray(0, READ_BYTES).toString('utf8')
  return text === '' ? null : text.slice(0, EXCERPT_CHARS)
}

/** A network failure in a few words: its code, never the URL (which may carry a token). */
function describe (error: unknown): string {
  const e = error as { name?: string, code?: string, cause?: { code?: string, message?: string } } | null
  const code = e?.code ?? e?.cause?.code
  if (code === 'WEBHOOK_TARGET_FORBIDDEN' || e?.cause?.code === 'WEBHOOK_TARGET_FORBIDDEN') return 'target refused: it resolves to a non-public address'
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout'
  return code === undefined ? 'network error' : `network error (${code})`
}
