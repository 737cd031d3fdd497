import fc from 'fast-check'
import t from 'tap'
import { GatewayError } from '../../src/problems/errors.js'
import { prepareOrder, requireBound, type PreparedOrder } from '../../src/orders/rules.js'
import type { PanelService } from '../../src/upstream/types.js'
import type { NewOrderT } from '../../schemas/orders.js'

function service (type: string, rate = '2', min: number | null = 1, max: number | null = 100000, extra: Partial<PanelService> = {}): PanelService {
  return { id: 7, name: type, type, panelType: type, category: 'Test', rate, min, max, refill: false, cancel: false, dripfeed: null, ...extra }
}

const LINK = 'https://instagram.com/p/1'

function typed (code: string): (err: unknown) => boolean {
  return (err) => err instanceof GatewayError && err.code === code
}

t.test('per-unit types are bounded by rate × quantity / 1000', async (t) => {
  const cases: Array<[string, NewOrderT, string]> = [
    ['Default', { service: 7, link: LINK, quantity: 1500 }, '3'],
    ['SEO', { service: 7, link: LINK, quantity: 250, keywords: 'shoes\nboots' }, '0.5'],
    ['Mentions', { service: 7, link: LINK, quantity: 100, usernames: 'a\nb' }, '0.2'],
    ['Mentions with Hashtags', { service: 7, link: LINK, quantity: 10, usernames: 'a', hashtags: '#x' }, '0.02'],
    ['Mentions Hashtag', { service: 7, link: LINK, quantity: 1000, hashtag: '#x' }, '2'],
    ['Comment Likes', { service: 7, link: LINK, quantity: 3, username: 'owner' }, '0.006'],
    ['Poll', { service: 7, link: LINK, quantity: 50, answerNumber: 2 }, '0.1'],
    ['Invites from Groups', { service: 7, link: LINK, quantity: 20, groups: 'g1\ng2' }, '0.04'],
    ['Web Traffic', { service: 7, link: LINK, quantity: 5000, country: 'US', device: 5, typeOfTraffic: 3 }, '10']
  ]
  for (const [type, order, charge] of cases) {
    t.match(prepareOrder(service(type), order), { chargeBounded: true, estimatedCharge: charge }, type)
  }
})

t.test('drip-feed is bounded by rate × quantity × runs / 1000', async (t) => {
  const prepared = prepareOrder(service('Default', '0.9'), { service: 7, link: LINK, quantity: 100, runs: 3, interval: 10 })
  t.match(prepared, { quantity: 300, chargeBounded: true, estimatedCharge: '0.27' })
})

t.test('package types are bounded by the rate, once per order, when that is the larger', async (t) => {
  t.match(prepareOrder(service('Package', '12.5'), { service: 7, link: LINK }), { quantity: 1, chargeBounded: true, estimatedCharge: '12.5' })
  t.match(prepareOrder(service('Custom Comments Package', '4'), { service: 7, link: LINK, comments: 'a\nb\nc' }),
    { quantity: 1, chargeBounded: true, estimatedCharge: '4' })
})

t.test('line-counted types are bounded by rate × lines / 1000', async (t) => {
  t.match(prepareOrder(service('Custom Comments', '8'), { service: 7, link: LINK, comments: 'great\nlove it\nwow' }),
    { quantity: 3, chargeBounded: true, estimatedCharge: '0.024' })
  t.match(prepareOrder(service('Mentions Custom List', '5'), { service: 7, link: LINK, usernames: 'alice\nbob' }),
    { quantity: 2, estimatedCharge: '0.01' })
  t.match(prepareOrder(service('Comment Replies', '10'), { service: 7, link: LINK, username: 'owner', comments: 'yes\nno' }),
    { quantity: 2, estimatedCharge: '0.02' })
})

t.test('a comma can be a line for a panel that splits comments on commas: the bound counts it', async (t) => {
  const prepared = prepareOrder(service('Custom Comments', '10'), { service: 7, link: LINK, comments: 'Nice, love it\nGreat,,\nok' })
  t.equal(prepared.quantity, 3, 'the quantity is the lines')
  t.equal(prepared.estimatedCharge, '0.06', 'the bound is the comma-split pieces: 2 + 3 + 1')
  t.equal(prepared.fields.comments, 'Nice, love it\nGreat,,\nok', 'commas are sent as they are')
})

