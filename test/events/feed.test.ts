import t from 'tap'
import { ADMIN_TOKEN, gateway } from '../helper.js'

const order = (tenantId: number, n: number, type = 'order.created') => ({ type, tenantId, data: { n } })

t.test('GET /events: own events only, oldest first, paged, filtered, tailed', async (t) => {
  const gw = await gateway(t)
  const other = await gw.addTenant({ name: 'other' })
  await gw.app.store.recordEvents([order(gw.tenant.id, 1), order(other.tenant.id, 100), order(gw.tenant.id, 2, 'order.completed'), order(gw.tenant.id, 3)])

  const all = await gw.request({ url: '/events' })
  t.equal(all.statusCode, 200)
  t.same(all.json().items.map((e: any) => e.data.n), [1, 2, 3])
  t.match(all.json().items[0], { id: /^evt_/, type: 'order.created', createdAt: String })
  const theirs = await other.request({ url: '/events' })
  t.same(theirs.json().items.map((e: any) => e.data.n), [100])

  const first = (await gw.request({ url: '/events?limit=2' })).json()
  t.same(first.items.map((e: any) => e.data.n), [1, 2])
  const second = (await gw.request({ url: `/events?limit=2&after=${first.nextCursor as string}` })).json()
  t.same(second.items.map((e: any) => e.data.n), [3])
  t.type(second.nextCursor, 'string', 'the last page still gives a cursor to tail')

  const empty = (await gw.request({ url: `/events?after=${second.nextCursor as string}` })).json()
  t.same(empty, { items: [], nextCursor: second.nextCursor }, 'an empty page echoes the cursor')
  await gw.app.store.recordEvents([order(gw.tenant.id, 4)])
  const later = (await gw.request({ url: `/events?after=${second.nextCursor as string}` })).json()
  t.same(later.items.map((e: any) => e.data.n), [4], 'a new event appears after the same cursor')

  const none = (await (await gw.addTenant({ name: 'third' })).request({ url: '/events' })).json()
  t.same(none, { items: [], nextCursor: null })

  const completed = (await gw.request({ url: '/events?types=order.completed' })).json()
  t.same(completed.items.map((e: any) => e.data.n), [2])
  const filtered = await gw.request({ url: `/events?types=order.completed&after=${first.nextCursor as string}` })
  t.equal(filtered.statusCode, 400)
  t.equal(filtered.json().code, 'invalid_cursor', 'a cursor pages only its own filter')

  const bad = await gw.request({ url: '/events?types=order.created,order.nope' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'validation_failed')
  t.match(bad.json().detail, /order\.nope/)

  for (const cursor of ['garbage!', 'ZTF8ZXZlbnRzfHxldnRfbm9uZQ', Buffer.from(`e1|events||${all.json().items[0].id as string}x`).toString('base64url')]) {
    const res = await gw.request({ url: `/events?after=${cursor}` })
    t.equal(res.statusCode, 400, cursor)
    t.equal(res.json().code, 'invalid_cursor')
  }
  const foreign = (await other.request({ url: '/events' })).json().nextCursor as string
  const stolen = await gw.request({ url: `/events?after=${foreign}` })
  t.equal(stolen.json().code, 'invalid_cursor', "another tenant's event is no cursor")

  const admin = await gw.app.inject({ url: '/admin/events', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  t.equal(admin.statusCode, 200)
  t.same(admin.json().items.map((e: any) => e.data.n), [1, 100, 2, 3, 4])
})

t.test('panel events: only with the scope and the allowed services', async (t) => {
  const gw = await gateway(t)
  const narrow = await gw.addTenant({ name: 'narrow', allowedServices: { ids: [1], categories: [] } })
  const noScope = await gw.addTenant({ name: 'no-scope', scopes: ['orders:read'] })
  await gw.app.store.recordEvents([
    { type: 'service.changed', tenantId: null, audience: { scope: 'services:read', service: { id: 1, category: 'Instagram' } }, data: { n: 1 } },
    { type: 'service.changed', tenantId: null, audience: { scope: 'services:read', service: { id: 2, category: 'TikTok' } }, data: { n: 2 } },
    { type: 'balance.low', tenantId: null, audience: { scope: 'balance:read' }, data: { n: 3 } }
  ])
  const ns = async (g: { request: typeof gw.request }) => (await g.request({ url: '/events' })).json().items.map((e: any) => e.data.n)
  t.same(await ns(gw), [1, 2, 3])
  t.same(await ns(narrow), [1, 3])
  t.same(await ns(noScope), [])
})
