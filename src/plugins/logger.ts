import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { ServerConfig } from '../config.js'
import { CENSOR, createRedactor } from '../problems/redact.js'

/**
 * pino options. Keys travel in headers, so those are redacted wherever a
 * header object is logged; the request's URL and Host (the client's header)
 * are logged masked; and every line passes through the redactor before it is
 * written, for whatever else carries a client's text (an error's message, a
 * Fastify warning naming the URL). The panel key is never handed to the
 * logger at all, and is masked should it come back.
 */
export function loggerOptions (server: Pick<ServerConfig, 'logLevel'>, stream?: NodeJS.WritableStream, secrets: readonly string[] = []): FastifyServerOptions['logger'] {
  const redactor = createRedactor(secrets)
  return {
    level: server.logLevel,
    ...(stream === undefined ? {} : { stream }),
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactor.url(request.url),
        host: redactor.exposes(request.host) ? CENSOR : request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort
      })
    },
    hooks: { streamWrite: redactor.line },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers["proxy-authorization"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        'headers["proxy-authorization"]',
        'headers.cookie',
        'key',
        '*.key'
      ],
      censor: CENSOR
    }
  }
}