t.test('Subscriptions with posts are bounded by rate × max / 1000 × (posts + oldPosts)', async (t) => {
  const base = { service: 7, username: 'someone', min: 100, max: 500, delay: 0 }
  t.match(prepareOrder(service('Subscriptions', '2'), { ...base, posts: 10, oldPosts: 2 }),
    { quantity: null, chargeBounded: true, estimatedCharge: '12' })
  t.match(prepareOrder(service('Subscriptions', '2'), { ...base, posts: 10 }), { chargeBounded: true, estimatedCharge: '10' })
  t.match(prepareOrder(service('Subscriptions', '0.3'), { ...base, posts: 1, oldPosts: 0 }), { estimatedCharge: '0.15' })
})

t.test('Subscriptions without posts have no bound, and say why', async (t) => {
  const prepared = prepareOrder(service('Subscriptions', '300'), { service: 7, username: 'someone', min: 100, max: 500, delay: 0, oldPosts: 3, expiry: '31/12/2026' })
  t.match(prepared, { chargeBounded: false, estimatedCharge: null, unboundedReason: /"posts"/ })
})

t.test('an unknown type has a bound only with a quantity', async (t) => {
  t.match(prepareOrder(service('Story Views'), { service: 7, link: LINK }),
    { chargeBounded: false, estimatedCharge: null, unboundedReason: /Story Views.*"quantity"/ })
  t.match(prepareOrder(service('Story Views'), { service: 7, link: LINK, quantity: 500 }), { chargeBounded: true, estimatedCharge: '1' })
})

t.test('every line break ends a line: the gateway sends exactly the lines it counts', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['lone CR', 'one\rtwo\rthree', 'one\ntwo\nthree'],
    ['CRLF', 'one\r\ntwo\r\nthree', 'one\ntwo\nthree'],
    ['mixed CR, LF and CRLF', 'one\rtwo\nthree\r\nfour\n\rfive', 'one\ntwo\nthree\nfour\nfive'],
    ['blank and space-only lines', '\n\n  one  \n \t \n\ntwo\r\r\n', 'one\ntwo'],
    ['Unicode and control breaks', 'a\u2028b\u2029c\u0085d\ve\ff', 'a\nb\nc\nd\ne\nf']
  ]
  for (const [name, comments, sent] of cases) {
    const prepared = prepareOrder(service('Custom Comments', '1000'), { service: 7, link: LINK, comments })
    t.equal(prepared.fields.comments, sent, `${name}: sent`)
    t.equal(prepared.quantity, sent.split('\n').length, `${name}: counted`)
    t.equal(prepared.estimatedCharge, String(sent.split('\n').length), `${name}: bound`)
  }
})

t.test('a lone CR cannot take a list past the service maximum', async (t) => {
  const comments = Array.from({ length: 150 }, (_, i) => `comment ${i}`).join('\r')
  t.throws(() => prepareOrder(service('Custom Comments', '80', 10, 100), { service: 7, link: LINK, comments }), { code: 'quantity_out_of_range' })
})

t.test('every line-list field is sent as its normalised lines', async (t) => {
  const prepared = prepareOrder(service('Mentions with Hashtags'), { service: 7, link: LINK, quantity: 10, usernames: ' alice\rbob \r\n', hashtags: '#a\u2028\n#b' })
  t.same([prepared.fields.usernames, prepared.fields.hashtags], ['alice\nbob', '#a\n#b'])
  t.equal(prepareOrder(service('SEO'), { service: 7, link: LINK, quantity: 10, keywords: 'k1\rk2' }).fields.keywords, 'k1\nk2')
  t.equal(prepareOrder(service('Invites from Groups'), { service: 7, link: LINK, quantity: 10, groups: 'g1\r\rg2' }).fields.groups, 'g1\ng2')
})

t.test('a line-list field of blank lines only is missing', async (t) => {
  t.throws(() => prepareOrder(service('Custom Comments'), { service: 7, link: LINK, comments: ' \r\n\r ' }), { code: 'missing_field' })
  t.throws(() => prepareOrder(service('SEO'), { service: 7, link: LINK, quantity: 10, keywords: '\n\n' }), { code: 'missing_field' })
})

// Characters that matter to line splitting, mixed with ordinary ones.
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\r', '\n', '\r\n', ' ', '\t', ',', '\v', '\f', '\u0085', '\u2028', '\u2029', '\u00a0', 'a', 'é', '👍'),
    fc.string({ minLength: 1, maxLength: 1 })
  ),
  minLength: 1,
  maxLength: 200
})

