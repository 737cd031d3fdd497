import { Type } from 'typebox'

export const healthSchema = {
  tags: ['health'],
  summary: 'Liveness: the process answers',
  response: { 200: Type.Object({ status: Type.Literal('ok') }) }
}

const Check = Type.Object({
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String())
})

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({
    upstream: Check,
    /** The gateway's database answers a ping within 1 s. */
    store: Check,
    /** The circuit to the panel: `detail` is closed, half_open or open (with why: repeated failures, or the panel refused the gateway's key); not ok while open. */
    breaker: Type.Optional(Check),
    /** Present when RATE_LIMIT_ON_REDIS_ERROR=closed: without Redis every limited request is refused. */
    redis: Type.Optional(Check)
  })
})

export const readySchema = {
  tags: ['health'],
  summary: 'Readiness: the database and the panel answer, the circuit to the panel is not open (and Redis answers when rate limits fail closed)',
  response: { 200: Readiness, 503: Readiness }
}
