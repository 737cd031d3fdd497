import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { principalOf } from '../src/tenancy/auth.js'
import { GatewayError, itemProblem } from '../src/problems/errors.js'
import { idempotent } from '../src/orders/idempotency.js'
import { throwIfPanelFailed } from '../src/orders/chunked.js'
import { actionable, onPanel } from '../src/orders/ownership.js'
import { cancelOrderSchema, cancelOrdersSchema } from '../schemas/orders.js'

const cancels: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/orders/:id/cancel', { schema: cancelOrderSchema, config: { scope: 'cancels:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    const id = request.params.id
    return await idempotent(tenant.id, request, reply, async () => {
      const { allowed, refused } = await actionable(app, tenant.id, [id], 'cancel')
      const refusal = refused.get(id)
      if (refusal !== undefined && !refusal.ok) throw refusal.error
      const result = (await onPanel(allowed, async (panelIds) => await app.panel.forTenant(tenant.id).cancel(panelIds))).get(id)
      if (result === undefined) throw new GatewayError('upstream_invalid_response', 'The panel did not answer for this order')
      if (!result.ok) throw result.error
      return { status: 202, body: { id, cancelRequested: true as const } }
    })
  })

  app.post('/orders/cancel', { schema: cancelOrdersSchema, config: { scope: 'cancels:write' } }, async (request, reply) => {
    const { tenant } = principalOf(request)
    const ids = request.body.orders
    return await idempotent(tenant.id, request, reply, async () => {
      const { allowed, refused } = await actionable(app, tenant.id, ids, 'cancel')
      const results = await onPanel(allowed, async (panelIds) => await app.panel.forTenant(tenant.id).cancel(panelIds))
      throwIfPanelFailed(results)
      return {
        status: 200,
        body: {
          items: ids.map((id) => {
            const r = results.get(id) ?? refused.get(id)
            return r?.ok === true ? { id, cancelRequested: true as const } : { id, error: itemProblem(r?.ok === false ? r.error : undefined) }
          })
        }
      }
    })
  })
}

export default cancels
