import t, { type Test } from 'tap'
import { REFILL_STATUSES } from '../../schemas/refills.js'
import { CASES, breakerState, defaultOrder, dialectGateway, keyNeverShown, type DialectCase, type DialectGateway } from '../fixtures/dialects.js'

// Refills and cancels through the gateway against every simulator dialect: a
// panel without the action answers a clear 501 naming it, never a broken circuit.

/** The action is missing on this panel: 501 naming it, the circuit closed, for one order and for many. */
async function unsupported (t: Test, gw: DialectGateway, action: 'refill' | 'cancel', ids: number[]): Promise<void> {
  const one = await gw.request({ method: 'POST', url: `/orders/${ids[0] as number}/${action}` })
  t.equal(one.statusCode, 501, one.body)
  t.match(one.json(), { code: 'upstream_action_unsupported', detail: new RegExp(`\\b${action}\\b`) })
  t.equal(breakerState(gw), 'closed')
  const many = await gw.request({ method: 'POST', url: `/orders/${action}`, payload: { orders: ids } })
  t.equal(many.statusCode, 501, many.body)
  t.match(many.json(), { code: 'upstream_action_unsupported', detail: new RegExp(`\\b${action}\\b`) })
  t.equal(breakerState(gw), 'closed')
  t.equal((await gw.request({ url: '/balance' })).statusCode, 200, 'the panel is still served')
}

function refillCase (c: DialectCase): void {
  t.test(`${c.name}: ${c.refill ? 'a completed order of a refill service refills, one and many' : 'refill is upstream_action_unsupported (501)'}`, async (t) => {
    const gw = await dialectGateway(t, c)
    const refillable = (s: { refill: boolean | null }): boolean => s.refill !== false
    const orders = [
      await defaultOrder(gw, refillable, 'https://instagram.com/r1'),
      await defaultOrder(gw, refillable, 'https://instagram.com/r2'),
      await defaultOrder(gw, refillable, 'https://instagram.com/r3')
    ]
    if (!c.refill) {
      await unsupported(t, gw, 'refill', orders.map((o) => o.id))
      keyNeverShown(t, gw)
      return
    }

    const [a, b, early] = orders as [typeof orders[0], typeof orders[0], typeof orders[0]]
    for (const o of [a, b]) gw.sim.setOrderStatus(o.panelOrderId, 'Completed')
    const one = await gw.request({ method: 'POST', url: `/orders/${a.id}/refill` })
    t.equal(one.statusCode, 201, one.body)
    t.match(one.json(), { id: Number, order: a.id, panelRefillId: Number })
    t.equal(one.headers.location, `/refills/${one.json().id as number}`)

    const many = await gw.request({ method: 'POST', url: '/orders/refill', payload: { orders: [b.id, 999999] } })
    t.equal(many.statusCode, 200, many.body)
    const [refilled, unknown] = many.json().items
    t.match(refilled, { id: Number, order: b.id, panelRefillId: Number })
    t.match(unknown, { order: 999999, error: { code: 'not_found' } })

    const status = await gw.request({ url: `/refills/${one.json().id as number}` })
    t.equal(status.statusCode, 200, status.body)
    t.match(status.json(), { id: one.json().id, order: a.id, upstreamStatus: String })
    t.ok(REFILL_STATUSES.includes(status.json().status), status.body)

    const ids = [one.json().id as number, refilled.id as number, 888888]
    const statuses = await gw.request({ url: `/refills?ids=${ids.join(',')}` })
    t.equal(statuses.statusCode, 200, statuses.body)
    const items = statuses.json().items
    t.same(items.map((i: { id: number }) => i.id), ids, 'every refill answered')
    for (const item of items.slice(0, 2)) t.ok(REFILL_STATUSES.includes(item.status), JSON.stringify(item))
    t.match(items[2], { id: 888888, error: { code: 'not_found' } })

    const before = gw.sim.calls('refill')
    const tooEarly = await gw.request({ method: 'POST', url: `/orders/${early.id}/refill` })
    t.equal(tooEarly.statusCode, c.refillTooEarly === 'order_not_completed' ? 409 : 422, tooEarly.body)
    t.equal(tooEarly.json().code, c.refillTooEarly)
    t.equal(gw.sim.calls('refill'), before + 1, 'the panel was asked and said no')
    t.equal(breakerState(gw), 'closed')
    keyNeverShown(t, gw)
  })
}

// The client sends the multi form even for one id (src/upstream/client.ts, #many);
// a panel without multi forms refuses it as a whole and is asked again in the
// single form, and one id never teaches it that the form is missing.
function oneIdCase (c: DialectCase): void {
  if (!c.refill) return
  t.test(`${c.name}: one order through the batch refill routes is one panel call each`, async (t) => {
    const gw = await dialectGateway(t, c)
    const order = await defaultOrder(gw, (s) => s.refill !== false, 'https://instagram.com/one')
    gw.sim.setOrderStatus(order.panelOrderId, 'Completed')
    gw.sim.resetCalls()
    const refilled = await gw.request({ method: 'POST', url: '/orders/refill', payload: { orders: [order.id] } })
    t.match(refilled.json(), { items: [{ order: order.id, id: Number }] })
    t.equal(gw.sim.calls('refill'), 1, 'one refill call')
    const status = await gw.request({ url: `/refills?ids=${refilled.json().items[0].id as number}` })
    t.match(status.json(), { items: [{ status: String }] })
    t.equal(gw.sim.calls('refill_status'), 1, 'one refill_status call')
  })
}

function cancelCase (c: DialectCase): void {
  t.test(`${c.name}: ${c.cancel ? 'orders are canceled, one and many' : 'cancel is upstream_action_unsupported (501)'}`, async (t) => {
    const gw = await dialectGateway(t, c)
    const cancelable = (s: { cancel: boolean | null }): boolean => s.cancel !== false
    const orders = [
      await defaultOrder(gw, cancelable, 'https://instagram.com/c1'),
      await defaultOrder(gw, cancelable, 'https://instagram.com/c2'),
      await defaultOrder(gw, cancelable, 'https://instagram.com/c3')
    ]
    if (!c.cancel) {
      await unsupported(t, gw, 'cancel', orders.map((o) => o.id))
      for (const o of orders) t.equal(gw.sim.order(o.panelOrderId)?.status, 'Pending', 'the order goes on')
      keyNeverShown(t, gw)
      return
    }

    const [a, ...rest] = orders as [typeof orders[0], ...typeof orders]
    const one = await gw.request({ method: 'POST', url: `/orders/${a.id}/cancel` })
    t.equal(one.statusCode, 202, one.body)
    t.same(one.json(), { id: a.id, cancelRequested: true })
    const many = await gw.request({ method: 'POST', url: '/orders/cancel', payload: { orders: [...rest.map((o) => o.id), 999999] } })
    t.equal(many.statusCode, 200, many.body)
    t.same(many.json().items.slice(0, 2), rest.map((o) => ({ id: o.id, cancelRequested: true })))
    t.match(many.json().items[2], { id: 999999, error: { code: 'not_found' } })
    for (const o of orders) t.equal(gw.sim.order(o.panelOrderId)?.status, 'Canceled', 'the panel canceled it')
    const status = await gw.request({ url: `/orders/${a.id}` })
    t.match(status.json(), { status: 'canceled', upstreamStatus: 'Canceled' })
    t.equal(breakerState(gw), 'closed')
    keyNeverShown(t, gw)
  })
}

for (const c of CASES) {
  refillCase(c)
  oneIdCase(c)
  cancelCase(c)
}
