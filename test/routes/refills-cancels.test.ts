import t from 'tap'
import { gateway, type Gateway } from '../helper.js'

interface Service { id: number, min: number, refill: boolean, cancel: boolean }

/** An order placed on a service: its gateway id and the panel's id for it. */
async function orderOn (gw: Gateway, where: (s: Service) => boolean): Promise<{ id: number, panelOrderId: number }> {
  const { items } = (await gw.request({ url: '/services?type=Default&limit=1000' })).json()
  const service = (items as Service[]).find(where)
  if (service === undefined) throw new Error('no such service in the simulator catalog')
  const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://a.b/c', quantity: service.min } })
  const { id, panelOrderId } = res.json()
  return { id, panelOrderId }
}

t.test('POST /orders/:id/refill refills a completed order: 201 and Location', async (t) => {
  const gw = await gateway(t)
  const { id, panelOrderId } = await orderOn(gw, (s) => s.refill)
  gw.sim.setOrderStatus(panelOrderId, 'Completed')
  const res = await gw.request({ method: 'POST', url: `/orders/${id}/refill` })
  t.equal(res.statusCode, 201)
  const refill = res.json()
  t.equal(refill.order, id)
  t.type(refill.id, 'number')
  t.type(refill.panelRefillId, 'number')
  t.equal(gw.sim.callLog().find((c) => c.action === 'refill')?.fields.order, String(panelOrderId), 'the panel is asked by its own order id')
  t.equal(res.headers.location, `/refills/${refill.id as number}`)
  const status = await gw.request({ url: `/refills/${refill.id as number}` })
  t.equal(status.statusCode, 200)
  t.match(status.json(), { id: refill.id, order: id, panelRefillId: refill.panelRefillId, status: /pending|in_progress|completed/, upstreamStatus: String })
})

t.test('refill errors from the panel map to stable codes', async (t) => {
  const gw = await gateway(t)
  const noRefill = await orderOn(gw, (s) => !s.refill)
  gw.sim.setOrderStatus(noRefill.panelOrderId, 'Completed')
  t.equal((await gw.request({ method: 'POST', url: `/orders/${noRefill.id}/refill` })).json().code, 'refill_not_allowed')
  const running = await orderOn(gw, (s) => s.refill)
  t.equal((await gw.request({ method: 'POST', url: `/orders/${running.id}/refill` })).json().code, 'order_not_completed')
  const unknown = await gw.request({ method: 'POST', url: '/orders/999999/refill' })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'not_found')
  const missingRefill = await gw.request({ url: '/refills/999999' })
  t.equal(missingRefill.statusCode, 404)
})

t.test('POST /orders/refill and GET /refills?ids= handle many with per-item errors', async (t) => {
  const gw = await gateway(t)
  const { id: a, panelOrderId } = await orderOn(gw, (s) => s.refill)
  gw.sim.setOrderStatus(panelOrderId, 'Completed')
  const res = await gw.request({ method: 'POST', url: '/orders/refill', payload: { orders: [a, 999999] } })
  t.equal(res.statusCode, 200)
  const [ok, bad] = res.json().items
  t.match(ok, { order: a, id: Number, panelRefillId: Number })
  t.match(bad, { order: 999999, error: { code: 'not_found', status: 404 } })
  const statuses = await gw.request({ url: `/refills?ids=${ok.id as number},888888` })
  t.equal(statuses.statusCode, 200)
  const [found, missing] = statuses.json().items
  t.match(found, { id: ok.id, order: a, panelRefillId: ok.panelRefillId, status: String })
  t.match(missing, { id: 888888, error: { code: 'not_found' } })
})

t.test('POST /orders/:id/cancel asks the panel to cancel: 202', async (t) => {
  const gw = await gateway(t)
  const { id, panelOrderId } = await orderOn(gw, (s) => s.cancel)
  const res = await gw.request({ method: 'POST', url: `/orders/${id}/cancel` })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { id, cancelRequested: true })
  t.equal(gw.sim.calls('cancel'), 1)
  t.equal(gw.sim.callLog().find((c) => c.action === 'cancel')?.fields.orders, String(panelOrderId), 'the panel is asked by its own order id')
  const noCancel = await orderOn(gw, (s) => !s.cancel)
  const refused = await gw.request({ method: 'POST', url: `/orders/${noCancel.id}/cancel` })
  t.equal(refused.statusCode, 422)
  t.equal(refused.json().code, 'cancel_not_allowed')
})

t.test('POST /orders/cancel cancels many, 100 per panel call', async (t) => {
  const gw = await gateway(t)
  const mine: number[] = []
  for (let i = 0; i < 101; i++) mine.push((await orderOn(gw, (s) => s.cancel)).id)
  gw.sim.resetCalls()
  const res = await gw.request({ method: 'POST', url: '/orders/cancel', payload: { orders: [...mine, 999999] } })
  t.equal(res.statusCode, 200)
  const { items } = res.json()
  t.equal(items.length, 102)
  t.same(items[0], { id: mine[0], cancelRequested: true })
  t.ok(items.slice(0, 101).every((i: { cancelRequested?: boolean }) => i.cancelRequested === true))
  t.match(items[101], { id: 999999, error: { code: 'not_found' } })
  t.equal(gw.sim.calls('cancel'), 2, '101 orders in two panel calls; the unknown id never reached the panel')
})
