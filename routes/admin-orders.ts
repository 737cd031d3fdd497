import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, pageOf, rowsOrThrow } from '../src/orders/cursor.js'
import { ledgerJson, resolveUnknownOrder } from '../src/orders/resolve.js'
import { listLedgerOrdersSchema, resolveOrderSchema } from '../schemas/admin-orders.js'

/** The order ledger for operators, behind ADMIN_TOKEN: unknown outcomes and their resolution. */
const adminOrders: FastifyPluginAsyncTypebox = async (app) => {
  const config = { admin: true }

  app.get('/admin/orders', { schema: listLedgerOrdersSchema, config }, async (request) => {
    const { state, limit, cursor } = request.query
    const scope = { list: 'ledger', filter: state } as const
    const after = cursor === undefined ? undefined : decodeCursor(scope, cursor)
    const { page, nextCursor } = pageOf(scope, rowsOrThrow(await app.store.listOrdersInState(state, { limit: limit + 1, after })), limit)
    return { items: page.map(ledgerJson), nextCursor }
  })

  app.post('/admin/orders/:id/resolve', { schema: resolveOrderSchema, config }, async (request) => {
    const order = await resolveUnknownOrder(app.store, request.params.id, request.body)
    request.log.warn({ order: order.id, tenant: order.tenantId, outcome: request.body.outcome, panelOrderId: order.panelOrderId }, 'unknown order resolved by an operator')
    return ledgerJson(order)
  })
}

export default adminOrders
