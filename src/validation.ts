import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

function ajv (coerceTypes: boolean | 'array'): Ajv {
  // Unknown fields are refused, not silently dropped: a typo must not change an order.
  const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  addFormats.default(instance)
  return instance
}

/**
 * Query strings and params are text, so they are coerced to the schema's
 * types; JSON bodies are taken as typed: `"quantity": "100"` is refused.
 */
export function validatorCompiler (): FastifySchemaCompiler<unknown> {
  const lenient = ajv('array')
  const strict = ajv(false)
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema as object)
}
