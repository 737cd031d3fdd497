import t from 'tap'
import { ADMIN_TOKEN, gateway, type Gateway } from '../helper.js'
import { testClock, until } from '../fixtures/time.js'
import { RETRY_SCHEDULE_MS } from '../../src/events/delivery.js'
import { receiver, type Receiver } from './receiver.js'

const ALLOW_LOCAL = { WEBHOOK_ALLOWED_TARGETS: '127.0.0.1' }
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

async function subscribe (gw: Gateway, rx: Receiver, body: Record<string, unknown> = {}): Promise<{ id: number, secret: string }> {
  const res = await gw.request({ method: 'POST', url: '/webhooks', payload: { url: rx.url, ...body } })
  if (res.statusCode !== 201) throw new Error(`POST /webhooks answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

async function orderCreated (gw: Gateway, data: Record<string, unknown> = { order: { id: 1 } }): Promise<string> {
  const [event] = await gw.app.store.recordEvents([{ type: 'order.created', tenantId: gw.tenant.id, data }])
  return event?.id ?? ''
}

t.test('an event is delivered, signed, and its delivery listed', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const created = await gw.request({ method: 'POST', url: '/webhooks', payload: { url: rx.url, events: ['order.*'] } })
  t.equal(created.statusCode, 201)
  const hook = created.json()
  t.equal(created.headers.location, `/webhooks/${hook.id as number}`)
  t.match(hook, { url: rx.url, events: ['order.*'], enabled: true, secret: /^whsec_[A-Za-z0-9+/]{32}$/ })

  const eventId = await orderCreated(gw, { order: { id: 7 } })
  t.equal(await gw.app.webhooks.tick(), 1)
  t.equal(rx.received.length, 1)
  const [got] = rx.received
  if (got === undefined) return
  t.ok(rx.verifies(got, hook.secret), 'the standardwebhooks library verifies it')
  t.equal(got.headers['webhook-id'], eventId)
  t.equal(got.headers['content-type'], 'application/json')
  t.equal(got.headers['user-agent'], 'smm-gateway')
  t.match(got.json, { id: eventId, type: 'order.created', data: { order: { id: 7 } } })
  t.equal(await gw.app.webhooks.tick(), 0, 'nothing left due')

  await gw.app.store.recordEvents([{ type: 'service.added', tenantId: gw.tenant.id, data: {} }])
  t.equal(await gw.app.webhooks.tick(), 0, 'a type outside the filter is not delivered')

  const deliveries = (await gw.request({ url: `/webhooks/${hook.id as number}/deliveries` })).json()
  t.match(deliveries, { items: [{ eventId, eventType: 'order.created', state: 'succeeded', attempts: 1, lastStatus: 200, attemptsLog: [{ attempt: 1, status: 200, excerpt: 'ok' }] }], nextCursor: null })
  t.notOk((await gw.request({ url: '/webhooks' })).body.includes(hook.secret), 'listings carry no secret')
  t.notOk((await gw.request({ url: `/webhooks/${hook.id as number}` })).body.includes(hook.secret))
  t.notOk(gw.logs.join('').includes(hook.secret), 'the secret is never logged')
  t.equal((await gw.request({ method: 'POST', url: '/webhooks', payload: { url: rx.url, events: ['order.nope'] } })).json().code, 'validation_failed')
})

t.test('a failing receiver is retried on the schedule, with the same webhook-id', async (t) => {
  const rx = await receiver(t)
  const clock = testClock()
  const gw = await gateway(t, { env: ALLOW_LOCAL, clock })
  const hook = await subscribe(gw, rx)
  rx.answer((res) => { res.writeHead(500).end('x'.repeat(5000)) })
  const eventId = await orderCreated(gw)
  t.equal(await gw.app.webhooks.tick(), 1)
  t.equal(await gw.app.webhooks.tick(), 0, 'the retry is not due yet')
  clock.advance(RETRY_SCHEDULE_MS[0] ?? 0)
  rx.answer((res) => { res.writeHead(204).end() })
  t.equal(await gw.app.webhooks.tick(), 1)
  t.same(rx.received.map((r) => r.headers['webhook-id']), [eventId, eventId])
  t.ok(rx.received.every((r) => rx.verifies(r, hook.secret)))
  const [delivery] = (await gw.request({ url: `/webhooks/${hook.id}/deliveries` })).json().items
  t.match(delivery, { state: 'succeeded', attempts: 2, lastStatus: 204, lastError: null })
  t.match(delivery.attemptsLog, [{ attempt: 1, status: 500, error: 'HTTP 500' }, { attempt: 2, status: 204 }])
  t.equal(delivery.attemptsLog[0].excerpt.length, 256, 'only an excerpt of the answer is kept')
  t.equal((await gw.request({ url: `/webhooks/${hook.id}` })).json().failingSince, null, 'the success clears failingSince')
})

t.test('a receiver that never answers times out: a failure', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: { ...ALLOW_LOCAL, WEBHOOK_TIMEOUT_MS: '300' } })
  const hook = await subscribe(gw, rx)
  rx.answer(() => {})
  await orderCreated(gw)
  t.equal(await gw.app.webhooks.tick(), 1)
  const [delivery] = (await gw.request({ url: `/webhooks/${hook.id}/deliveries` })).json().items
  t.match(delivery, { state: 'pending', attempts: 1, lastStatus: null, lastError: 'timeout' })
  t.ok((await gw.request({ url: `/webhooks/${hook.id}` })).json().failingSince !== null)
})

t.test('failing too long: failed deliveries, the endpoint disabled (event and log line); re-enabled, a replay delivers them', async (t) => {
  const rx = await receiver(t)
  const clock = testClock()
  const gw = await gateway(t, { env: { ...ALLOW_LOCAL, WEBHOOK_DISABLE_AFTER_MS: String(20 * 3600_000) }, clock })
  const hook = await subscribe(gw, rx)
  rx.answer((res) => { res.writeHead(503).end() })
  const since = new Date(clock.now() - 1000).toISOString()
  const eventId = await orderCreated(gw)
  t.equal(await gw.app.webhooks.tick(), 1)
  for (const wait of RETRY_SCHEDULE_MS) {
    clock.advance(wait)
    t.equal(await gw.app.webhooks.tick(), 1)
  }
  t.equal(rx.received.length, RETRY_SCHEDULE_MS.length + 1)
  const [delivery] = (await gw.request({ url: `/webhooks/${hook.id}/deliveries` })).json().items
  t.match(delivery, { state: 'failed', attempts: 8, nextAttemptAt: null })
  t.match((await gw.request({ url: `/webhooks/${hook.id}` })).json(), { enabled: false, disabledReason: /failing since/ })
  const disabled = await gw.app.store.listEvents(undefined, { limit: 10, types: ['webhook.disabled'] })
  t.match(disabled, [{ tenantId: gw.tenant.id, data: { webhook: { id: hook.id, enabled: false }, reason: /failing since/ } }])
  t.notOk(JSON.stringify(disabled).includes(hook.secret))
  t.equal(gw.logs.filter((l) => l.includes('webhook endpoint disabled') && l.includes(String(hook.id))).length, 1, 'one warn line')

  clock.advance(3600_000)
  t.equal(await gw.app.webhooks.tick(), 0)
  t.match((await gw.request({ method: 'PATCH', url: `/webhooks/${hook.id}`, payload: { enabled: true } })).json(), { enabled: true, disabledReason: null, failingSince: null })
  rx.answer((res) => { res.writeHead(200).end() })
  t.same((await gw.request({ method: 'POST', url: `/webhooks/${hook.id}/replay?since=${encodeURIComponent(since)}` })).json(), { replayed: 1 })
  t.equal(await gw.app.webhooks.tick(), 1)
  t.equal(rx.received.at(-1)?.headers['webhook-id'], eventId)
  t.match((await gw.request({ url: `/webhooks/${hook.id}/deliveries` })).json().items, [{ state: 'succeeded', attempts: 9 }])
  t.notOk(gw.logs.join('').includes(hook.secret))
})

t.test('rotating the secret: during the overlap both secrets verify', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const hook = await subscribe(gw, rx)
  const rotated = await gw.request({ method: 'POST', url: `/webhooks/${hook.id}/rotate-secret` })
  t.equal(rotated.statusCode, 200)
  const { secret, previousSecretExpiresAt } = rotated.json()
  t.not(secret, hook.secret)
  t.ok(Date.parse(previousSecretExpiresAt) > Date.now())
  await orderCreated(gw)
  await gw.app.webhooks.tick()
  const [got] = rx.received
  if (got === undefined) return
  t.equal(String(got.headers['webhook-signature']).split(' ').length, 2)
  t.ok(rx.verifies(got, secret), 'the new secret verifies')
  t.ok(rx.verifies(got, hook.secret), 'the old one too')
  t.notOk(rx.verifies(got, 'whsec_' + Buffer.alloc(24).toString('base64')), 'another does not')
  t.notOk(gw.logs.join('').includes(secret))
})

t.test('receivers that are not public https are refused', async (t) => {
  const gw = await gateway(t)
  for (const url of ['http://127.0.0.1/x', 'http://10.0.0.1/x', 'https://10.0.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x',
    'https://localhost/x', 'https://[::ffff:127.0.0.1]/x', 'https://100.64.0.1/x', 'https://[fd00::1]/x', 'https://0.0.0.0/x', 'https://224.0.0.1/x', 'ftp://example.com/x']) {
    const res = await gw.request({ method: 'POST', url: '/webhooks', payload: { url } })
    t.equal(res.statusCode, 422, url)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.json().code, 'webhook_target_forbidden', url)
  }
  t.match((await gw.request({ method: 'POST', url: '/webhooks', payload: { url: 'https://localhost/x' } })).json().detail, /non-public address \(loopback\)/)
  t.equal((await gw.request({ method: 'POST', url: '/webhooks', payload: { url: 'https://93.184.215.14/x' } })).statusCode, 201, 'a public address is fine')
  const ok = (await gw.request({ method: 'POST', url: '/webhooks', payload: { url: 'https://93.184.215.14/y' } })).json()
  t.equal((await gw.request({ method: 'PATCH', url: `/webhooks/${ok.id as number}`, payload: { url: 'https://192.168.1.1/' } })).json().code, 'webhook_target_forbidden')
})

t.test('a host name resolving to loopback is refused at delivery too', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t)
  // As if it had resolved to a public address when saved (DNS rebinding).
  const endpoint = await gw.app.store.createEndpoint({ tenantId: gw.tenant.id, url: `https://localhost:${rx.port}/hook`, events: null, secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64') })
  await orderCreated(gw)
  t.equal(await gw.app.webhooks.tick(), 1)
  t.equal(rx.connections, 0, 'no connection reached the receiver')
  const page = await gw.app.store.listDeliveries(null, endpoint.id, { limit: 10 })
  t.match(page?.items, [{ state: 'pending', attempts: 1, lastError: /target refused/ }])

  const literal = await gw.app.store.createEndpoint({ tenantId: gw.tenant.id, url: `http://127.0.0.1:${rx.port}/hook`, events: null, secret: 'whsec_' + Buffer.alloc(24, 2).toString('base64') })
  await orderCreated(gw)
  await gw.app.webhooks.tick()
  t.equal(rx.connections, 0)
  t.match((await gw.app.store.listDeliveries(null, literal.id, { limit: 10 }))?.items, [{ lastError: /target refused/ }])
})

