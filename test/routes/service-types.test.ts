import t from 'tap'
import type { SimService } from '../../simulator/catalog.js'
import { gateway } from '../helper.js'

// A catalog written the way several panels write it: the simulator sends each
// entry as it is, so types come in the panel's spelling and a flag the panel
// does not state goes out as null.
function entry (service: number, type: string, refill: boolean | null, cancel: boolean | null): SimService {
  return { service, name: `Service ${service}`, type, category: 'Mixed', rate: '1.00', min: 10, max: 1000, refill, cancel } as unknown as SimService
}

const CATALOG = [
  entry(1, 'custom_comments', null, true),
  entry(2, 'Custom Comments', true, null),
  entry(3, 'subscription', false, false),
  entry(4, 'Default', true, true),
  entry(5, 'Story Views', null, null),
  entry(6, 'CUSTOM-COMMENTS-PACKAGE', false, true)
]

interface Item { id: number, type: string, panelType: string, refill: boolean | null, cancel: boolean | null, dripfeed: boolean | null }

t.test('GET /services answers canonical types with the panel\'s spelling, and null for flags the panel does not state', async (t) => {
  const { request } = await gateway(t, { sim: { services: CATALOG } })
  const items = (await request({ url: '/services' })).json().items as Item[]
  t.same(items.map((s) => [s.id, s.type, s.panelType, s.refill, s.cancel, s.dripfeed]), [
    [1, 'Custom Comments', 'custom_comments', null, true, null],
    [2, 'Custom Comments', 'Custom Comments', true, null, null],
    [3, 'Subscriptions', 'subscription', false, false, null],
    [4, 'Default', 'Default', true, true, null],
    [5, 'Story Views', 'Story Views', null, null, null],
    [6, 'Custom Comments Package', 'CUSTOM-COMMENTS-PACKAGE', false, true, null]
  ])
  const one = await request({ url: '/services/1' })
  t.match(one.json(), { type: 'Custom Comments', panelType: 'custom_comments', refill: null, dripfeed: null })
})

t.test('GET /services?type= matches the canonical type and the panel\'s spelling, folded', async (t) => {
  const { request } = await gateway(t, { sim: { services: CATALOG } })
  const ids = async (type: string): Promise<number[]> => {
    const res = await request({ url: `/services?type=${encodeURIComponent(type)}` })
    t.equal(res.statusCode, 200, type)
    const body = res.json()
    t.equal(body.total, body.items.length)
    return (body.items as Item[]).map((s) => s.id)
  }
  for (const type of ['custom_comments', 'Custom Comments', 'custom comments', 'CUSTOM-COMMENTS', 'customcomments', ' Custom_Comments ']) {
    t.same(await ids(type), [1, 2], type)
  }
  for (const type of ['Subscriptions', 'subscriptions', 'subscription']) t.same(await ids(type), [3], type)
  for (const type of ['Custom Comments Package', 'custom_comments_package', 'CUSTOM-COMMENTS-PACKAGE']) t.same(await ids(type), [6], type)
  for (const type of ['Story Views', 'story_views', 'STORY-VIEWS']) t.same(await ids(type), [5], `an unknown type by its letters: ${type}`)
  t.same(await ids('default'), [4])
  t.same(await ids('package'), [], 'no package in this catalog')
  t.same(await ids('custom'), [], 'a whole type, not a prefix')
})

t.test('GET /services: spellings of one type share one answer and one ETag', async (t) => {
  const { request } = await gateway(t, { sim: { services: CATALOG } })
  const a = await request({ url: '/services?type=custom_comments' })
  const b = await request({ url: '/services?type=Custom%20Comments' })
  t.equal(a.body, b.body)
  t.equal(a.headers.etag, b.headers.etag)
  const notModified = await request({ url: '/services?type=CUSTOM-COMMENTS', headers: { 'if-none-match': a.headers.etag as string } })
  t.equal(notModified.statusCode, 304)
})

t.test('GET /services?refill=&cancel= match only services that state that value; null matches neither', async (t) => {
  const { request } = await gateway(t, { sim: { services: CATALOG } })
  const ids = async (query: string): Promise<number[]> =>
    ((await request({ url: `/services?${query}` })).json().items as Item[]).map((s) => s.id)
  t.same(await ids('refill=true'), [2, 4])
  t.same(await ids('refill=false'), [3, 6])
  t.same(await ids('cancel=true'), [1, 4, 6])
  t.same(await ids('cancel=false'), [3])
  t.same(await ids('refill=true&cancel=true'), [4])
  t.same(await ids('type=custom_comments&refill=true'), [2])
  t.same(await ids('type=custom_comments&cancel=false'), [], 'a null cancel is not false')
})
