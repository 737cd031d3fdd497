import t from 'tap'
import { gateway, type Gateway } from '../helper.js'
import { sharedGateway } from '../fixtures/shared-gateway.js'

const shared = sharedGateway(t)

interface Service { id: number, type: string, min: number, max: number, rate: string, refill: boolean, cancel: boolean }

async function serviceOfType (gw: Gateway, type: string, where: (s: Service) => boolean = () => true): Promise<Service> {
  const { items } = (await gw.request({ url: `/services?type=${encodeURIComponent(type)}&limit=1000` })).json()
  const found = (items as Service[]).find(where)
  if (found === undefined) throw new Error(`the simulator catalog has no ${type} service`)
  return found
}

async function placeOrder (gw: Gateway, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return await gw.request({ method: 'POST', url: '/orders', payload: body, headers })
}

t.test('POST /orders places a Default order: 201, Location, estimated charge in decimals', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Default')
  const res = await placeOrder(gw, { service: service.id, link: 'https://instagram.com/example', quantity: service.min })
  t.equal(res.statusCode, 201)
  const body = res.json()
  t.equal(res.headers.location, `/orders/${body.id}`)
  t.equal(body.status, 'pending')
  t.equal(body.quantity, service.min)
  t.type(body.estimatedCharge, 'string')
  t.ok(Number.isSafeInteger(body.id) && body.id >= 1 && body.id < 2 ** 48, 'the gateway\'s own id')
  t.type(body.panelOrderId, 'number')
  const order = gw.sim.order(body.panelOrderId)
  t.ok(order, 'the panel has the order, under its panel id')
  t.equal(gw.sim.calls('add'), 1)
  const sent = gw.sim.callLog().find((c) => c.action === 'add')
  t.same(sent?.fields, { action: 'add', service: String(service.id), link: 'https://instagram.com/example', quantity: String(service.min) })
})

t.test('POST /orders computes drip-feed totals and sends runs and interval', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Default')
  const res = await placeOrder(gw, { service: service.id, link: 'https://x.com/a', quantity: service.min, runs: 3, interval: 10 })
  t.equal(res.statusCode, 201)
  t.equal(res.json().quantity, service.min * 3)
  const sent = gw.sim.callLog().find((c) => c.action === 'add')
  t.equal(sent?.fields.runs, '3')
  t.equal(sent?.fields.interval, '10')
})

t.test('POST /orders for Custom Comments counts the lines as the quantity', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Custom Comments')
  const comments = Array.from({ length: service.min }, (_, i) => `nice post ${i} 👍`).join('\n')
  const res = await placeOrder(gw, { service: service.id, link: 'https://instagram.com/p/1', comments })
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().quantity, service.min)
  t.equal(gw.sim.callLog().find((c) => c.action === 'add')?.fields.comments, comments, 'comments survive form encoding')
})

t.test('POST /orders for Custom Comments takes a quantity equal to the lines, and always sends the count', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Custom Comments')
  const comments = Array.from({ length: service.min }, (_, i) => `comment ${i}`).join('\n')
  const withQuantity = await placeOrder(gw, { service: service.id, link: 'https://instagram.com/p/1', comments: comments + '\n\n', quantity: service.min })
  t.equal(withQuantity.statusCode, 201, withQuantity.body)
  t.equal(withQuantity.json().quantity, service.min)
  const without = await placeOrder(gw, { service: service.id, link: 'https://instagram.com/p/2', comments })
  t.equal(without.statusCode, 201, without.body)
  const sent = gw.sim.callLog().filter((c) => c.action === 'add')
  t.same(sent.map((c) => [c.fields.quantity, c.fields.comments]), [[String(service.min), comments], [String(service.min), comments]],
    'the count is sent with or without a quantity, and the lines sent are the lines counted')
  for (const panelOrderId of [withQuantity.json().panelOrderId, without.json().panelOrderId]) {
    t.equal(gw.sim.order(panelOrderId)?.quantity, service.min, 'the panel counted what the gateway counted')
  }
})

t.test('POST /orders for Mentions Custom List and Comment Replies sends the line count as quantity', async (t) => {
  const gw = await shared()
  const list = await serviceOfType(gw, 'Mentions Custom List')
  const replies = await serviceOfType(gw, 'Comment Replies')
  const usernames = Array.from({ length: list.min }, (_, i) => `user${i}`).join('\r\n')
  const a = await placeOrder(gw, { service: list.id, link: 'https://instagram.com/p/1', usernames })
  t.equal(a.statusCode, 201, a.body)
  const comments = Array.from({ length: replies.min }, (_, i) => `reply ${i}`).join('\n')
  const b = await placeOrder(gw, { service: replies.id, link: 'https://instagram.com/p/1', username: 'owner', comments, quantity: replies.min })
  t.equal(b.statusCode, 201, b.body)
  const sent = gw.sim.callLog().filter((c) => c.action === 'add')
  t.same(sent.map((c) => c.fields.quantity), [String(list.min), String(replies.min)])
})