t.test('redirects are not followed: a failure', async (t) => {
  const rx = await receiver(t)
  const target = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const hook = await subscribe(gw, rx)
  rx.answer((res) => { res.writeHead(302, { location: target.url }).end() })
  await orderCreated(gw)
  await gw.app.webhooks.tick()
  t.equal(target.received.length, 0, 'the redirect target is never hit')
  t.match((await gw.request({ url: `/webhooks/${hook.id}/deliveries` })).json().items, [{ state: 'pending', lastStatus: 302, lastError: /redirects are not followed/ }])
})

t.test('another tenant can neither see nor change an endpoint, nor receive its events', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const hook = await subscribe(gw, rx)
  const other = await gw.addTenant({ name: 'other' })
  t.same((await other.request({ url: '/webhooks' })).json(), { items: [] })
  for (const [method, url, payload] of [
    ['GET', `/webhooks/${hook.id}`], ['PATCH', `/webhooks/${hook.id}`, { enabled: false }], ['DELETE', `/webhooks/${hook.id}`],
    ['POST', `/webhooks/${hook.id}/rotate-secret`], ['GET', `/webhooks/${hook.id}/deliveries`], ['POST', `/webhooks/${hook.id}/replay?since=2020-01-01T00:00:00Z`]
  ] as const) {
    const res = await other.request({ method, url, ...(payload === undefined ? {} : { payload }) })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.equal(res.json().code, 'not_found')
  }
  await gw.app.store.recordEvents([{ type: 'order.created', tenantId: other.tenant.id, data: {} }])
  t.equal(await gw.app.webhooks.tick(), 0, 'the other tenant\'s event is not delivered here')
  t.match((await gw.request({ url: `/webhooks/${hook.id}` })).json(), { enabled: true })
  t.equal((await gw.request({ method: 'DELETE', url: `/webhooks/${hook.id}` })).statusCode, 204)
  t.equal((await gw.request({ url: `/webhooks/${hook.id}` })).statusCode, 404)
})

