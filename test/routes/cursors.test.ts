import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { ADMIN_TOKEN, gateway, type Gateway } from '../helper.js'

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

interface Page { items: Array<{ id: number }>, nextCursor: string | null }

async function defaultService (gw: Gateway): Promise<{ id: number, min: number }> {
  return (await gw.request({ url: '/services?type=Default' })).json().items[0]
}

let link = 0
async function place (request: Gateway['request'], service: { id: number, min: number }): Promise<number> {
  const placed = await request({ method: 'POST', url: '/orders', payload: { service: service.id, link: `https://a.b/${++link}`, quantity: service.min } })
  if (placed.statusCode !== 201) throw new Error(`order refused: ${placed.body}`)
  return placed.json().id
}

/** Every page of a listing from its first, following nextCursor to the end. */
async function allPages (request: Gateway['request'], url: string): Promise<Page[]> {
  const pages: Page[] = []
  let cursor: string | null = null
  do {
    const res: LightMyRequestResponse = await request({ url: cursor === null ? url : `${url}&cursor=${encodeURIComponent(cursor)}` })
    if (res.statusCode !== 200) throw new Error(`page refused: ${res.body}`)
    const page = res.json() as Page
    pages.push(page)
    cursor = page.nextCursor
  } while (cursor !== null && pages.length < 100)
  return pages
}

const decoded = (cursor: string): string => Buffer.from(cursor, 'base64url').toString('utf8')
const reencoded = (cursor: string, edit: (text: string) => string): string => Buffer.from(edit(decoded(cursor))).toString('base64url')

function isInvalidCursor (t: Test, res: LightMyRequestResponse, message: string): void {
  t.equal(res.statusCode, 400, message)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', message)
  t.match(res.json(), { status: 400, code: 'invalid_cursor', type: /invalid-cursor$/, detail: /first page/ }, message)
}

t.test('GET /orders pages through exactly the tenant\'s own orders among another tenant\'s, newest first, none twice, none missed', async (t) => {
  const gw = await gateway(t)
  const bob = await gw.addTenant({ name: 'bob' })
  const service = await defaultService(gw)
  const hers: number[] = []
  const his: number[] = []
  for (let i = 0; i < 7; i++) {
    hers.push(await place(gw.request, service))
    for (let j = 0; j < i % 3; j++) his.push(await place(bob.request, service))
  }

  const pages = await allPages(gw.request, '/orders?limit=2')
  t.same(pages.map((p) => p.items.length), [2, 2, 2, 1], 'four pages, the last one short')
  t.same(pages.flatMap((p) => p.items.map((o) => o.id)), [...hers].reverse(), 'hers, newest first, each once')
  t.equal(pages.at(-1)?.nextCursor, null, 'the last page ends the listing')

  const hisPages = await allPages(bob.request, '/orders?limit=3')
  t.same(hisPages.flatMap((p) => p.items.map((o) => o.id)), [...his].reverse(), 'and his, in his own pages')
})

t.test('GET /orders: the last page\'s nextCursor is null even when it is full', async (t) => {
  const gw = await gateway(t)
  const service = await defaultService(gw)
  const ids = [await place(gw.request, service), await place(gw.request, service), await place(gw.request, service), await place(gw.request, service)]
  const pages = await allPages(gw.request, '/orders?limit=2')
  t.same(pages.map((p) => p.items.map((o) => o.id)), [[ids[3], ids[2]], [ids[1], ids[0]]], 'two full pages, no empty third one')
  t.equal(pages[1]?.nextCursor, null)
})

t.test('GET /orders: a cursor names only the page\'s last order, which the tenant has seen, and says nothing of other tenants\' volume', async (t) => {
  const gw = await gateway(t)
  const bob = await gw.addTenant({ name: 'bob' })
  const service = await defaultService(gw)
  const hers = [await place(gw.request, service)]
  for (let i = 0; i < 25; i++) await place(bob.request, service)
  hers.push(await place(gw.request, service), await place(gw.request, service))

  const first = (await gw.request({ url: '/orders?limit=2' })).json() as Page
  const cursor = first.nextCursor as string
  t.match(cursor, /^[A-Za-z0-9_-]+$/, 'base64url')
  const numbers = decoded(cursor).match(/\d+/g)?.map(Number).filter((n) => n > 9) ?? []
  t.same(numbers, [hers[1]], 'the one number in it beyond the version is the public id of the last order on the page: no row id, no counter')

  for (let i = 0; i < 10; i++) await place(bob.request, service)
  t.equal(((await gw.request({ url: '/orders?limit=2' })).json() as Page).nextCursor, cursor, 'his later orders leave her cursor as it was')
  t.same(((await gw.request({ url: `/orders?limit=2&cursor=${cursor}` })).json() as Page).items.map((o) => o.id), [hers[0]])
})

