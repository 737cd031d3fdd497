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
  checks: Type.Object({ upstream: Check })
})

export const readySchema = {
  tags: ['health'],
  summary: 'Readiness: the panel answers',
  response: { 200: Readiness, 503: Readiness }
}
