import type { FastifyServerOptions } from 'fastify'
import type { Config } from './config.js'

/**
 * pino options. Keys travel in headers, so those are redacted wherever a
 * header object is logged; the panel key is never handed to the logger at all.
 */
export function loggerOptions (config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(stream === undefined ? {} : { stream }),
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