t.test('POST /orders places a Package with and without quantity, and always sends one', async (t) => {
  const gw = await shared()
  const pkg = await serviceOfType(gw, 'Package')
  const without = await placeOrder(gw, { service: pkg.id, link: 'https://instagram.com/a' })
  t.equal(without.statusCode, 201, without.body)
  t.match(without.json(), { quantity: pkg.min, estimatedCharge: pkg.rate }, 'a package of min 1 is bounded by its rate')
  const withQuantity = await placeOrder(gw, { service: pkg.id, link: 'https://instagram.com/b', quantity: pkg.max })
  t.equal(withQuantity.statusCode, 201, withQuantity.body)
  t.equal(withQuantity.json().quantity, pkg.max)
  const sent = gw.sim.callLog().filter((c) => c.action === 'add')
  t.same(sent.map((c) => c.fields), [
    { action: 'add', service: String(pkg.id), link: 'https://instagram.com/a', quantity: String(pkg.min) },
    { action: 'add', service: String(pkg.id), link: 'https://instagram.com/b', quantity: String(pkg.max) }
  ])

  const commentsPackage = await serviceOfType(gw, 'Custom Comments Package')
  const res = await placeOrder(gw, { service: commentsPackage.id, link: 'https://instagram.com/c', comments: 'one\ntwo\nthree' })
  t.equal(res.statusCode, 201, res.body)
  t.equal(gw.sim.callLog().filter((c) => c.action === 'add').at(-1)?.fields.quantity, String(commentsPackage.min))
})

t.test('POST /orders places a Subscription with a link, and sends the username as the link without one', async (t) => {
  const gw = await shared()
  const sub = await serviceOfType(gw, 'Subscriptions')
  const body = { service: sub.id, username: 'example', min: sub.min, max: sub.min * 2, delay: 0, posts: 10 }
  const withLink = await placeOrder(gw, { ...body, link: 'https://instagram.com/example' })
  t.equal(withLink.statusCode, 201, withLink.body)
  t.match(withLink.json(), { quantity: null, status: 'pending' })
  const without = await placeOrder(gw, body)
  t.equal(without.statusCode, 201, without.body)
  const sent = gw.sim.callLog().filter((c) => c.action === 'add')
  t.same(sent.map((c) => c.fields.link), ['https://instagram.com/example', 'example'])
  t.equal(sent[0]?.fields.username, 'example')
  t.equal(sent[0]?.fields.quantity, undefined, 'no quantity for a subscription')
})

t.test('POST /orders refuses before any panel call', async (t) => {
  const gw = await shared()
  const def = await serviceOfType(gw, 'Default')
  const comments = await serviceOfType(gw, 'Custom Comments')
  const pkg = await serviceOfType(gw, 'Package')
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['below min', { service: def.id, link: 'https://a.b/c', quantity: def.min - 1 }, 422, 'quantity_out_of_range'],
    ['above max', { service: def.id, link: 'https://a.b/c', quantity: def.max + 1 }, 422, 'quantity_out_of_range'],
    ['unknown service', { service: 987654, link: 'https://a.b/c', quantity: 100 }, 422, 'unknown_service'],
    ['missing link', { service: def.id, quantity: def.min }, 422, 'missing_field'],
    ['missing quantity', { service: def.id, link: 'https://a.b/c' }, 422, 'missing_field'],
    ['missing comments', { service: comments.id, link: 'https://a.b/c' }, 422, 'missing_field'],
    ['too few comments', { service: comments.id, link: 'https://a.b/c', comments: 'one' }, 422, 'quantity_out_of_range'],
    ['a quantity that is not the number of comments', { service: comments.id, link: 'https://a.b/c', comments: 'a\nb', quantity: 3 }, 422, 'quantity_out_of_range'],
    ['a package quantity above max', { service: pkg.id, link: 'https://a.b/c', quantity: pkg.max + 1 }, 422, 'quantity_out_of_range'],
    ['a field the type does not take', { service: def.id, link: 'https://a.b/c', quantity: def.min, username: 'x' }, 422, 'field_not_allowed'],
    ['runs without interval', { service: def.id, link: 'https://a.b/c', quantity: def.min, runs: 2 }, 422, 'invalid_drip_feed'],
    ['runs of 1', { service: def.id, link: 'https://a.b/c', quantity: def.min, runs: 1, interval: 5 }, 400, 'validation_failed'],
    ['negative quantity', { service: def.id, link: 'https://a.b/c', quantity: -5 }, 400, 'validation_failed'],
    ['fractional quantity', { service: def.id, link: 'https://a.b/c', quantity: 10.5 }, 400, 'validation_failed'],
    ['quantity as a string', { service: def.id, link: 'https://a.b/c', quantity: '100' }, 400, 'validation_failed'],
    ['CR/LF in the link', { service: def.id, link: 'https://a.b/c\r\naction=balance', quantity: def.min }, 400, 'validation_failed'],
    ['unknown field', { service: def.id, link: 'https://a.b/c', quantity: def.min, quantitiy: 5 }, 400, 'validation_failed'],
    ['no service', { link: 'https://a.b/c', quantity: 100 }, 400, 'validation_failed']
  ]
  for (const [name, body, status, code] of cases) {
    const res = await placeOrder(gw, body)
    t.equal(res.statusCode, status, `${name}: status`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    t.equal(res.json().code, code, `${name}: code`)
  }
  t.equal(gw.sim.calls('add'), 0, 'the panel never saw an add')
})

