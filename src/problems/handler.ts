import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import Router from 'find-my-way'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError, toProblem } from './errors.js'
import { isStoreUnavailable } from '../store/errors.js'
import { createRedactor, type Redactor } from './redact.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Masks tenant keys and configured secrets, in any encoding, in what a problem echoes of the request. */
    problemRedactor: Redactor
  }
}

// Seconds a client should wait after a store outage: pg's pool reconnects on the next query.
const STORE_RETRY_AFTER_SECONDS = 2

// How long a refused connection may take to be sent its answer before it is dropped.
const CLIENT_ERROR_LINGER_MS = 5000

/**
 * How paths are matched: by Fastify's router (buildApp's `routerOptions`) and
 * by the copy below that tells a wrong method (405) from an unknown path
 * (404), so the two must match alike.
 */
export const ROUTER_OPTIONS = { ignoreTrailingSlash: true, maxParamLength: 100 } as const

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
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'The body is empty but the content type says JSON')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Fastify drops the parser's reason; secure-json-parse also refuses valid JSON that could poison prototypes.
      return new GatewayError('invalid_json', 'The body is not valid JSON, or it has a __proto__ or constructor.prototype key (refused for safety)')
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

/**
 * Fastify's `frameworkErrors`: a URL that cannot be decoded or a path segment
 * past maxParamLength, found before routing (so before the request-id hook).
 */
export async function frameworkErrors (err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const problem = err.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? new GatewayError('uri_too_long', 'A path segment is longer than any id this gateway takes')
    : new GatewayError('invalid_url', 'The URL has a malformed percent-encoding')
  reply.header('x-request-id', request.id)
  await sendProblem(request, reply, problem)
}

/** Counts, logs and sends a problem: the one way every refusal leaves. */
async function sendProblem (request: FastifyRequest, reply: FastifyReply, problem: GatewayError): Promise<FastifyReply> {
  request.server.metrics.problems.inc({ code: problem.code })
  // What the panel said in full (addresses kept, secrets scrubbed) is the operator's, for refusals too.
  const operator = problem.operatorDetail === undefined ? {} : { operatorDetail: problem.operatorDetail }
  if (problem.statusCode >= 500) {
    request.log.error({ err: problem, code: problem.code, ...operator }, 'request failed')
  } else {
    request.log.info({ code: problem.code, ...operator }, 'request refused')
  }
  if (problem.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(problem.retryAfter)))
  if (problem.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="smm-gateway"')
  // A problem echoes the request (its path as `instance`, a path or parameter
  // name in a detail): a secret a client put there must not come back.
  const redactor = request.server.problemRedactor
  const body = redactor.line(JSON.stringify(toProblem(problem, redactor.url(request.url.split('?')[0] ?? '/'))))
  return await reply.code(problem.statusCode).type('application/problem+json').send(body)
}

/** A request stream that failed because its client went (a hang-up, or cut off by REQUEST_TIMEOUT_MS): no fault of ours. */
function clientWentAway (err: FastifyError, request: FastifyRequest): boolean {
  return request.raw.readableAborted || (err.code === 'ECONNRESET' && request.raw.complete === false)
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (an unknown
 * method, oversized headers, a request too slow to arrive) never becomes a
 * request, so the answer is written to the socket here, as problem+json too.
 */
export function clientErrorHandler (err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return
  const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'bad_request'
  const problem = new GatewayError(code)
  const body = JSON.stringify(toProblem(problem))
  // Ended, then closed outright once written: the HTTP server allows half-open
  // sockets, and a client still sending after the FIN would hold this one.
  // One that reads nothing (so the answer never leaves) is dropped after a while.
  socket.end(`HTTP/1.1 ${problem.statusCode} ${STATUS_CODES[problem.statusCode] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy())
  const linger = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref()
  socket.once('close', () => { clearTimeout(linger) })
}

const ALLOWED_CHECK: Router.HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/** Renders every error as RFC 9457 problem+json; 5xx internals stay in the log. */
export interface ProblemHandlerOptions {
  /** The configured secrets (configuredSecrets): masked wherever a problem echoes the request. */
  secrets?: readonly string[]
}

export default fp<ProblemHandlerOptions>(async (app, options) => {
  app.decorate('problemRedactor', createRedactor(options.secrets ?? []))
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    let problem: GatewayError
    if (!(err instanceof GatewayError) && clientWentAway(err, request)) {
      problem = new GatewayError('bad_request', 'The client closed the connection before its request had arrived')
    } else if ((!(err instanceof GatewayError) || err.code === 'internal_error') && isStoreUnavailable(err)) {
      problem = new GatewayError('store_unavailable', 'The gateway cannot reach its database; try again shortly', { cause: err, retryAfter: STORE_RETRY_AFTER_SECONDS })
    } else if (err instanceof GatewayError) {
      problem = err
    } else if (err.validation !== undefined) {
      problem = validationError(err)
    } else {
      problem = frameworkError(err) ?? new GatewayError('internal_error', 'Something went wrong; the request id is in the log', { cause: err })
    }
    return await sendProblem(request, reply, problem)
  })

  // Every route's path by method, so a known path asked with the wrong method
  // is a 405 naming the right ones rather than a 404.
  const paths = Router(ROUTER_OPTIONS)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (route.url !== '*' && !paths.hasRoute(method as Router.HTTPMethod, route.url)) paths.on(method as Router.HTTPMethod, route.url, () => {})
    }
  })

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    // OPTIONS stays a 404: a refused CORS preflight (edges.ts) must not read as an answer.
    const allowed = request.method === 'OPTIONS' ? [] : ALLOWED_CHECK.filter((method) => paths.find(method, path) !== null)
    if (allowed.length === 0) return await sendProblem(request, reply, new GatewayError('route_not_found', `No route ${request.method} ${path}`))
    reply.header('allow', allowed.join(', '))
    return await sendProblem(request, reply, new GatewayError('method_not_allowed', `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}`))
  })
}, { name: 'problem-handler' })
