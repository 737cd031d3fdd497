// The first promises end to end: an order placed and never read is
// told to a webhook receiver that was down meanwhile, and the feed lists the
// same events.
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { gateway } from '../helper.js'
import { testClock } from '../fixtures/time.js'
import { RETRY_SCHEDULE_MS } from '../../src/events/delivery.js'
import { receiver } from './receiver.js'

const TRACKING = { WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', TRACKER_MIN_INTERVAL_MS: '1000', TRACKER_MAX_INTERVAL_MS: '4000' }

t.test('a receiver down for a while gets every event of an order never read, and GET /events lists the same', async (t) => {
  const rx = await receiver(t)
  const clock = testClock()
  const gw = await gateway(t, { env: TRACKING, clock })
  const hook = (await gw.request({ method: 'POST', url: '/webhooks', payload: { url: rx.url } })).json()
  rx.answer((res) => { res.writeHead(503).end('down') })

  const placed = (await gw.request({ method: 'POST', url: '/orders', payload: { service: 1, link: 'https://instagram.com/e2e', quantity: 100 } })).json()
  gw.sim.setOrderStatus(placed.panelOrderId, 'In progress')
  clock.advance(1000)
  t.equal((await gw.app.tracker.tick()).orders, 1, 'polled once its first gap is over')
  gw.sim.setOrderStatus(placed.panelOrderId, 'Completed')
  clock.advance(1000)
  t.equal((await gw.app.tracker.tick()).orders, 1, 'polled again after the gap, which a change set back to the minimum')
  clock.advance(60_000)
  t.equal((await gw.app.tracker.tick()).orders, 0, 'a final order is no longer polled')

  // Delivered while the receiver is down: every attempt fails, twice over.
  await gw.app.webhooks.tick()
  clock.advance(RETRY_SCHEDULE_MS[0] ?? 0)
  await gw.app.webhooks.tick()
  const failed = rx.received.length
  t.ok(failed >= 8, `attempts reached the receiver while it was down (${failed})`)

  rx.answer((res) => { res.writeHead(204).end() })
  clock.advance(RETRY_SCHEDULE_MS[1] ?? 0)
  await gw.app.webhooks.tick()
  const delivered = rx.received.slice(failed)
  const types = delivered.map((r) => r.json.type).sort()
  t.same(types, ['order.completed', 'order.created', 'order.status_changed', 'order.status_changed'].sort(), 'every event, once, after the receiver came back')
  // Signed at the app's (advanced) time, past the library's 5-minute tolerance of the real one: checked at its own timestamp.
  const signedAtItsTime = (r: typeof delivered[number]): boolean => {
    const expected = new Webhook(hook.secret).sign(String(r.headers['webhook-id']), new Date(Number(r.headers['webhook-timestamp']) * 1000), r.body)
    return String(r.headers['webhook-signature']).split(' ').includes(expected)
  }
  t.ok(delivered.every(signedAtItsTime), 'each signed with the endpoint secret')
  t.ok(delivered.every((r) => r.headers['webhook-id'] === r.json.id), 'the webhook-id is the event id')

  const feed = (await gw.request({ url: '/events' })).json()
  t.same(feed.items.map((e: { id: string }) => e.id).sort(), delivered.map((r) => r.json.id).sort(), 'GET /events returns the same events')
  t.same(feed.items.map((e: { type: string }) => e.type), ['order.created', 'order.status_changed', 'order.status_changed', 'order.completed'], 'oldest first')
  const changes = feed.items.filter((e: { type: string }) => e.type === 'order.status_changed')
  t.match(changes.map((e: any) => [e.data.previous.status, e.data.order.status]), [['pending', 'in_progress'], ['in_progress', 'completed']])
  t.equal(feed.items.at(-1).data.order.id, placed.id)

  const charge = gw.sim.order(placed.panelOrderId)?.charge
  const me = (await gw.request({ url: '/me' })).json()
  t.equal(me.spend.today, charge?.replace(/\.?0+$/, ''), 'the spend is the panel\'s charge, though nobody read the order')
  t.equal(gw.sim.calls('status') > 0, true)
})
