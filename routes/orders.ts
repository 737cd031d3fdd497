import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../src/errors.js'
import { prepareOrder } from '../src/orders/rules.js'
import { normaliseOrderStatus } from '../src/orders/status.js'
import { itemError, parseIds, throwIfPanelFailed } from '../src/orders/chunked.js'
import type { PanelOrderStatus } from '../src/upstream/types.js'
import { getOrderSchema, listOrdersSchema, placeOrderSchema, type OrderT } from '../schemas/orders.js'

export function toOrder (id: number, s: PanelOrderStatus): OrderT {
  return {
    id,
    status: normaliseOrderStatus(s.status),
    upstreamStatus: s.status,
    charge: s.charge,
    startCount: s.startCount,
    remains: s.remains,
    currency: s.currency,
    ...(s.runs === undefined ? {} : { runs: s.runs }),
    ...(s.posts === undefined ? {} : { posts: s.posts }),
    ...(s.orders === undefined ? {} : { orders: s.orders })
  }
}

const orders: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/orders', { schema: placeOrderSchema, config: { scope: 'orders:write' } }, async (request, reply) => {
    const service = await app.catalog.service(request.body.service)
    if (service === undefined) throw new GatewayError('unknown_service', `Service ${request.body.service} is not in the catalog`)
    const prepared = prepareOrder(service, request.body)
    const { order } = await app.panel.add(prepared.fields)
    request.log.info({ order, service: service.id }, 'order placed')
    return await reply.code(201).header('location', `/orders/${order}`).send({
      id: order,
      service: service.id,
      status: 'pending' as const,
      quantity: prepared.quantity,
      estimatedCharge: prepared.estimatedCharge
    })
  })

  app.get('/orders/:id', { schema: getOrderSchema, config: { scope: 'orders:read' } }, async (request) => {
    const result = await app.statuses.one(request.params.id)
    if (!result.ok) throw result.error
    return toOrder(request.params.id, result.value)
  })

  app.get('/orders', { schema: listOrdersSchema, config: { scope: 'orders:read' } }, async (request) => {
    const ids = parseIds(request.query.ids)
    const results = await app.statuses.many(ids)
    throwIfPanelFailed(results)
    return {
      items: ids.map((id) => {
        const result = results.get(id)
        if (result === undefined) return { id, error: itemError(new GatewayError('internal_error')) }
        return result.ok ? toOrder(id, result.value) : { id, error: itemError(result.error) }
      })
    }
  })
}

export default orders