t.test('an operator endpoint receives every tenant\'s events', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const created = await gw.app.inject({ method: 'POST', url: '/admin/webhooks', headers: admin, payload: { url: rx.url } })
  t.equal(created.statusCode, 201)
  const hook = created.json()
  t.equal(created.headers.location, `/admin/webhooks/${hook.id as number}`)
  const other = await gw.addTenant({ name: 'other' })
  await gw.app.store.recordEvents([{ type: 'order.created', tenantId: other.tenant.id, data: {} }, { type: 'order.created', tenantId: gw.tenant.id, data: {} }])
  t.equal(await gw.app.webhooks.tick(), 2)
  t.ok(rx.received.every((r) => rx.verifies(r, hook.secret)))
  t.equal((await gw.request({ url: `/webhooks/${hook.id as number}` })).statusCode, 404, 'a tenant does not see it')
  t.equal((await gw.app.inject({ url: '/admin/webhooks', headers: admin })).json().items.length, 1)
  t.equal((await gw.request({ url: '/admin/webhooks' })).statusCode, 401)
})

t.test('an endpoint deleted while an attempt is in flight: the pass goes on', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const hook = await subscribe(gw, rx)
  rx.answer((res) => {
    gw.request({ method: 'DELETE', url: `/webhooks/${hook.id}` }).then(() => res.writeHead(200).end(), () => res.writeHead(500).end())
  })
  await orderCreated(gw)
  t.equal(await gw.app.webhooks.tick(), 1)
  t.equal((await gw.request({ url: `/webhooks/${hook.id}` })).statusCode, 404)
  t.equal(await gw.app.webhooks.tick(), 0)
})

