import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/auth.js'
import { GatewayError } from '../src/errors.js'
import { idempotent } from '../src/idempotency.js'
import { chunked, itemError, parseIds, throwIfPanelFailed } from '../src/orders/chunked.js'
import { actionable } from '../src/orders/ownership.js'
import { normaliseRefillStatus } from '../src/orders/status.js'
import { getRefillSchema, listRefillsSchema, refillOrderSchema, refillOrdersSchema } from '../schemas/refills.js'

function toRefillStatus (id: number, status: string): { id: number, status: ReturnType<typeof normaliseRefillStatus>, upstreamStatus: string } {
  return { id, status: normaliseRefillStatus(status), upstreamStatus: status }
}

const refills: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/orders/:id/refill', { schema: refillOrderSchema, config: { scope: 'refills:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    const order = request.params.id
    return await idempotent(app.store, tenant.id, request, reply, async () => {
      const { refused } = await actionable(app, tenant.id, [order], 'refill')
      const refusal = refused.get(order)
      if (refusal !== undefined && !refusal.ok) throw refusal.error
      const { refill } = await app.panel.refill(order)
      await app.store.recordRefill({ id: refill, orderId: order, tenantId: tenant.id })
      return { status: 201, body: { id: refill, order }, headers: { location: `/refills/${refill}` } }
    })
  })

  app.post('/orders/refill', { schema: refillOrdersSchema, config: { scope: 'refills:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    const ids = request.body.orders
    return await idempotent(app.store, tenant.id, request, reply, async () => {
      const { allowed, refused } = await actionable(app, tenant.id, ids, 'refill')
      const results = await chunked(allowed, async (chunk) => await app.panel.refillMany(chunk))
      throwIfPanelFailed(results)
      await Promise.all([...results].map(async ([order, r]) => {
        if (r.ok) await app.store.recordRefill({ id: r.value.refill, orderId: order, tenantId: tenant.id })
      }))
      return {
        status: 200,
        body: {
          items: ids.map((order) => {
            const r = results.get(order) ?? refused.get(order)
            return r?.ok === true ? { id: r.value.refill, order } : { order, error: itemError(r?.ok === false ? r.error : undefined) }
          })
        }
      }
    })
  })

  app.get('/refills/:id', { schema: getRefillSchema, config: { scope: 'orders:read' } }, async (request) => {
    const id = request.params.id
    const owned = await app.store.getRefills(principalOf(request).tenant.id, [id])
    if (!owned.has(id)) throw new GatewayError('not_found', `Refill ${id} does not exist`)
    const { status } = await app.panel.refillStatus(id)
    return toRefillStatus(id, status)
  })

  app.get('/refills', { schema: listRefillsSchema, config: { scope: 'orders:read' } }, async (request) => {
    const ids = parseIds(request.query.ids)
    const owned = await app.store.getRefills(principalOf(request).tenant.id, ids)
    const results = await chunked([...owned.keys()], async (chunk) => await app.panel.refillStatusMany(chunk))
    throwIfPanelFailed(results)
    return {
      items: ids.map((id) => {
        const r = results.get(id)
        if (r === undefined) return { id, error: itemError(new GatewayError('not_found', `Refill ${id} does not exist`)) }
        return r.ok ? toRefillStatus(id, r.value.status) : { id, error: itemError(r.error) }
      })
    }
  })
}

export default refills