t.test('for any text, the sent field has as many lines as the gateway counted, and the bound covers every splitter', async (t) => {
  const svc = service('Custom Comments', '1000', 1, 1_000_000)
  fc.assert(fc.property(text, (comments) => {
    let prepared: PreparedOrder
    try {
      prepared = prepareOrder(svc, { service: 7, link: LINK, comments })
    } catch (err) {
      return typed('missing_field')(err) && comments.replace(/[\s\u0085]/gu, '') === '' // nothing but breaks and blanks
    }
    const sent = String(prepared.fields.comments)
    const bound = Number(prepared.estimatedCharge)
    return sent.split(/\r\n|\r|\n/).length === prepared.quantity &&
      sent.split(/\r\n|[\n\v\f\r\u0085\u2028\u2029]/u).length === prepared.quantity && // PCRE \R with /u
      sent.split('\n').length <= bound && // explode("\n")
      sent.split(/[\n,]/).length <= bound // SmartPanel: newlines and commas
  }), { numRuns: 2000 })
  t.pass('2000 generated texts')
})

t.test('requireBound refuses an unbounded order for a tenant with a budget', async (t) => {
  const unbounded = prepareOrder(service('Subscriptions'), { service: 7, username: 'someone', min: 10, max: 20, delay: 0 })
  const bounded = prepareOrder(service('Default'), { service: 7, link: LINK, quantity: 10 })
  for (const tenant of [{ dailyBudget: '0.01', monthlyBudget: null }, { dailyBudget: null, monthlyBudget: '100' }]) {
    t.throws(() => { requireBound(unbounded, tenant) }, { code: 'charge_unbounded', statusCode: 422, message: /without "posts"/ })
    t.doesNotThrow(() => { requireBound(bounded, tenant) })
  }
  t.doesNotThrow(() => { requireBound(unbounded, { dailyBudget: null, monthlyBudget: null }) }, 'no budget, nothing to hold')
})

t.test('a package without quantity is sent the service minimum, or 1 when the minimum is missing or 0', async (t) => {
  const cases: Array<[number | null, number]> = [[1, 1], [100, 100], [null, 1], [0, 1]]
  for (const [min, sent] of cases) {
    for (const type of ['Package', 'Custom Comments Package']) {
      const body: NewOrderT = type === 'Package' ? { service: 7, link: LINK } : { service: 7, link: LINK, comments: 'a\nb' }
      const prepared = prepareOrder(service(type, '3', min, 100000), body)
      t.equal(prepared.fields.quantity, sent, `${type}, min ${String(min)}: sent`)
      t.equal(prepared.quantity, sent, `${type}, min ${String(min)}: the quantity of the order`)
    }
  }
  t.same(prepareOrder(service('Package'), { service: 7, link: LINK }).fields, { service: 7, link: LINK, quantity: 1 })
  t.same(prepareOrder(service('Custom Comments Package'), { service: 7, link: LINK, comments: ' a\r\nb ' }).fields,
    { service: 7, link: LINK, comments: 'a\nb', quantity: 1 })
})

t.test('a package with quantity sends it, within the stated limits', async (t) => {
  for (const type of ['Package', 'Custom Comments Package']) {
    const body: NewOrderT = type === 'Package' ? { service: 7, link: LINK } : { service: 7, link: LINK, comments: 'a' }
    t.equal(prepareOrder(service(type, '1', 10, 1000), { ...body, quantity: 500 }).fields.quantity, 500, `${type}: sent`)
    t.throws(() => prepareOrder(service(type, '1', 10, 1000), { ...body, quantity: 9 }), { code: 'quantity_out_of_range', message: /9 .*10–1000/ }, `${type}: below min`)
    t.throws(() => prepareOrder(service(type, '1', 10, 1000), { ...body, quantity: 1001 }), { code: 'quantity_out_of_range' }, `${type}: above max`)
    t.equal(prepareOrder(service(type, '1', 10, null), { ...body, quantity: 10_000_000 }).fields.quantity, 10_000_000, `${type}: no max, no upper check`)
    t.equal(prepareOrder(service(type, '1', null, 1000), { ...body, quantity: 1 }).fields.quantity, 1, `${type}: no min, no lower check`)
  }
})

