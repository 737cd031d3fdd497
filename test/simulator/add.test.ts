import t from 'tap'
import { defaultCatalog, type ServiceType, type SimService } from '../../simulator/index.js'
import { panel, simulator } from './helper.js'

const catalog = defaultCatalog()
const LINK = 'https://instagram.com/p/Cx1'

function ofType (type: ServiceType): SimService {
  const found = catalog.find((s) => s.type === type)
  if (found === undefined) throw new Error(`no ${type} service`)
  return found
}

const lines = (n: number, word = 'line'): string => Array.from({ length: n }, (_, i) => `${word} ${i + 1}`).join('\n')

// A valid add for each order type (with the default catalog's minimums), the
// quantity the panel counts, and what removing each required field answers.
const ORDERS: Array<{ type: ServiceType, fields: Record<string, string | number>, quantity: number, missing: Record<string, string> }> = [
  { type: 'Default', fields: { link: LINK, quantity: 100 }, quantity: 100, missing: { link: 'Bad link', quantity: 'Quantity less than minimal 50' } },
  { type: 'Package', fields: { link: LINK }, quantity: 1, missing: { link: 'Bad link' } },
  { type: 'SEO', fields: { link: LINK, quantity: 1000, keywords: 'buy followers\nsmm panel' }, quantity: 1000, missing: { link: 'Bad link', quantity: 'Quantity less than minimal 1000', keywords: 'Incorrect request' } },
  { type: 'Custom Comments', fields: { link: LINK, comments: lines(10, 'nice') }, quantity: 10, missing: { link: 'Bad link', comments: 'Incorrect request' } },
  { type: 'Custom Comments Package', fields: { link: LINK, comments: lines(5, 'wow') }, quantity: 1, missing: { link: 'Bad link', comments: 'Incorrect request' } },
  { type: 'Mentions', fields: { link: LINK, quantity: 100, usernames: 'alice\nbob' }, quantity: 100, missing: { link: 'Bad link', quantity: 'Quantity less than minimal 100', usernames: 'Incorrect request' } },
  { type: 'Mentions with Hashtags', fields: { link: LINK, quantity: 100, usernames: 'alice\nbob', hashtags: '#fit\n#gym' }, quantity: 100, missing: { link: 'Bad link', usernames: 'Incorrect request', hashtags: 'Incorrect request' } },
  { type: 'Mentions Custom List', fields: { link: LINK, usernames: lines(10, 'user') }, quantity: 10, missing: { link: 'Bad link', usernames: 'Incorrect request' } },
  { type: 'Mentions Hashtag', fields: { link: LINK, quantity: 500, hashtag: '#fitness' }, quantity: 500, missing: { link: 'Bad link', quantity: 'Quantity less than minimal 500', hashtag: 'Incorrect request' } },
  { type: 'Mentions User Followers', fields: { link: LINK, quantity: 1000, username: 'natgeo' }, quantity: 1000, missing: { link: 'Bad link', username: 'Incorrect request' } },
  { type: 'Mentions Media Likers', fields: { link: LINK, quantity: 500, media: 'https://instagram.com/p/Media1' }, quantity: 500, missing: { link: 'Bad link', media: 'Incorrect request' } },
  { type: 'Comment Likes', fields: { link: LINK, quantity: 20, username: 'commenter' }, quantity: 20, missing: { link: 'Bad link', quantity: 'Quantity less than minimal 20', username: 'Incorrect request' } },
  { type: 'Comment Replies', fields: { link: LINK, username: 'owner', comments: lines(5, 'reply') }, quantity: 5, missing: { link: 'Bad link', username: 'Incorrect request', comments: 'Incorrect request' } },
  { type: 'Poll', fields: { link: LINK, quantity: 100, answer_number: 2 }, quantity: 100, missing: { link: 'Bad link', answer_number: 'Incorrect request' } },
  { type: 'Invites from Groups', fields: { link: LINK, quantity: 100, groups: 'https://facebook.com/groups/a\nhttps://facebook.com/groups/b' }, quantity: 100, missing: { link: 'Bad link', groups: 'Incorrect request' } },
  { type: 'Web Traffic', fields: { link: LINK, quantity: 1000, country: 'US', device: 5, type_of_traffic: 1, google_keyword: 'smm panel' }, quantity: 1000, missing: { link: 'Bad link', country: 'Incorrect request', device: 'Incorrect request', type_of_traffic: 'Incorrect request', google_keyword: 'Incorrect request' } },
  { type: 'Subscriptions', fields: { username: 'natgeo', min: 50, max: 100, delay: 0, posts: 10 }, quantity: 100, missing: { username: 'Incorrect request', delay: 'Incorrect request', min: 'Quantity less than minimal 50', max: 'Quantity less than minimal 50' } }
]

