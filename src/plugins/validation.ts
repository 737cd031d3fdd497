import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import type { FastifyValidationResult } from 'fastify/types/schema.js'

function ajv (coerceTypes: boolean | 'array'): Ajv {
  // Unknown fields are refused, not silently dropped: a typo must not change an order.
  const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  addFormats.default(instance)
  return instance
}

const DECIMAL = /^-?\d+$/

/**
 * Ajv coerces any string JavaScript reads as a number (`0x10`, `1e3`, ` 7`);
 * an id in a path or query must be written in decimal digits.
 */
function decimalIntegers (schema: { properties?: Record<string, { type?: unknown }> }, validate: ValidateFunction): FastifyValidationResult {
  const integers = Object.entries(schema.properties ?? {}).filter(([, property]) => property.type === 'integer').map(([name]) => name)
  if (integers.length === 0) return validate as FastifyValidationResult
  const checked: FastifyValidationResult = (data) => {
    const record = data as Record<string, unknown> | null
    const bad = integers.find((name) => typeof record?.[name] === 'string' && !DECIMAL.test(record[name]))
    if (bad === undefined) {
      const valid = validate(data)
      checked.errors = validate.errors as FastifySchemaValidationError[] | null | undefined
      return valid
    }
    checked.errors = [{ keyword: 'type', instancePath: '/' + bad, schemaPath: `#/properties/${bad}/type`, params: {}, message: 'must be an integer in decimal digits' }]
    return false
  }
  return checked
}

/**
 * Query strings and params are text, so they are coerced to the schema's
 * types; JSON bodies are taken as typed: `"quantity": "100"` is refused.
 */
export function validatorCompiler (): FastifySchemaCompiler<unknown> {
  const lenient = ajv('array')
  const strict = ajv(false)
  return ({ schema, httpPart }) => httpPart === 'body'
    ? strict.compile(schema as object) as FastifyValidationResult
    : decimalIntegers(schema as object, lenient.compile(schema as object))
}
