import { Type, type Static } from 'typebox'

/** RFC 9457 problem document; every error response of every route. */
export const Problem = Type.Object({
  type: Type.String({ description: 'URI naming the problem type' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'Stable machine-readable error code', examples: ['validation_failed'] }),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({
    path: Type.String(),
    message: Type.String()
  }), { description: 'For validation_failed: what is wrong where' }))
}, {
  $id: 'Problem',
  additionalProperties: true,
  description: 'An RFC 9457 problem (application/problem+json)'
})
export type ProblemT = Static<typeof Problem>

/** Routes refer to the one Problem schema (registered with app.addSchema), so the spec holds it once. */
export const ProblemRef = Type.Ref('Problem')

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, examples: [23501] })

export const IdParams = Type.Object({ id: Id })

export const Money = Type.String({
  pattern: '^-?\\d+(\\.\\d+)?$',
  description: 'Decimal amount as a string, never a float',
  examples: ['0.27819']
})

/** Comma-separated ids in a query string: `?ids=1,2,3`. Parsed and bounded in code. */
export const IdList = Type.String({
  pattern: '^\\s*\\d+(\\s*,\\s*\\d+)*\\s*,?\\s*$',
  maxLength: 20000,
  description: 'Comma-separated ids (at most 1000), e.g. `280579752111782,37762303109429`'
})

/** Single-line text: no control characters (CR/LF would smuggle lines into the panel form). */
export const Line = (options: { maxLength?: number, description?: string, examples?: string[] } = {}) =>
  Type.String({ minLength: 1, maxLength: 2000, pattern: '^[^\\u0000-\\u001f\\u007f]+$', ...options })

/** Multi-line text, one item per line; tabs and other control characters refused. */
export const Lines = (description: string) =>
  Type.String({ minLength: 1, maxLength: 100000, pattern: '^[^\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f\\u007f]+$', description })

export const ItemError = Type.Object({
  code: Type.String({ examples: ['not_found'] }),
  status: Type.Integer({ examples: [404] }),
  detail: Type.String()
}, { description: 'Why this one item failed; the other items are unaffected' })

/** Error responses every authenticated route can give. */
export const errorResponses = {
  400: ProblemRef,
  401: ProblemRef,
  403: ProblemRef,
  404: ProblemRef,
  429: ProblemRef,
  500: ProblemRef,
  502: ProblemRef,
  503: ProblemRef,
  504: ProblemRef
}