t.test('add places an order of every type with its fields, ids from 23501 up', async (t) => {
  const sim = await simulator(t, { balance: '100000' })
  let expected = 23501
  for (const { type, fields, quantity } of ORDERS) {
    const service = ofType(type)
    const answer = await panel(sim, { action: 'add', service: service.service, ...fields })
    t.same(answer, { order: expected }, `${type}: order id`)
    const order = sim.order(expected)
    t.equal(order?.type, type)
    t.equal(order?.service, service.service)
    t.equal(order?.quantity, quantity, `${type}: quantity`)
    t.equal(order?.status, 'Pending')
    t.same(order?.fields, Object.fromEntries(Object.entries({ service: service.service, ...fields }).map(([k, v]) => [k, String(v)])), `${type}: fields kept, no key or action`)
    expected++
  }
})

t.test('add refuses each missing type field with the panel\'s error', async (t) => {
  const sim = await simulator(t, { balance: '100000' })
  for (const { type, fields, missing } of ORDERS) {
    for (const [name, error] of Object.entries(missing)) {
      const { [name]: _dropped, ...rest } = fields
      t.same(await panel(sim, { action: 'add', service: ofType(type).service, ...rest }), { error }, `${type} without ${name}`)
    }
  }
  t.equal(sim.order(23501), undefined, 'no order was placed')
})

t.test('add checks quantity against min and max', async (t) => {
  const sim = await simulator(t, { balance: '100000' })
  const service = ofType('Default') // 50..10000
  const add = async (quantity: string | number) => await panel(sim, { action: 'add', service: service.service, link: LINK, quantity })
  t.same(await add(49), { error: 'Quantity less than minimal 50' })
  t.same(await add(10001), { error: 'Quantity more than maximum 10000' })
  t.same(await add('abc'), { error: 'Quantity less than minimal 50' }, 'not a number counts as 0')
  t.same(await add('-100'), { error: 'Quantity less than minimal 50' })
  t.same(await add('60.5'), { error: 'Quantity less than minimal 50' })
  t.same(await add(50), { order: 23501 })
  t.same(await add(10000), { order: 23502 })

  for (const type of ['SEO', 'Mentions', 'Mentions Hashtag', 'Comment Likes', 'Poll', 'Web Traffic'] as const) {
    const entry = ORDERS.find((o) => o.type === type)
    const s = ofType(type)
    t.same(await panel(sim, { action: 'add', service: s.service, ...entry?.fields, quantity: s.min - 1 }), { error: `Quantity less than minimal ${s.min}` }, `${type} below min`)
    t.same(await panel(sim, { action: 'add', service: s.service, ...entry?.fields, quantity: s.max + 1 }), { error: `Quantity more than maximum ${s.max}` }, `${type} above max`)
  }
})

t.test('add counts the non-empty lines of comments and usernames as the quantity', async (t) => {
  const sim = await simulator(t, { balance: '100000' })
  const comments = ofType('Custom Comments') // 10..1500
  t.same(await panel(sim, { action: 'add', service: comments.service, link: LINK, comments: lines(9) }), { error: 'Quantity less than minimal 10' })
  const spaced = `${lines(5)}\n\n   \r\n${lines(5, 'more')}\r\n`
  const { order } = await panel(sim, { action: 'add', service: comments.service, link: LINK, comments: spaced, quantity: 999 })
  t.equal(sim.order(order)?.quantity, 10, 'blank lines do not count; a quantity field is ignored')
  t.same(await panel(sim, { action: 'add', service: comments.service, link: LINK, comments: lines(1501) }), { error: 'Quantity more than maximum 1500' })
  const list = ofType('Mentions Custom List') // 10..10000
  t.same(await panel(sim, { action: 'add', service: list.service, link: LINK, usernames: 'a\nb' }), { error: 'Quantity less than minimal 10' })
})

