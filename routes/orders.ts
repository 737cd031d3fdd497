import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { itemProblem } from '../src/problems/errors.js'
import { principalOf } from '../src/tenancy/auth.js'
import { idempotent } from '../src/orders/idempotency.js'
import { placeOrder, placedBody, type PlacedOrder } from '../src/orders/place.js'
import { fromStore, orderStatuses } from '../src/orders/lookup.js'
import { parseIds, throwIfPanelFailed } from '../src/orders/chunked.js'
import { decodeCursor, pageOf, rowsOrThrow } from '../src/orders/cursor.js'
import { getOrderSchema, listOrdersSchema, placeOrderSchema } from '../schemas/orders.js'

function placedOutcome (placed: PlacedOrder): { status: number, body: PlacedOrder, headers: Record<string, string> } {
  return { status: 201, body: placed, headers: { location: `/orders/${placed.id}` } }
}

const orders: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/orders', { schema: placeOrderSchema, config: { scope: 'orders:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    return await idempotent(tenant.id, request, reply, async (key) => {
      const placed = await placeOrder(app, request.log, tenant, request.body, key)
      request.log.info({ order: placed.id, panelOrderId: placed.panelOrderId, service: placed.service, tenant: tenant.id }, 'order placed')
      return placedOutcome(placed)
    }, { replayOrder: (order) => placedOutcome(placedBody(order)) })
  })

  app.get('/orders/:id', { schema: getOrderSchema, config: { scope: 'orders:read' } }, async (request) => {
    const id = request.params.id
    const result = (await orderStatuses(app, principalOf(request).tenant.id, [id])).get(id)
    if (result === undefined || !result.ok) throw result?.error ?? new Error('status lookup lost an id')
    return result.value
  })

  app.get('/orders', { schema: listOrdersSchema, config: { scope: 'orders:read' } }, async (request) => {
    const tenantId = principalOf(request).tenant.id
    const { ids: idList, status, limit, cursor } = request.query
    if (idList === undefined) {
      const scope = { list: 'orders', filter: status ?? '' } as const
      const after = cursor === undefined ? undefined : decodeCursor(scope, cursor)
      const { page, nextCursor } = pageOf(scope, rowsOrThrow(await app.store.listOrders(tenantId, { limit: limit + 1, status, after })), limit)
      return { items: page.map((order) => fromStore(order)), nextCursor }
    }
    const ids = parseIds(idList)
    const results = await orderStatuses(app, tenantId, ids)
    throwIfPanelFailed(results)
    return {
      items: ids.map((id) => {
        const result = results.get(id)
        return result?.ok === true ? result.value : { id, error: itemProblem(result?.ok === false ? result.error : undefined) }
      })
    }
  })
}

export default orders