t.test('GET /orders refuses another tenant\'s cursor, a forged, altered, truncated or malformed one, and one from another filter, with invalid_cursor', async (t) => {
  const gw = await gateway(t)
  const bob = await gw.addTenant({ name: 'bob' })
  const service = await defaultService(gw)
  const hers = [await place(gw.request, service), await place(gw.request, service)]
  const his = [await place(bob.request, service), await place(bob.request, service)]
  const cursor = ((await gw.request({ url: '/orders?limit=1' })).json() as Page).nextCursor as string
  t.ok(((await gw.request({ url: `/orders?limit=1&cursor=${cursor}` })).json() as Page).items.length === 1, 'hers works for her')

  isInvalidCursor(t, await bob.request({ url: `/orders?limit=1&cursor=${cursor}` }), 'her cursor in his hands')
  const forged = reencoded(cursor, (text) => text.replace(String(hers[1]), String(his[1])))
  t.not(forged, cursor)
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${forged}` }), 'hers rewritten to name his order')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${reencoded(cursor, (text) => text.replace(String(hers[1]), '281474976710655'))}` }), 'naming an order no one has')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${reencoded(cursor, (text) => text.replace(/^c1/, 'c9'))}` }), 'another version')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${reencoded(cursor, (text) => `${text}|1`)}` }), 'an extra field')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${reencoded(cursor, (text) => text.replace(String(hers[1]), '0'))}` }), 'id 0')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${cursor.slice(0, -3)}` }), 'truncated')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${cursor}A` }), 'a character added')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${String(hers[1])}` }), 'a bare id, as cursors were')
  isInvalidCursor(t, await gw.request({ url: '/orders?limit=1&cursor=%21%21%21' }), 'not base64url')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&cursor=${Buffer.from('hello').toString('base64url')}` }), 'base64url of something else')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&status=pending&cursor=${cursor}` }), 'a cursor of the unfiltered listing with a status filter')
  const pendingCursor = ((await gw.request({ url: '/orders?limit=1&status=pending' })).json() as Page).nextCursor as string
  t.not(pendingCursor, cursor, 'the filter is part of the cursor')
  t.equal(((await gw.request({ url: `/orders?limit=1&status=pending&cursor=${pendingCursor}` })).statusCode), 200)
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=1&status=completed&cursor=${pendingCursor}` }), 'one status filter\'s cursor with another')
  isInvalidCursor(t, await gw.app.inject({ url: `/admin/orders?state=placed&cursor=${cursor}`, headers: admin }), 'a tenant\'s cursor on the operator\'s listing')
})

t.test('GET /admin/orders pages across tenants with the same cursors, newest first, and refuses a bad one', async (t) => {
  const gw = await gateway(t)
  const bob = await gw.addTenant({ name: 'bob' })
  const service = await defaultService(gw)
  const placed: number[] = []
  for (let i = 0; i < 5; i++) placed.push(await place(i % 2 === 0 ? gw.request : bob.request, service))
  const request: Gateway['request'] = async (opts) => await gw.app.inject({ ...opts, headers: admin })

  const pages = await allPages(request, '/admin/orders?state=placed&limit=2')
  t.same(pages.flatMap((p) => p.items.map((o) => o.id)), [...placed].reverse(), 'every placed order, newest first, each once')
  t.same(pages.map((p) => p.items.length), [2, 2, 1])
  const cursor = pages[0]?.nextCursor as string
  t.same(decoded(cursor).match(/\d+/g)?.map(Number).filter((n) => n > 9), [placed[3]], 'the last order\'s public id, no row id')

  isInvalidCursor(t, await request({ url: `/admin/orders?state=unknown&cursor=${cursor}` }), 'a cursor of another state')
  isInvalidCursor(t, await request({ url: '/admin/orders?state=placed&cursor=12345' }), 'a row id')
  isInvalidCursor(t, await request({ url: `/admin/orders?state=placed&cursor=${reencoded(cursor, (text) => text.replace(String(placed[3]), '281474976710655'))}` }), 'an order no one has')
  isInvalidCursor(t, await gw.request({ url: `/orders?limit=2&cursor=${cursor}` }), 'the operator\'s cursor on a tenant\'s listing')
})

t.test('GET /admin/orders: a cursor still pages after the operator resolved the order it names', async (t) => {
  const gw = await gateway(t)
  const service = await defaultService(gw)
  const unknown: number[] = []
  for (let i = 0; i < 3; i++) {
    gw.sim.setFault('reset-after', { times: 1, actions: ['add'] })
    const lost = await gw.request({ method: 'POST', url: '/orders', payload: { service: service.id, link: `https://a.b/lost-${i}`, quantity: service.min } })
    t.equal(lost.json().code, 'upstream_outcome_unknown')
    unknown.push(lost.json().orderId)
  }
  const first = (await gw.app.inject({ url: '/admin/orders?limit=1', headers: admin })).json() as Page
  t.same(first.items.map((o) => o.id), [unknown[2]])
  const resolved = await gw.app.inject({ method: 'POST', url: `/admin/orders/${unknown[2] as number}/resolve`, headers: admin, payload: { outcome: 'not_placed' } })
  t.equal(resolved.statusCode, 200)
  const next = (await gw.app.inject({ url: `/admin/orders?limit=1&cursor=${first.nextCursor as string}`, headers: admin })).json() as Page
  t.same(next.items.map((o) => o.id), [unknown[1]], 'the page after it, though it is no longer listed')
})
