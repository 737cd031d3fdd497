import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { ServerConfig } from '../config.js'

// A careless client may put its key in the URL (`?apiKey=sgw_…`); the URL is
// logged with every request, so such values are masked there.
const SECRET_PARAM = /([?&][^=&#]*(?:key|token|secret|password|passwd|auth|signature)[^=&#]*=)[^&#]*/gi
const TENANT_KEY = /sgw_[A-Za-z0-9_-]{8,}/g

export function redactUrl (url: string): string {
  return url.replace(SECRET_PARAM, '$1[redacted]').replace(TENANT_KEY, 'sgw_[redacted]')
}

function serializeRequest (request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/**
 * pino options. Keys travel in headers, so those are redacted wherever a
 * header object is logged, and masked in logged URLs; the panel key is never
 * handed to the logger at all.
 */
export function loggerOptions (server: Pick<ServerConfig, 'logLevel'>, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: server.logLevel,
    ...(stream === undefined ? {} : { stream }),
    serializers: { req: serializeRequest },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers["x-api-key"]',
        'key',
        '*.key'
      ],
      censor: '[redacted]'
    }
  }
}