t.test('add refuses unknown services and bad links', async (t) => {
  const sim = await simulator(t)
  for (const service of ['999', 'abc', '', '1.5']) {
    t.same(await panel(sim, { action: 'add', service, link: LINK, quantity: 100 }), { error: 'Incorrect service ID' }, `service "${service}"`)
  }
  t.same(await panel(sim, { action: 'add', link: LINK, quantity: 100 }), { error: 'Incorrect service ID' }, 'no service')
  for (const link of ['', 'not a link', 'nolink', 'ftp://example.com/a', 'https://localhost:abc', 'javascript:alert(1)', 'https://exa mple.com/']) {
    t.same(await panel(sim, { action: 'add', service: 1, link, quantity: 100 }), { error: 'Bad link' }, `link "${link}"`)
  }
  for (const link of ['https://a.b/c', 'http://instagram.com/user', 'instagram.com/user', '  https://x.com/a  ']) {
    t.match(await panel(sim, { action: 'add', service: 1, link, quantity: 100 }), { order: Number }, `link "${link}"`)
  }
  t.equal(sim.order(23504)?.link, 'https://x.com/a', 'the link is trimmed')
  const media = ORDERS.find((o) => o.type === 'Mentions Media Likers')
  t.same(await panel(sim, { action: 'add', service: ofType('Mentions Media Likers').service, ...media?.fields, media: 'a picture' }), { error: 'Bad link' })
})

t.test('add checks the extra fields of Poll, Web Traffic and Subscriptions', async (t) => {
  const sim = await simulator(t, { balance: '100000' })
  const entry = (type: ServiceType): Record<string, string | number> => ({ action: 'add', service: ofType(type).service, ...ORDERS.find((o) => o.type === type)?.fields })
  t.same(await panel(sim, { ...entry('Poll'), answer_number: 0 }), { error: 'Incorrect request' })
  t.same(await panel(sim, { ...entry('Web Traffic'), device: 6 }), { error: 'Incorrect request' }, 'device 1..5')
  t.same(await panel(sim, { ...entry('Web Traffic'), type_of_traffic: 4 }), { error: 'Incorrect request' }, 'type_of_traffic 1..3')
  t.same(await panel(sim, { ...entry('Web Traffic'), type_of_traffic: 2 }), { error: 'Incorrect request' }, 'referrer traffic needs referring_url')
  t.match(await panel(sim, { ...entry('Web Traffic'), type_of_traffic: 2, referring_url: 'https://news.example.com/' }), { order: Number })
  t.match(await panel(sim, { ...entry('Web Traffic'), type_of_traffic: 3, google_keyword: '' }), { order: Number }, 'blank traffic needs no keyword')

  t.same(await panel(sim, { ...entry('Subscriptions'), delay: 7 }), { error: 'Incorrect request' }, 'delay from the listed set')
  t.same(await panel(sim, { ...entry('Subscriptions'), min: 10 }), { error: 'Quantity less than minimal 50' })
  t.same(await panel(sim, { ...entry('Subscriptions'), max: 6000 }), { error: 'Quantity more than maximum 5000' })
  t.same(await panel(sim, { ...entry('Subscriptions'), min: 200, max: 100 }), { error: 'Incorrect request' }, 'min above max')
  t.same(await panel(sim, { ...entry('Subscriptions'), posts: 'many' }), { error: 'Incorrect request' })
  t.same(await panel(sim, { ...entry('Subscriptions'), expiry: '31/02/2030' }), { error: 'Incorrect request' }, 'expiry is a real d/m/Y date')
  const { order } = await panel(sim, { ...entry('Subscriptions'), delay: 600, expiry: '28/02/2030' })
  t.equal(sim.order(order)?.link, undefined, 'subscriptions have no link')
})

t.test('add charges rate × quantity / 1000 in exact decimals, rounded to 5 places', async (t) => {
  const sim = await simulator(t, { balance: '10.50' })
  const add = async (service: number, fields: Record<string, string | number>): Promise<number> => (await panel(sim, { action: 'add', service, ...fields })).order
  const a = await add(1, { link: LINK, quantity: 309 }) // 0.90 × 309 / 1000
  t.equal(sim.order(a)?.charge, '0.27810')
  t.same(await panel(sim, { action: 'status', order: a }), { charge: '0.27810', start_count: '0', status: 'Pending', remains: '309', currency: 'USD' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '10.22190', currency: 'USD' })
  const b = await add(6, { link: LINK, quantity: 101 }) // 0.018 × 101 / 1000 = 0.001818
  t.equal(sim.order(b)?.charge, '0.00182', 'half-up at the 5th decimal')
  const c = await add(6, { link: LINK, quantity: 12345 }) // 0.22221
  t.equal(sim.order(c)?.charge, '0.22221')
  const pkg = await add(ofType('Package').service, { link: LINK, quantity: 500 })
  t.equal(sim.order(pkg)?.charge, '9.99000', 'a package costs its rate, whatever the quantity')
  t.same(await panel(sim, { action: 'balance' }), { balance: '0.00787', currency: 'USD' }, '10.50 − 0.27810 − 0.00182 − 0.22221 − 9.99')
  const comments = await add(ofType('Custom Comments Package').service, { link: LINK, comments: 'x' })
  t.same(comments, undefined, 'the comments package (1.50) is over the balance')
})

