import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { GatewayError, itemProblem } from '../src/problems/errors.js'
import { idempotent } from '../src/orders/idempotency.js'
import { chunked, parseIds, throwIfPanelFailed } from '../src/orders/chunked.js'
import { actionable, onPanel } from '../src/orders/ownership.js'
import { refillStatusOf } from '../src/orders/status.js'
import { recordRefillStatus } from '../src/orders/refill-status.js'
import type { StoredRefill } from '../src/store/types.js'
import { getRefillSchema, listRefillsSchema, refillOrderSchema, refillOrdersSchema } from '../schemas/refills.js'

function toRefillStatus (refill: StoredRefill, status: string) {
  return { id: refill.id, order: refill.orderId, panelRefillId: refill.panelRefillId, status: refillStatusOf(status), upstreamStatus: status }
}

const refills: FastifyPluginAsyncTypebox = async (app) => {
  const notFound = (id: number): GatewayError => new GatewayError('not_found', `Refill ${id} does not exist`)

  app.post('/orders/:id/refill', { schema: refillOrderSchema, config: { scope: 'refills:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    const id = request.params.id
    return await idempotent(tenant.id, request, reply, async () => {
      const { allowed, refused } = await actionable(app, tenant.id, [id], 'refill')
      const refusal = refused.get(id)
      if (refusal !== undefined && !refusal.ok) throw refusal.error
      const order = allowed.get(id)
      if (order === undefined) throw new GatewayError('internal_error', 'order neither allowed nor refused')
      const { refill } = await app.panel.forTenant(tenant.id).refill(order.panelOrderId)
      const stored = await app.store.recordRefill({ tenantId: tenant.id, orderLocalId: order.localId, panel: app.ledger.panel, panelRefillId: refill }, undefined, app.tracker.firstPoll())
      return { status: 201, body: { id: stored.id, order: id, panelRefillId: refill }, headers: { location: `/refills/${stored.id}` } }
    })
  })

  app.post('/orders/refill', { schema: refillOrdersSchema, config: { scope: 'refills:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    const ids = request.body.orders
    return await idempotent(tenant.id, request, reply, async () => {
      const { allowed, refused } = await actionable(app, tenant.id, ids, 'refill')
      const panel = app.panel.forTenant(tenant.id)
      const results = await onPanel(allowed, async (panelIds) => await panel.refillMany(panelIds))
      throwIfPanelFailed(results)
      const recorded = new Map<number, StoredRefill>()
      await Promise.all([...results].map(async ([id, r]) => {
        const order = allowed.get(id)
        if (!r.ok || order === undefined) return
        recorded.set(id, await app.store.recordRefill({ tenantId: tenant.id, orderLocalId: order.localId, panel: app.ledger.panel, panelRefillId: r.value.refill }, undefined, app.tracker.firstPoll()))
      }))
      return {
        status: 200,
        body: {
          items: ids.map((order) => {
            const refill = recorded.get(order)
            if (refill !== undefined) return { id: refill.id, order, panelRefillId: refill.panelRefillId }
            const r = results.get(order) ?? refused.get(order)
            return { order, error: itemProblem(r?.ok === false ? r.error : undefined) }
          })
        }
      }
    })
  })

  app.get('/refills/:id', { schema: getRefillSchema, config: { scope: 'orders:read' } }, async (request) => {
    const id = request.params.id
    const { tenant } = principalOf(request)
    const refill = (await app.store.getRefills(tenant.id, [id])).get(id)
    if (refill === undefined) throw notFound(id)
    if (refill.panel !== app.ledger.panel) throw new GatewayError('order_not_on_panel', `The panel no longer knows refill ${id} by its id (it was replaced)`)
    const { status } = await app.panel.forTenant(tenant.id).refillStatus(refill.panelRefillId)
    await recordRefillStatus(app.store, refill, status)
    return toRefillStatus(refill, status)
  })

  app.get('/refills', { schema: listRefillsSchema, config: { scope: 'orders:read' } }, async (request) => {
    const ids = parseIds(request.query.ids)
    const { tenant } = principalOf(request)
    const panel = app.panel.forTenant(tenant.id)
    const owned = await app.store.getRefills(tenant.id, ids)
    const askable = [...owned.values()].filter((refill) => refill.panel === app.ledger.panel)
    const answers = await chunked(askable.map((refill) => refill.panelRefillId), async (chunk) => await panel.refillStatusMany(chunk))
    throwIfPanelFailed(answers)
    await Promise.all(askable.map(async (refill) => {
      const r = answers.get(refill.panelRefillId)
      if (r?.ok === true) await recordRefillStatus(app.store, refill, r.value.status)
    }))
    return {
      items: ids.map((id) => {
        const refill = owned.get(id)
        if (refill === undefined) return { id, error: itemProblem(notFound(id)) }
        const r = refill.panel === app.ledger.panel ? answers.get(refill.panelRefillId) : undefined
        if (r === undefined) return { id, error: itemProblem(new GatewayError('order_not_on_panel', `The panel no longer knows refill ${id} by its id`)) }
        return r.ok ? toRefillStatus(refill, r.value.status) : { id, error: itemProblem(r.error) }
      })
    }
  })
}

export default refills