t.test('a package is bounded by the larger of rate per order and rate × quantity / 1000', async (t) => {
  t.match(prepareOrder(service('Package', '2'), { service: 7, link: LINK, quantity: 5000 }), { quantity: 5000, estimatedCharge: '10' })
  t.match(prepareOrder(service('Package', '2'), { service: 7, link: LINK, quantity: 999 }), { estimatedCharge: '2' })
  t.match(prepareOrder(service('Package', '2', 2000, 5000), { service: 7, link: LINK }), { quantity: 2000, estimatedCharge: '4' }, 'a derived quantity too')
  t.match(prepareOrder(service('Custom Comments Package', '0.5'), { service: 7, link: LINK, comments: 'x', quantity: 3000 }), { estimatedCharge: '1.5' })
})

t.test('line-counted types send quantity = the lines counted, and take a quantity that says the same', async (t) => {
  const cases: Array<[string, NewOrderT, string, number]> = [
    ['Custom Comments', { service: 7, link: LINK, comments: 'great\n\n love it \r\nwow' }, 'comments', 3],
    ['Mentions Custom List', { service: 7, link: LINK, usernames: 'alice\rbob' }, 'usernames', 2],
    ['Comment Replies', { service: 7, link: LINK, username: 'owner', comments: 'yes\nno\nmaybe\nok' }, 'comments', 4]
  ]
  for (const [type, body, field, lines] of cases) {
    const without = prepareOrder(service(type), body)
    t.equal(without.fields.quantity, lines, `${type}: quantity sent without one given`)
    t.equal(without.quantity, lines, `${type}: the order's quantity`)
    t.equal(String(without.fields[field]).split('\n').length, lines, `${type}: the lines sent are the lines counted`)
    const withIt = prepareOrder(service(type), { ...body, quantity: lines })
    t.same(withIt.fields, without.fields, `${type}: the same fields with a matching quantity`)
    t.equal(withIt.estimatedCharge, without.estimatedCharge, `${type}: the same bound`)
  }
})

t.test('line-counted types refuse a quantity that is not the number of lines, and say the count', async (t) => {
  const cases: Array<[string, NewOrderT, number]> = [
    ['Custom Comments', { service: 7, link: LINK, comments: 'a\nb\n\n', quantity: 3 }, 2],
    ['Mentions Custom List', { service: 7, link: LINK, usernames: 'alice', quantity: 100 }, 1],
    ['Comment Replies', { service: 7, link: LINK, username: 'owner', comments: 'x\ny\nz', quantity: 2 }, 3]
  ]
  for (const [type, body, lines] of cases) {
    t.throws(() => prepareOrder(service(type), body), {
      code: 'quantity_out_of_range',
      statusCode: 422,
      message: new RegExp(`"quantity" is ${body.quantity as number} but .* has ${lines} non-blank line`),
      extra: { field: 'quantity', quantity: body.quantity, lines }
    }, type)
  }
})

t.test('line-counted types keep the commas in the bound when a quantity is given', async (t) => {
  const prepared = prepareOrder(service('Custom Comments', '10'), { service: 7, link: LINK, comments: 'Nice, love it\nGreat,,\nok', quantity: 3 })
  t.match(prepared, { quantity: 3, estimatedCharge: '0.06' })
  t.equal(prepared.fields.quantity, 3)
})

t.test('Subscriptions send the tenant\'s link, else the username', async (t) => {
  const base = { service: 7, username: 'someone', min: 100, max: 500, delay: 0, posts: 5 }
  const withLink = prepareOrder(service('Subscriptions'), { ...base, link: 'https://instagram.com/someone' })
  t.same(withLink.fields, { service: 7, link: 'https://instagram.com/someone', username: 'someone', min: 100, max: 500, delay: 0, posts: 5 })
  const without = prepareOrder(service('Subscriptions'), base)
  t.equal(without.fields.link, 'someone')
  t.equal(without.fields.quantity, undefined, 'no quantity')
  t.equal(without.quantity, null)
  t.equal(without.estimatedCharge, withLink.estimatedCharge, 'the link does not change the bound')
})