t.test('POST /orders refuses broken JSON, other content types and huge bodies', async (t) => {
  const gw = await shared()
  const broken = await gw.request({ method: 'POST', url: '/orders', payload: '{"service":', headers: { 'content-type': 'application/json' } })
  t.equal(broken.statusCode, 400)
  t.equal(broken.json().code, 'invalid_json')
  const form = await gw.request({ method: 'POST', url: '/orders', payload: 'service=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.statusCode, 415)
  t.equal(form.json().code, 'unsupported_media_type')
  const huge = await gw.request({ method: 'POST', url: '/orders', payload: JSON.stringify({ service: 1, link: 'x'.repeat(3_000_000) }), headers: { 'content-type': 'application/json' } })
  t.equal(huge.statusCode, 413)
  t.equal(huge.json().code, 'payload_too_large')
  t.equal(gw.sim.calls('add'), 0)
})

t.test('GET /orders/:id returns the normalised status', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Default')
  const { id, panelOrderId } = (await placeOrder(gw, { service: service.id, link: 'https://a.b/c', quantity: service.min })).json()
  gw.sim.setOrderStatus(panelOrderId, 'Partial', { remains: 7, startCount: 100 })
  const res = await gw.request({ url: `/orders/${id}` })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id, panelOrderId, status: 'partial', upstreamStatus: 'Partial', remains: 7, startCount: 100, currency: 'USD' })
  t.type(res.json().charge, 'string')
  const missing = await gw.request({ url: '/orders/424242' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'not_found')
  const byPanelId = await gw.request({ url: `/orders/${panelOrderId as number}` })
  t.equal(byPanelId.statusCode, 404, 'the panel\'s id is not an id of ours')
})

t.test('100 concurrent GET /orders/:id make a handful of upstream calls', async (t) => {
  // The widest window (1 s): the batching is the point, not its width. On a
  // busy machine the 100 store reads before the lookups spread over more than
  // 100 ms (CI on PostgreSQL: a fourth call at a 20 ms window), never a second.
  const gw = await gateway(t, { env: { STATUS_BATCH_WINDOW_MS: '1000' } })
  const service = await serviceOfType(gw, 'Default')
  const ids: number[] = []
  for (let i = 0; i < 10; i++) {
    ids.push((await placeOrder(gw, { service: service.id, link: `https://a.b/${i}`, quantity: service.min })).json().id)
  }
  gw.sim.resetCalls()
  const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) => await gw.request({ url: `/orders/${ids[i % 10] as number}` })))
  t.ok(answers.every((r) => r.statusCode === 200))
  t.ok(gw.sim.calls('status') <= 3, `${gw.sim.calls('status')} status calls`)
})

t.test('GET /orders?ids= with 250 ids makes 3 upstream calls, and none again once final', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Default')
  const ids: number[] = []
  for (let i = 0; i < 250; i++) {
    const { id, panelOrderId } = (await placeOrder(gw, { service: service.id, link: `https://a.b/${i}`, quantity: service.min })).json()
    gw.sim.setOrderStatus(panelOrderId, 'Completed')
    ids.push(id)
  }
  gw.sim.resetCalls()
  const res = await gw.request({ url: `/orders?ids=${ids.join(',')}` })
  t.equal(res.statusCode, 200)
  const { items } = res.json()
  t.equal(items.length, 250)
  t.ok(items.every((o: { status: string }) => o.status === 'completed'))
  t.equal(gw.sim.calls('status'), 3)
  const again = await gw.request({ url: `/orders?ids=${ids.join(',')}` })
  t.same(again.json(), res.json())
  t.equal(gw.sim.calls('status'), 3, 'final statuses are not fetched again')
})

t.test('GET /orders?ids= gives per-id errors as data', async (t) => {
  const gw = await shared()
  const service = await serviceOfType(gw, 'Default')
  const { id } = (await placeOrder(gw, { service: service.id, link: 'https://a.b/c', quantity: service.min })).json()
  const res = await gw.request({ url: `/orders?ids=${id},999999,${id}` })
  t.equal(res.statusCode, 200)
  const { items } = res.json()
  t.equal(items.length, 2, 'duplicates folded')
  t.equal(items[0].id, id)
  t.ok(items[0].status)
  t.match(items[1], { id: 999999, error: { code: 'not_found', status: 404 } })
  t.equal((await gw.request({ url: '/orders?ids=1,x' })).json().code, 'validation_failed')
  t.equal((await gw.request({ url: `/orders?ids=${Array.from({ length: 1001 }, (_, i) => i + 1).join(',')}` })).json().code, 'validation_failed')
})
