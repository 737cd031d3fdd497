import t from 'tap'
import { Decimal } from 'decimal.js'
import { defaultCatalog, type OrderStatus } from '../../simulator/index.js'
import { ORDER_STATUSES } from '../../schemas/orders.js'
import {
  BODIES, CASES, PANEL_FIELDS, breakerState, defaultOrder, dialectGateway, keyNeverShown, isServiceType, serviceOf, services,
  type DialectGateway, type Service
} from '../fixtures/dialects.js'

// Every catalog and order route, every order type, against every simulator
// dialect: what a tenant sees must not depend on which panel is behind.

const MONEY = /^-?\d+(\.\d+)?$/

async function spendToday (gw: DialectGateway): Promise<string> {
  return (await gw.request({ url: '/me' })).json().spend.today
}

for (const c of CASES) {
  t.test(`${c.name}: GET /services, /services?type=, /services/:id and /categories show the catalog in the gateway's terms`, async (t) => {
    const gw = await dialectGateway(t, c)
    const items = await services(gw)
    const catalog = defaultCatalog()
    t.equal(items.length, catalog.length)
    for (const s of catalog) {
      const item = items.find((i) => i.id === s.service)
      t.match(item, {
        name: s.name,
        type: s.type,
        panelType: c.panelType(s.type),
        min: s.min,
        max: c.max(s),
        refill: c.states.refill ? s.refill : null,
        cancel: c.states.cancel ? s.cancel : null,
        dripfeed: c.states.dripfeed ? s.type === 'Default' : null
      }, `service ${s.service}`)
      t.ok(item !== undefined && MONEY.test(item.rate) && new Decimal(item.rate).equals(s.rate), `service ${s.service}: rate ${item?.rate} is ${s.rate}`)
      t.ok(item?.category.endsWith(s.category), `service ${s.service}: category ${item?.category}`)
    }

    for (const type of ['Custom Comments', c.panelType('Custom Comments')]) {
      const res = await gw.request({ url: `/services?type=${encodeURIComponent(type)}` })
      t.equal(res.statusCode, 200)
      t.same(res.json().items.map((s: Service) => s.id), catalog.filter((s) => s.type === 'Custom Comments').map((s) => s.service), `?type=${type}`)
    }

    const one = await gw.request({ url: '/services/8' })
    t.equal(one.statusCode, 200)
    t.same(one.json(), items.find((s) => s.id === 8))
    t.equal((await gw.request({ url: '/services/999' })).statusCode, 404)

    const categories = (await gw.request({ url: '/categories' })).json().items as Array<{ name: string, serviceCount: number }>
    t.same(new Set(categories.map((k) => k.name)), new Set(items.map((s) => s.category)))
    for (const k of categories) t.equal(k.serviceCount, items.filter((s) => s.category === k.name).length, k.name)
    keyNeverShown(t, gw)
  })

  t.test(`${c.name}: POST /orders places every order type of the catalog, and the order routes answer for them`, async (t) => {
    const gw = await dialectGateway(t, c)
    const items = await services(gw)
    const types = [...new Set(items.map((s) => s.type))]
    const placed: Array<{ id: number, panelOrderId: number, type: string }> = []
    for (const type of types) {
      if (!isServiceType(type)) {
        t.fail(`the catalog's type ${type} is not canonical`)
        continue
      }
      const service = items.find((s) => s.type === type) as Service
      const res = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, ...BODIES[type](service, `https://instagram.com/p/${placed.length}`) } })
      t.equal(res.statusCode, 201, `${type}: ${res.body}`)
      if (res.statusCode !== 201) continue
      const body = res.json()
      t.equal(res.headers.location, `/orders/${body.id as number}`)
      const order = gw.sim.order(body.panelOrderId)
      t.ok(order, `${type}: the panel holds the order`)
      for (const field of PANEL_FIELDS[type]) t.ok(order?.fields[field], `${type}: the panel got "${field}"`)
      if (body.quantity !== null) t.equal(order?.fields.quantity, String(body.quantity), `${type}: the quantity answered is the quantity sent`)
      placed.push({ id: body.id, panelOrderId: body.panelOrderId, type })
    }
    t.equal(placed.length, types.length, 'every type placed')

    // One order moved through the statuses that are not final, then to Completed; others end Partial and Canceled.
    const [single, partial, canceled] = placed as [typeof placed[0], typeof placed[0], typeof placed[0]]
    const moves: Array<[OrderStatus, string]> = [['Pending', 'pending'], ['In progress', 'in_progress'], ['Processing', 'processing'], ['Completed', 'completed']]
    for (const [panelStatus, status] of moves) {
      gw.sim.setOrderStatus(single.panelOrderId, panelStatus)
      const before = gw.sim.calls('status')
      const res = await gw.request({ url: `/orders/${single.id}` })
      t.equal(res.statusCode, 200)
      t.match(res.json(), { id: single.id, panelOrderId: single.panelOrderId, status, upstreamStatus: c.spell(panelStatus), currency: 'USD' }, panelStatus)
      t.equal(gw.sim.calls('status') - before, 1, 'one order, one panel call')
    }
    gw.sim.setOrderStatus(partial.panelOrderId, 'Partial')
    gw.sim.setOrderStatus(canceled.panelOrderId, 'Canceled')

    const many = await gw.request({ url: `/orders?ids=${[...placed.map((p) => p.id), 999999].join(',')}` })
    t.equal(many.statusCode, 200)
    const answered = many.json().items as Array<{ id: number, status?: string, upstreamStatus?: string, error?: { code: string } }>
    t.same(answered.map((i) => i.id), [...placed.map((p) => p.id), 999999], 'every id answered, in order')
    for (const [i, p] of placed.entries()) {
      const item = answered[i]
      t.ok(item?.error === undefined && ORDER_STATUSES.includes(item?.status as never) && typeof item?.upstreamStatus === 'string',
        `${p.type}: a status (${JSON.stringify(item)})`)
    }
    t.match(answered.slice(0, 3), [
      { status: 'completed', upstreamStatus: 'Completed' },
      { status: 'partial', upstreamStatus: 'Partial' },
      { status: 'canceled', upstreamStatus: 'Canceled' }
    ])
    t.match(answered.at(-1), { id: 999999, error: { code: 'not_found' } })
    const partialOnly = await gw.request({ url: '/orders?status=partial' })
    t.same(partialOnly.json().items.map((o: { id: number }) => o.id), [partial.id], 'the list filters by the normalised status')

    const list = await gw.request({ url: '/orders?limit=100' })
    t.equal(list.statusCode, 200)
    t.same(new Set(list.json().items.map((o: { id: number }) => o.id)), new Set(placed.map((p) => p.id)), 'GET /orders lists the tenant\'s orders')

    const balance = await gw.request({ url: '/balance' })
    t.equal(balance.statusCode, 200)
    t.match(balance.json(), { balance: MONEY, currency: 'USD' })
    t.equal(breakerState(gw), 'closed')
    keyNeverShown(t, gw)
  })

  t.test(`${c.name}: a drip-feed Default order is placed with runs and interval${c.refusedInterval === undefined ? '' : `; interval ${c.refusedInterval} is the tenant's 422`}`, async (t) => {
    const gw = await dialectGateway(t, c)
    const service = await serviceOf(gw, 'Default', (s) => s.dripfeed !== false && (s.max ?? Infinity) >= (s.min ?? 1) * 3)
    const body = { service: service.id, ...BODIES.Default(service, 'https://instagram.com/drip'), runs: 3, interval: 10 }
    const res = await gw.request({ method: 'POST', url: '/orders', payload: body })
    t.equal(res.statusCode, 201, res.body)
    t.equal(res.json().quantity, (service.min ?? 1) * 3, 'runs × quantity')
    t.match(gw.sim.order(res.json().panelOrderId), { runs: 3, interval: 10 })
    const order = await gw.request({ url: `/orders/${res.json().id as number}` })
    t.equal(order.statusCode, 200)
    t.ok(ORDER_STATUSES.includes(order.json().status), order.body)

    if (c.refusedInterval !== undefined) {
      const spent = await spendToday(gw)
      const refused = await gw.request({ method: 'POST', url: '/orders', payload: { ...body, link: 'https://instagram.com/drip2', interval: c.refusedInterval } })
      t.equal(refused.statusCode, 422)
      t.equal(refused.json().code, 'invalid_drip_feed', refused.body)
      t.equal(breakerState(gw), 'closed')
      t.equal(await spendToday(gw), spent, 'the refused order holds no spend')
    }
    keyNeverShown(t, gw)
  })

  t.test(`${c.name}: the panel's refusals in its own words reach the tenant as their 4xx`, async (t) => {
    const gw = await dialectGateway(t, c, { sim: { rejectDuplicateLinks: true } })
    const link = 'https://instagram.com/dup'
    const first = await defaultOrder(gw, () => true, link)
    const spent = await spendToday(gw)
    t.not(spent, '0', 'the placed order holds spend')

    const service = await serviceOf(gw, 'Default')
    const again = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, ...BODIES.Default(service, link) } })
    t.equal(again.statusCode, 409, again.body)
    t.equal(again.json().code, 'duplicate_active_order')
    t.equal(breakerState(gw), 'closed')
    t.equal(await spendToday(gw), spent, 'the duplicate holds no spend')

    if (c.dripTotalChecked && service.max !== null) {
      const perRun = Math.ceil(service.max / 2)
      const tooMuch = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: 'https://instagram.com/drip', quantity: perRun, runs: 3, interval: 10 } })
      t.equal(tooMuch.statusCode, 422, tooMuch.body)
      t.equal(tooMuch.json().code, 'quantity_out_of_range', 'a drip-feed total over max, refused by the panel')
      t.equal(breakerState(gw), 'closed')
      t.equal(await spendToday(gw), spent, 'the refused order holds no spend')
    }

    gw.sim.setBalance('0')
    const broke = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, ...BODIES.Default(service, 'https://instagram.com/other') } })
    t.equal(broke.statusCode, 402, broke.body)
    t.equal(broke.json().code, 'upstream_insufficient_funds')
    t.equal(breakerState(gw), 'closed')
    t.equal(await spendToday(gw), spent, 'the refused order holds no spend')

    t.same((await gw.request({ url: '/orders' })).json().items.map((o: { id: number }) => o.id), [first.id], 'only the placed order is listed')
    keyNeverShown(t, gw)
  })
}
