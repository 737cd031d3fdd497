import { getHeapStatistics } from 'node:v8'
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { PressureConfig } from '../config.js'
import { GatewayError } from '../problems/errors.js'

/**
 * Sheds load with 503 `overloaded` when the event loop lags or the heap nears
 * its limit, instead of answering everyone late. /health still answers: a
 * busy process is alive.
 */
export default fp<PressureConfig>(async (app, options) => {
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    // A rejection goes to the error handler, which renders it like every other problem.
    pressureHandler: async (request, _reply, type, value) => {
      if (request.routeOptions.url === '/health') return
      request.log.warn({ type, value }, 'under pressure: shedding load')
      throw new GatewayError('overloaded', 'The gateway is overloaded; retry shortly', { retryAfter: 5 })
    }
  })
}, { name: 'pressure', dependencies: ['metrics'] })