t.test('in the background (TRACKER_TICK_MS > 0) due deliveries go out on their own', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: { ...ALLOW_LOCAL, TRACKER_TICK_MS: '50' } })
  await subscribe(gw, rx)
  const eventId = await orderCreated(gw)
  await until(() => rx.received.length === 1, 'the delivery')
  t.equal(rx.received[0]?.headers['webhook-id'], eventId)
})

t.test('deliveries are paged newest first', async (t) => {
  const rx = await receiver(t)
  const gw = await gateway(t, { env: ALLOW_LOCAL })
  const hook = await subscribe(gw, rx)
  const ids = [await orderCreated(gw), await orderCreated(gw), await orderCreated(gw)]
  const first = (await gw.request({ url: `/webhooks/${hook.id}/deliveries?limit=2` })).json()
  t.same(first.items.map((d: { eventId: string }) => d.eventId), [ids[2], ids[1]])
  t.match(first.items[0], { state: 'pending', attempts: 0, attemptsLog: [] })
  const second = (await gw.request({ url: `/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.nextCursor as string}` })).json()
  t.same(second.items.map((d: { eventId: string }) => d.eventId), [ids[0]])
  t.equal(second.nextCursor, null)
  t.equal((await gw.request({ url: `/webhooks/${hook.id}/deliveries?cursor=bogus` })).json().code, 'invalid_cursor')
})
