import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../src/errors.js'
import { chunked, itemError, throwIfPanelFailed } from '../src/orders/chunked.js'
import { cancelOrderSchema, cancelOrdersSchema } from '../schemas/orders.js'

const cancels: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/orders/:id/cancel', { schema: cancelOrderSchema, config: { scope: 'cancels:write' } }, async (request, reply) => {
    const id = request.params.id
    const result = (await app.panel.cancel([id])).get(id)
    if (result === undefined) throw new GatewayError('upstream_invalid_response', 'The panel did not answer for this order')
    if (!result.ok) throw result.error
    return await reply.code(202).send({ id, cancelRequested: true as const })
  })

  app.post('/orders/cancel', { schema: cancelOrdersSchema, config: { scope: 'cancels:write' } }, async (request) => {
    const results = await chunked(request.body.orders, async (chunk) => await app.panel.cancel(chunk))
    throwIfPanelFailed(results)
    return {
      items: request.body.orders.map((id) => {
        const result = results.get(id)
        if (result === undefined) return { id, error: itemError(new GatewayError('internal_error')) }
        return result.ok ? { id, cancelRequested: true as const } : { id, error: itemError(result.error) }
      })
    }
  })
}

export default cancels
