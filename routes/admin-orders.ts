import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ledgerJson, resolveUnknownOrder } from '../src/orders/resolve.js'
import { listLedgerOrdersSchema, resolveOrderSchema } from '../schemas/admin-orders.js'

/** The order ledger for operators, behind ADMIN_TOKEN: unknown outcomes and their resolution. */
const adminOrders: FastifyPluginAsyncTypebox = async (app) => {
  const config = { admin: true }

  app.get('/admin/orders', { schema: listLedgerOrdersSchema, config }, async (request) => {
    const { state, limit, cursor } = request.query
    const page = await app.store.listOrdersInState(state, { limit, before: cursor === undefined ? undefined : Number(cursor) })
    const last = page.at(-1)
    return { items: page.map(ledgerJson), nextCursor: page.length === limit && last !== undefined ? String(last.localId) : null }
  })

  app.post('/admin/orders/:id/resolve', { schema: resolveOrderSchema, config }, async (request) => {
    const order = await resolveUnknownOrder(app.store, request.params.id, request.body)
    request.log.warn({ order: order.id, tenant: order.tenantId, outcome: request.body.outcome, panelOrderId: order.panelOrderId }, 'unknown order resolved by an operator')
    return ledgerJson(order)
  })
}

export default adminOrders
