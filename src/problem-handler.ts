import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { GatewayError, toProblem } from './errors.js'

interface ValidationIssue { instancePath?: string, message?: string, params?: Record<string, unknown> }

function validationError (err: FastifyError): GatewayError {
  const where = err.validationContext ?? 'request'
  const errors = (err.validation as ValidationIssue[]).map((issue) => {
    const extra = issue.params?.additionalProperty
    const path = `${where}${issue.instancePath ?? ''}${typeof extra === 'string' ? '/' + extra : ''}`
    return { path, message: issue.message ?? 'is invalid' }
  })
  const first = errors[0]
  return new GatewayError('validation_failed', first === undefined ? err.message : `${first.path} ${first.message}`, { extra: { errors } })
}

// Fastify's own errors (body parsing, content types, limits) by their codes.
function frameworkError (err: FastifyError): GatewayError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'The body is empty but the content type says JSON'
        : 'The body is not valid JSON')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('unsupported_media_type', 'Send the body as application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('payload_too_large', 'The body is larger than this gateway accepts')
  }
  if (err.statusCode === 429) return new GatewayError('rate_limited', err.message)
  if (err.statusCode === 405) return new GatewayError('method_not_allowed')
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new GatewayError('validation_failed', err.message)
  }
  return undefined
}

/** Renders every error as RFC 9457 problem+json; 5xx internals stay in the log. */
export default fp(async (app) => {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    let problem: GatewayError
    if (err instanceof GatewayError) {
      problem = err
    } else if (err.validation !== undefined) {
      problem = validationError(err)
    } else {
      problem = frameworkError(err) ?? new GatewayError('internal_error', 'Something went wrong; the request id is in the log', { cause: err })
    }
    app.metrics.problems.inc({ code: problem.code })
    if (problem.statusCode >= 500) {
      request.log.error({ err: problem, code: problem.code }, 'request failed')
    } else {
      request.log.info({ code: problem.code }, 'request refused')
    }
    if (problem.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(problem.retryAfter)))
    return reply.code(problem.statusCode).type('application/problem+json').send(toProblem(problem, request.url.split('?')[0]))
  })

  app.setNotFoundHandler(async (request, reply) => {
    const problem = new GatewayError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).type('application/problem+json').send(toProblem(problem))
  })
}, { name: 'problem-handler' })
