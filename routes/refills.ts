import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../src/errors.js'
import { chunked, itemError, parseIds, throwIfPanelFailed } from '../src/orders/chunked.js'
import { normaliseRefillStatus } from '../src/orders/status.js'
import { getRefillSchema, listRefillsSchema, refillOrderSchema, refillOrdersSchema } from '../schemas/refills.js'

function toRefillStatus (id: number, status: string): { id: number, status: ReturnType<typeof normaliseRefillStatus>, upstreamStatus: string } {
  return { id, status: normaliseRefillStatus(status), upstreamStatus: status }
}

const refills: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/orders/:id/refill', { schema: refillOrderSchema, config: { scope: 'refills:write' } }, async (request, reply) => {
    const order = request.params.id
    const { refill } = await app.panel.refill(order)
    return await reply.code(201).header('location', `/refills/${refill}`).send({ id: refill, order })
  })

  app.post('/orders/refill', { schema: refillOrdersSchema, config: { scope: 'refills:write' } }, async (request) => {
    const results = await chunked(request.body.orders, async (chunk) => await app.panel.refillMany(chunk))
    throwIfPanelFailed(results)
    return {
      items: request.body.orders.map((order) => {
        const result = results.get(order)
        if (result === undefined) return { order, error: itemError(new GatewayError('internal_error')) }
        return result.ok ? { id: result.value.refill, order } : { order, error: itemError(result.error) }
      })
    }
  })

  app.get('/refills/:id', { schema: getRefillSchema, config: { scope: 'orders:read' } }, async (request) => {
    const { status } = await app.panel.refillStatus(request.params.id)
    return toRefillStatus(request.params.id, status)
  })

  app.get('/refills', { schema: listRefillsSchema, config: { scope: 'orders:read' } }, async (request) => {
    const ids = parseIds(request.query.ids)
    const results = await chunked(ids, async (chunk) => await app.panel.refillStatusMany(chunk))
    throwIfPanelFailed(results)
    return {
      items: ids.map((id) => {
        const result = results.get(id)
        if (result === undefined) return { id, error: itemError(new GatewayError('internal_error')) }
        return result.ok ? toRefillStatus(id, result.value.status) : { id, error: itemError(result.error) }
      })
    }
  })
}

export default refills