t.test('add refuses an order over the balance and leaves the balance as it was', async (t) => {
  const sim = await simulator(t, { balance: '0.27809' })
  t.same(await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 309 }), { error: 'Not enough funds on balance' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '0.27809', currency: 'USD' })
  sim.setBalance('0.27810')
  t.same(await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 309 }), { order: 23501 }, 'exactly the balance is enough; the refused order took no id')
  t.same(await panel(sim, { action: 'balance' }), { balance: '0.00000', currency: 'USD' })
})

t.test('drip-feed: quantity per run, runs × quantity in total, charged on the total', async (t) => {
  const sim = await simulator(t)
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100, runs: 3, interval: 10 })
  t.match(sim.order(order), { quantity: 300, runs: 3, interval: 10, charge: '0.27000' })
  t.same(await panel(sim, { action: 'status', order }), { charge: '0.27000', start_count: '0', status: 'Pending', remains: '300', currency: 'USD', runs: '3' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '999.73000', currency: 'USD' })
  const big = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 10000, runs: 5, interval: 1 })
  t.equal(sim.order(big.order)?.quantity, 50000, 'max applies per run; the total may exceed it')
})

t.test('drip-feed needs runs ≥ 2 and interval ≥ 1', async (t) => {
  const sim = await simulator(t)
  const add = async (fields: Record<string, string | number>) => await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100, ...fields })
  t.same(await add({ runs: 1, interval: 10 }), { error: 'Incorrect runs' })
  t.same(await add({ runs: 'two', interval: 10 }), { error: 'Incorrect runs' })
  t.same(await add({ interval: 10 }), { error: 'Incorrect runs' })
  t.same(await add({ runs: 2 }), { error: 'Incorrect interval' })
  t.same(await add({ runs: 2, interval: 0 }), { error: 'Incorrect interval' })
  t.same(await add({ runs: 2, interval: 1, quantity: 49 }), { error: 'Quantity less than minimal 50' }, 'per-run quantity checked first')
  t.same(await add({ runs: '', interval: '' }), { order: 23501 }, 'empty drip-feed fields mean no drip-feed')
  t.equal(sim.order(23501)?.runs, undefined)
  const seo = ORDERS.find((o) => o.type === 'SEO')
  const { order } = await panel(sim, { action: 'add', service: ofType('SEO').service, ...seo?.fields, runs: 3, interval: 5 })
  t.equal(sim.order(order)?.quantity, 1000, 'only Default services drip-feed; others ignore runs')
})

t.test('duplicate active links are accepted unless rejectDuplicateLinks is set', async (t) => {
  const lax = await simulator(t)
  t.match(await panel(lax, { action: 'add', service: 1, link: LINK, quantity: 100 }), { order: 23501 })
  t.match(await panel(lax, { action: 'add', service: 1, link: LINK, quantity: 100 }), { order: 23502 }, 'a retried add is a second, paid order')

  const strict = await simulator(t, { rejectDuplicateLinks: true })
  t.match(await panel(strict, { action: 'add', service: 1, link: LINK, quantity: 100 }), { order: 23501 })
  t.same(await panel(strict, { action: 'add', service: 1, link: LINK, quantity: 100 }), { error: 'You have active order with this link. Please wait until order being completed.' })
  t.match(await panel(strict, { action: 'add', service: 2, link: LINK, quantity: 100 }), { order: 23502 }, 'another service may take the link')
  strict.setOrderStatus(23501, 'Completed')
  t.match(await panel(strict, { action: 'add', service: 1, link: LINK, quantity: 100 }), { order: 23503 }, 'free again once completed')
})
