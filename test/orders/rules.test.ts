import fc from 'fast-check'
import t from 'tap'
import { GatewayError } from '../../src/errors.js'
import { prepareOrder, requireBound, type PreparedOrder } from '../../src/orders/rules.js'
import type { PanelService } from '../../src/upstream/types.js'
import type { NewOrderT } from '../../schemas/orders.js'

function service (type: string, rate = '2', min = 1, max = 100000): PanelService {
  return { id: 7, name: type, type, panelType: type, category: 'Test', rate, min, max, refill: false, cancel: false, dripfeed: null }
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

t.test('package types are bounded by the rate, once per order', async (t) => {
  t.match(prepareOrder(service('Package', '12.5'), { service: 7, link: LINK }), { quantity: null, chargeBounded: true, estimatedCharge: '12.5' })
  t.match(prepareOrder(service('Custom Comments Package', '4'), { service: 7, link: LINK, comments: 'a\nb\nc' }),
    { quantity: null, chargeBounded: true, estimatedCharge: '4' })
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