t.test('drip-feed is refused locally only when the service states dripfeed false', async (t) => {
  const body: NewOrderT = { service: 7, link: LINK, quantity: 100, runs: 3, interval: 10 }
  t.throws(() => prepareOrder(service('Default', '1', 1, 1000, { dripfeed: false }), body), { code: 'invalid_drip_feed', message: /does not take drip-feed/ })
  t.throws(() => prepareOrder(service('Default', '1', 1, 1000, { dripfeed: false }), { service: 7, link: LINK, quantity: 100, runs: 3 }), { code: 'invalid_drip_feed' }, 'runs alone too')
  for (const dripfeed of [true, null]) {
    const prepared = prepareOrder(service('Default', '1', 1, 1000, { dripfeed }), body)
    t.match(prepared.fields, { runs: 3, interval: 10, quantity: 100 }, `dripfeed ${String(dripfeed)}: sent, the panel decides`)
    t.equal(prepared.quantity, 300)
  }
  t.doesNotThrow(() => prepareOrder(service('Default', '1', 1, 1000, { dripfeed: false }), { service: 7, link: LINK, quantity: 100 }), 'no drip-feed asked, nothing refused')
  t.throws(() => prepareOrder(service('Default', '1', 1, 1000, { dripfeed: true }), { service: 7, link: LINK, quantity: 100, interval: 5 }), { code: 'invalid_drip_feed', message: /both/ })
})

t.test('a limit the panel does not state is not checked on that side', async (t) => {
  t.equal(prepareOrder(service('Default', '1', null, null), { service: 7, link: LINK, quantity: 1 }).quantity, 1)
  t.equal(prepareOrder(service('Default', '1', null, null), { service: 7, link: LINK, quantity: 100_000_000 }).quantity, 100_000_000)
  t.throws(() => prepareOrder(service('Default', '1', null, 100), { service: 7, link: LINK, quantity: 101 }), { code: 'quantity_out_of_range', message: /no minimum–100/ })
  t.throws(() => prepareOrder(service('Default', '1', 50, null), { service: 7, link: LINK, quantity: 49 }), { code: 'quantity_out_of_range', message: /50–no maximum/ })
  t.equal(prepareOrder(service('Custom Comments', '1', null, null), { service: 7, link: LINK, comments: 'one' }).fields.quantity, 1)
  t.throws(() => prepareOrder(service('Custom Comments', '1', null, 2), { service: 7, link: LINK, comments: 'a\nb\nc' }), { code: 'quantity_out_of_range' })
  const sub = { service: 7, username: 'someone', min: 1, max: 1_000_000, delay: 0 }
  t.doesNotThrow(() => prepareOrder(service('Subscriptions', '1', null, null), sub))
})

t.test('rules are found by the canonical type whatever the spelling; an unknown type passes link and quantity', async (t) => {
  for (const type of ['custom_comments', 'CUSTOM-COMMENTS', 'custom comment']) {
    t.equal(prepareOrder(service(type), { service: 7, link: LINK, comments: 'a\nb' }).fields.quantity, 2, type)
  }
  t.equal(prepareOrder(service('package'), { service: 7, link: LINK }).fields.quantity, 1, 'package')
  t.equal(prepareOrder(service('subscription'), { service: 7, username: 'u', min: 1, max: 2, delay: 0 }).fields.link, 'u', 'subscription')
  t.throws(() => prepareOrder(service('web_traffic'), { service: 7, link: LINK, quantity: 10, country: 'US', device: 1, typeOfTraffic: 1 }),
    { code: 'missing_field', message: /googleKeyword/ }, 'web_traffic')
  t.same(prepareOrder(service('Story Views'), { service: 7, link: LINK, quantity: 10 }).fields, { service: 7, link: LINK, quantity: 10 })
  t.same(prepareOrder(service('Story Views'), { service: 7, link: LINK }).fields, { service: 7, link: LINK })
  t.throws(() => prepareOrder(service('Story Views'), { service: 7, link: LINK, comments: 'x' }), { code: 'field_not_allowed' })
})

t.test('for any package quantity, the bound covers a charge per order and per 1000', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 1, max: 100_000 }), (quantity, mills) => {
    const rate = (mills / 1000).toFixed(3)
    const prepared = prepareOrder(service('Package', rate, null, null), { service: 7, link: LINK, quantity })
    const bound = Number(prepared.estimatedCharge)
    return prepared.fields.quantity === quantity && bound >= Number(rate) && bound * 1000 >= Number(rate) * quantity * (1 - 1e-12)
  }), { numRuns: 500 })
  t.pass('500 generated packages')
})
