import t from 'tap'
import { GatewayError } from '../../src/problems/errors.js'
import {
  normaliseAdd, normaliseBalance, normaliseCancel, normaliseRefill, normaliseRefillMany, normaliseRefillStatus,
  normaliseRefillStatusMany, normaliseServices, normaliseStatus, normaliseStatusMany, panelErrorOf,
  toBoolean, toDecimalString, toId, toInteger
} from '../../src/upstream/normalise.js'
import { PANEL_ERRORS, panelError, panelErrorTable } from '../../src/upstream/panel-errors.js'
import { classifyAnswer, parseRetryAfter } from '../../src/upstream/classify.js'
import { orderStatusOf, refillStatusOf } from '../../src/orders/status.js'

const KEY = 'k3y-SECRET-0123456789abcdef'

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof GatewayError) return err.code
    return `not a GatewayError: ${String(err)}`
  }
  return 'no error'
}

function errorOf (fn: () => unknown): GatewayError {
  try {
    fn()
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  throw new Error('expected a GatewayError')
}

const json = (text: string): unknown => JSON.parse(text)

t.test('decimals are canonical strings from numbers and panel-formatted strings', async (t) => {
  const cases: Array<[unknown, string | null]> = [
    ['0.90', '0.9'], ['$0.50', '0.5'], ['$1,000.50', '1000.5'], ['10,000', '10000'], [' 12 ', '12'],
    ['8', '8'], [0.27819, '0.27819'], ['100.84292', '100.84292'], ['-1.50', '-1.5'], ['-0', '0'],
    ['1.5 USD', '1.5'], ['USD 2', '2'], ['€3.10', '3.1'], ['0.0000001', '0.0000001'], ['1e3', '1000'],
    ['123456789.123456789123', '123456789.123456789123'],
    ['NaN', null], ['Infinity', null], ['-Infinity', null], [Number.NaN, null], [Number.POSITIVE_INFINITY, null],
    ['', null], ['   ', null], ['abc', null], ['1.2.3', null], ['0,50', null], ['1,00', null], ['1e999', null],
    ['12abc', null], ['$', null], [null, null], [undefined, null], [true, null], [{}, null], [[1], null],
    ['9'.repeat(100), null]
  ]
  for (const [input, expected] of cases) t.equal(toDecimalString(input), expected, `${JSON.stringify(input)} → ${expected}`)
})

t.test('integers accept numeric strings and refuse fractions and garbage', async (t) => {
  const cases: Array<[unknown, number | null]> = [
    ['50', 50], [' 12 ', 12], ['10,000', 10000], [10000, 10000], ['-157', -157], ['12.0', 12],
    ['12.5', null], [12.5, null], ['x', null], [null, null], [2 ** 60, null], ['-0', 0]
  ]
  for (const [input, expected] of cases) t.equal(toInteger(input), expected, `${JSON.stringify(input)} → ${expected}`)
  t.equal(toId('1'), 1)
  t.equal(toId(' 23 '), 23)
  t.equal(toId(0), null)
  t.equal(toId('-1'), null)
  t.equal(toId('1,000'), null)
  t.equal(toId(1.5), null)
})

t.test('booleans: true/1/"1"/"true"/"yes" are true, the rest false', async (t) => {
  for (const v of [true, 1, '1', 'true', 'TRUE', ' yes ', 'Yes']) t.equal(toBoolean(v), true, JSON.stringify(v))
  for (const v of [false, 0, '0', 'false', '', 'no', null, undefined, 2, 'y', {}, []]) t.equal(toBoolean(v), false, JSON.stringify(v))
})

t.test('services: the documented bare array', async (t) => {
  const body = json('[{"service":1,"name":"Followers","type":"Default","category":"First Category","rate":"0.90","min":"50","max":"10000","refill":true,"cancel":true},{"service":2,"name":"Comments","type":"Custom Comments","category":"Second Category","rate":"8","min":"10","max":"1500","refill":false,"cancel":true}]')
  t.same(normaliseServices(body), [
    { id: 1, name: 'Followers', type: 'Default', panelType: 'Default', category: 'First Category', rate: '0.9', min: 50, max: 10000, refill: true, cancel: true, dripfeed: null },
    { id: 2, name: 'Comments', type: 'Custom Comments', panelType: 'Custom Comments', category: 'Second Category', rate: '8', min: 10, max: 1500, refill: false, cancel: true, dripfeed: null }
  ])
})

t.test('services: every wrapper shape gives the same catalog', async (t) => {
  const item = { service: '7', name: 'Likes', type: 'Default', category: 'C', rate: '$0.50', min: '10', max: '10,000', refill: '1', cancel: 'true' }
  const expected = [{ id: 7, name: 'Likes', type: 'Default', panelType: 'Default', category: 'C', rate: '0.5', min: 10, max: 10000, refill: true, cancel: true, dripfeed: null }]
  t.same(normaliseServices([item]), expected, 'bare array')
  t.same(normaliseServices({ services: [item] }), expected, '{services: [...]}')
  t.same(normaliseServices({ data: [item] }), expected, '{data: [...]}')
  t.same(normaliseServices({ status: 'success', data: { services: [item] } }), expected, 'nested wrapper')
  t.same(normaliseServices({ 7: item }), expected, 'keyed by id')
  const { service: _drop, ...withoutId } = item
  t.same(normaliseServices({ 7: withoutId }), expected, 'keyed by id, id taken from the key')
  t.same(normaliseServices({ services: { 7: withoutId } }), expected, '{services: {keyed}}')
})

t.test('services: malformed entries are skipped, not fatal', async (t) => {
  const good = { service: 1, name: 'A', rate: '1', min: 1, max: 10 }
  const services = normaliseServices([
    good,
    null, 42, 'x', [],
    { service: 2, name: 'no rate', min: 1, max: 2 },
    { service: 3, name: 'bad rate', rate: 'NaN', min: 1, max: 2 },
    { service: 4, name: 'negative rate', rate: '-1', min: 1, max: 2 },
    { service: 'abc', name: 'bad id', rate: '1', min: 1, max: 2 },
    { service: 5, rate: '1', min: 1, max: 2 },
    { service: 6, name: 'no min', rate: '1', max: 2 },
    { service: 1, name: 'duplicate id', rate: '2', min: 1, max: 2 },
    { service: 8, name: { nested: true }, rate: '1', min: 1, max: 2 }
  ])
  t.same(services.map((s) => s.id), [1, 6])
  t.equal(services[0]?.name, 'A')
  t.equal(services[0]?.type, 'Default', 'a missing type is Default')
  t.equal(services[0]?.refill, null, 'a missing flag is null: the panel does not say')
  t.same([services[1]?.min, services[1]?.max], [null, 2], 'a missing limit is null, not a reason to drop the service')
})

t.test('services: description and prototype-named keys', async (t) => {
  const body = json('{"__proto__":{"service":9,"name":"P","rate":"1","min":"1","max":"2","desc":"hello"},"constructor":{"name":"x"}}')
  const services = normaliseServices(body)
  t.same(services.map((s) => [s.id, s.description]), [[9, 'hello']])
  t.equal(Object.getPrototypeOf(services[0]), Object.prototype)
})

t.test('services: a body that is not a catalog is upstream_invalid_response', async (t) => {
  for (const body of [42, 'services', true, {}, { foo: 'bar' }, { services: 'none' }, [1, 2, 3], [null, {}]]) {
    t.equal(codeOf(() => normaliseServices(body)), 'upstream_invalid_response', JSON.stringify(body))
  }
  t.equal(codeOf(() => normaliseServices(null)), 'upstream_action_unsupported', 'null: the panel has no such action')
  t.same(normaliseServices([]), [], 'an empty array is an empty catalog')
  t.same(normaliseServices({ services: [] }), [])
  t.equal(codeOf(() => normaliseServices({ error: 'Invalid API key' })), 'upstream_auth_failed')
  t.same(normaliseServices({ error: false, data: [{ service: 1, name: 'A', rate: '1', min: 1, max: 2 }] }).length, 1, '"error": false is no error')
})

t.test('add: the order id, as a number or a string', async (t) => {
  t.same(normaliseAdd({ order: 23501 }), { order: 23501 })
  t.same(normaliseAdd({ order: '23501' }), { order: 23501 })
  t.equal(codeOf(() => normaliseAdd({ error: 'Not enough funds on balance' })), 'upstream_insufficient_funds')
  t.equal(codeOf(() => normaliseAdd({ order: { error: 'Bad link' } })), 'invalid_link')
  for (const body of [{}, { order: 0 }, { order: 'x' }, [], null, { order: null }]) {
    t.equal(codeOf(() => normaliseAdd(body)), 'upstream_invalid_response', JSON.stringify(body))
  }
  t.equal(codeOf(() => normaliseAdd({ order: 'Bad link' })), 'invalid_link', 'a known reason in place of the id')
})

const DOC_STATUS = '{"charge":"0.27819","start_count":"3572","status":"Partial","remains":"157","currency":"USD"}'

t.test('status: the documented single form', async (t) => {
  t.same(normaliseStatus(json(DOC_STATUS), 1), { charge: '0.27819', startCount: 3572, status: 'Partial', remains: 157, currency: 'USD' })
})

t.test('status: the single form keyed by id, as some panels answer', async (t) => {
  t.same(normaliseStatus(json(`{"5":${DOC_STATUS}}`), 5), { charge: '0.27819', startCount: 3572, status: 'Partial', remains: 157, currency: 'USD' })
  t.equal(codeOf(() => normaliseStatus(json('{"5":{"error":"Incorrect order ID"}}'), 5)), 'not_found')
  t.equal(codeOf(() => normaliseStatus(json(`{"6":${DOC_STATUS}}`), 5)), 'upstream_invalid_response')
})

t.test('status: missing numbers are null, negative remains kept, extras read', async (t) => {
  t.same(normaliseStatus({ status: 'Pending' }), { charge: null, startCount: null, status: 'Pending', remains: null, currency: null })
  const drip = normaliseStatus({ status: 'In progress', remains: '-12', charge: '$1.50', currency: 'usd', runs: '4', posts: 10, orders: [1, '2', 'x', 3] })
  t.equal(drip.remains, -12)
  t.equal(drip.charge, '1.5')
  t.equal(drip.currency, 'USD')
  t.equal(drip.runs, 4)
  t.equal(drip.posts, 10)
  t.same(drip.orders, [1, 2, 3])
  t.same(normaliseStatus({ status: 'Active', orders: '7,8' }).orders, [7, 8])
  t.equal(codeOf(() => normaliseStatus({ error: 'Incorrect order ID' }, 1)), 'not_found')
  t.equal(codeOf(() => normaliseStatus({ status: { error: 'Incorrect order ID' } }, 1)), 'not_found')
  for (const body of [{}, { status: '' }, { status: 3 }, [], 'Completed']) {
    t.equal(codeOf(() => normaliseStatus(body, 1)), 'upstream_invalid_response', JSON.stringify(body))
  }
  t.equal(codeOf(() => normaliseStatus(null, 1)), 'upstream_action_unsupported')
})

t.test('status multi: the documented answer, with an item error, and every id present', async (t) => {
  const body = json('{"1":{"charge":"0.27819","start_count":"3572","status":"Partial","remains":"157","currency":"USD"},"10":{"error":"Incorrect order ID"},"100":{"charge":"1.44219","start_count":"234","status":"In progress","remains":"10","currency":"USD"}}')
  const results = normaliseStatusMany(body, [1, 10, 100, 555])
  t.same([...results.keys()].sort((a, b) => a - b), [1, 10, 100, 555])
  t.same(results.get(1), { ok: true, value: { charge: '0.27819', startCount: 3572, status: 'Partial', remains: 157, currency: 'USD' } })
  const ten = results.get(10)
  t.equal(ten?.ok, false)
  if (ten?.ok === false) t.equal(ten.error.code, 'not_found')
  const missing = results.get(555)
  t.equal(missing?.ok === false && missing.error.code, 'upstream_invalid_response', 'an id left out is upstream_invalid_response')
  t.equal(missing?.ok === false && missing.error.outcomeUnknown, false, 'a read item never has an unknown outcome')
  t.equal(codeOf(() => normaliseStatusMany({}, [1, 2])), 'upstream_invalid_response', 'an answer without any requested id')
  t.equal(codeOf(() => normaliseStatusMany([], [1])), 'upstream_invalid_response')
  t.equal(results.get(100)?.ok, true)
})

t.test('status multi: ids not asked for are ignored, a malformed item is an item error, array form read', async (t) => {
  const results = normaliseStatusMany({ 1: { status: 'Completed' }, 2: 'garbage', 3: { status: 'Pending' } }, [1, 2])
  t.same([...results.keys()].sort(), [1, 2])
  const two = results.get(2)
  t.equal(two?.ok === false && two.error.code, 'upstream_refused', 'a bare string item is the panel\'s refusal for that id')
  const fromArray = normaliseStatusMany([{ order: 4, status: 'Completed' }, { order: '5', error: 'Incorrect order ID' }], [4, 5])
  t.equal(fromArray.get(4)?.ok, true)
  const five = fromArray.get(5)
  t.equal(five?.ok === false && five.error.code, 'not_found')
  const single = normaliseStatusMany({ status: 'Completed', charge: '1' }, [9])
  t.equal(single.get(9)?.ok, true, 'a single-form answer for one id')
  t.equal(codeOf(() => normaliseStatusMany({ error: 'Invalid API key' }, [1])), 'upstream_auth_failed')
  t.equal(codeOf(() => normaliseStatusMany('nope', [1])), 'upstream_invalid_response')
})

t.test('refill: single {"refill":"1"} and the multi array', async (t) => {
  t.same(normaliseRefill({ refill: '1' }, 3), { refill: 1 })
  t.same(normaliseRefill({ refill: 55 }), { refill: 55 })
  t.equal(codeOf(() => normaliseRefill({ error: 'Refill is disabled for this service' }, 3)), 'refill_not_allowed')
  t.equal(codeOf(() => normaliseRefill({ refill: { error: 'The order is not completed' } }, 3)), 'order_not_completed')
  t.same(normaliseRefill([{ order: 3, refill: 9 }], 3), { refill: 9 }, 'multi form for one order')
  t.same(normaliseRefill({ 3: { refill: '9' } }, 3), { refill: 9 }, 'keyed by order')
  for (const body of [{}, { refill: '1.5' }, { refill: null }, 5, 'x']) {
    t.equal(codeOf(() => normaliseRefill(body, 3)), 'upstream_invalid_response', JSON.stringify(body))
  }
  t.equal(codeOf(() => normaliseRefill({ refill: 0 }, 3)), 'refill_not_allowed', 'refill 0: the panel did nothing')
  t.equal(codeOf(() => normaliseRefill({ refill: 'x' }, 3)), 'upstream_refused', 'a string in place of the id is the reason')
  t.equal(codeOf(() => normaliseRefill(null, 3)), 'upstream_action_unsupported')
  const many = normaliseRefillMany(json('[{"order":1,"refill":1},{"order":3,"refill":{"error":"Incorrect order ID"}}]'), [1, 3, 4])
  t.same(many.get(1), { ok: true, value: { refill: 1 } })
  const three = many.get(3)
  t.equal(three?.ok === false && three.error.code, 'not_found')
  const four = many.get(4)
  t.equal(four?.ok === false && four.error.code, 'upstream_invalid_response')
  t.equal(four?.ok === false && four.error.outcomeUnknown, true, 'a refill left out may still have been placed')
  t.equal(three?.ok === false && three.error.outcomeUnknown, false, 'a panel error is definite')
  const odd = normaliseRefillMany([{ order: 1, refill: '1.5' }, { order: 2, refill: 3 }], [1, 2]).get(1)
  t.equal(odd?.ok === false && odd.error.outcomeUnknown, true, 'an unreadable refill item')
  const said = normaliseRefillMany([{ order: 1, refill: 'what' }, { order: 2, refill: 3 }], [1, 2]).get(1)
  t.equal(said?.ok === false && said.error.code, 'upstream_refused', 'a string member is the panel\'s reason')
  t.equal(said?.ok === false && said.error.outcomeUnknown, false, 'a refusal is definite')
})

t.test('refill_status: single and multi, status may be {"error"}', async (t) => {
  t.same(normaliseRefillStatus({ status: 'Completed' }, 1), { status: 'Completed' })
  t.same(normaliseRefillStatus({ status: ' In progess ' }), { status: 'In progess' })
  t.equal(codeOf(() => normaliseRefillStatus({ status: { error: 'Refill not found' } }, 1)), 'not_found')
  t.equal(codeOf(() => normaliseRefillStatus({ error: 'Refill not found' }, 1)), 'not_found')
  t.same(normaliseRefillStatus([{ refill: 1, status: 'Rejected' }], 1), { status: 'Rejected' })
  t.equal(codeOf(() => normaliseRefillStatus({ status: 5 }, 1)), 'upstream_invalid_response')
  const many = normaliseRefillStatusMany(json('[{"refill":1,"status":"Completed"},{"refill":2,"status":"Rejected"},{"refill":3,"status":{"error":"Refill not found"}}]'), [1, 2, 3])
  t.same(many.get(1), { ok: true, value: { status: 'Completed' } })
  t.same(many.get(2), { ok: true, value: { status: 'Rejected' } })
  const three = many.get(3)
  t.equal(three?.ok === false && three.error.code, 'not_found')
})

t.test('cancel: the multi form with per-item errors', async (t) => {
  const results = normaliseCancel(json('[{"order":9,"cancel":{"error":"Incorrect order ID"}},{"order":2,"cancel":1},{"order":3,"cancel":"0"},{"order":4,"cancel":"Order cannot be canceled"},{"order":5,"cancel":true}]'), [9, 2, 3, 4, 5, 6])
  t.same(results.get(2), { ok: true, value: true })
  t.same(results.get(5), { ok: true, value: true })
  const code = (id: number): string | false => { const r = results.get(id); return r?.ok === false && r.error.code }
  t.equal(code(9), 'not_found')
  t.equal(code(3), 'cancel_not_allowed')
  t.equal(code(4), 'cancel_not_allowed')
  t.equal(code(6), 'upstream_invalid_response')
  const six = results.get(6)
  t.equal(six?.ok === false && six.error.outcomeUnknown, true, 'a cancel left out may still have happened')
  t.match(six?.ok === false ? six.error.message : '', /may have reached the panel/)
  t.same(normaliseCancel({ cancel: 1 }, [2]).get(2), { ok: true, value: true }, 'single form for one id')
  t.equal(codeOf(() => normaliseCancel({ error: 'Incorrect request' }, [1])), 'upstream_bad_request')
})

t.test('balance: decimal string and currency', async (t) => {
  t.same(normaliseBalance(json('{"balance":"100.84292","currency":"USD"}')), { balance: '100.84292', currency: 'USD' })
  t.same(normaliseBalance({ balance: '$1,000.50', currency: 'usd' }), { balance: '1000.5', currency: 'USD' })
  t.same(normaliseBalance({ balance: 0 }), { balance: '0', currency: '' }, 'a missing currency is not guessed')
  for (const body of [{}, { balance: 'NaN' }, { balance: 'Infinity' }, [], { balance: { v: 1 } }]) {
    t.equal(codeOf(() => normaliseBalance(body)), 'upstream_invalid_response', JSON.stringify(body))
  }
  t.equal(codeOf(() => normaliseBalance(null)), 'upstream_action_unsupported')
  t.equal(codeOf(() => normaliseBalance({ error: 'Invalid API key' })), 'upstream_auth_failed')
})

t.test('panel error table: every documented string maps to its code', async (t) => {
  const expected: Array<[string, string]> = [
    ['Invalid API key', 'upstream_auth_failed'],
    ['Incorrect request', 'upstream_bad_request'],
    ['Incorrect order ID', 'not_found'],
    ['Incorrect service ID', 'unknown_service'],
    ['error.incorrect_service_id', 'unknown_service'],
    ['Refill not found', 'not_found'],
    ['Not enough funds on balance', 'upstream_insufficient_funds'],
    ['neworder.error.not_enough_funds', 'upstream_insufficient_funds'],
    ['Bad link', 'invalid_link'],
    ['neworder.error.link', 'invalid_link'],
    ['Quantity less than minimal 50', 'quantity_out_of_range'],
    ['Quantity more than maximum 10000', 'quantity_out_of_range'],
    ['neworder.error.min_quantity', 'quantity_out_of_range'],
    ['neworder.error.max_quantity', 'quantity_out_of_range'],
    ['Refill is disabled for this service', 'refill_not_allowed'],
    ['The order is not completed', 'order_not_completed'],
    ['You have active order with this link. Please wait until order being completed.', 'duplicate_active_order'],
    ['neworder.error.link_duplicate', 'duplicate_active_order'],
    ['Cancel is disabled for this service', 'cancel_not_allowed'],
    ['This order cannot be canceled', 'cancel_not_allowed'],
    ['The order can not be canceled', 'cancel_not_allowed'],
    ['Incorrect runs', 'invalid_drip_feed'],
    ['Incorrect interval', 'invalid_drip_feed'],
    ["Order can't be cancelled", 'cancel_not_allowed'],
    ['Too many requests', 'upstream_rate_limited']
  ]
  for (const [message, code] of expected) {
    t.equal(panelError(message, [KEY]).code, code, message)
    t.equal(panelError(`  ${message.toUpperCase()}  `, [KEY]).code, code, `${message} (case, spaces)`)
  }
  for (const rule of PANEL_ERRORS) {
    for (const example of rule.examples) t.equal(panelError(example).code, rule.code, `table example "${example}"`)
  }
  t.ok(panelErrorTable().length >= expected.length - 2, 'the README table has a row per example')
  t.match(panelError('Invalid API key').message, /check PANEL_KEY.*Invalid API key/, 'the detail names the configuration and keeps the panel\'s words')
  t.match(panelError('Quantity less than minimal 50').message, /50/, 'the limit is kept in the detail')
  t.equal(panelError('Too many requests').retryAfter, 1)
})

t.test('panel error table: unknown messages are upstream_refused with a clean, bounded detail', async (t) => {
  const unknown = panelError('Service is on maintenance', [KEY])
  t.equal(unknown.code, 'upstream_refused')
  t.equal(unknown.statusCode, 422)
  t.match(unknown.message, /Service is on maintenance/)
  const long = panelError('x'.repeat(100_000), [KEY])
  t.ok(long.message.length < 300, 'truncated')
  const control = panelError('bad\u0000\u0007thing\u001b[31m\u202e', [KEY])
  t.notMatch(control.message, /[\u0000-\u001f\u202e]/) // eslint-disable-line no-control-regex
  const secret = panelError(`your key ${KEY} is wrong-ish: ${encodeURIComponent(KEY)} ${KEY.toUpperCase()}`, [KEY])
  t.notMatch(secret.message.toLowerCase(), KEY.toLowerCase())
  t.match(secret.message, /\[redacted\]/)
  const split = panelError(`${KEY.slice(0, 10)}\u0000${KEY.slice(10)}`, [KEY])
  t.notMatch(split.message, KEY, 'a key split by a control character is scrubbed too')
  t.equal(panelError({ message: 'Bad link' }).code, 'invalid_link', '{message} objects are read')
  t.equal(panelError(['Incorrect order ID']).code, 'not_found')
  t.equal(panelError(true).code, 'upstream_refused', 'an error without text is a refusal all the same')
  t.equal(panelError(null).code, 'upstream_refused')
  t.equal(panelError(12).code, 'upstream_refused')
  t.equal(panelErrorOf({ error: '' }), undefined, 'an empty error is no error')
  t.equal(panelErrorOf({ error: null }), undefined)
  t.equal(panelErrorOf({ error: 0 }), undefined)
  t.equal(panelErrorOf({ error: 'Bad link' })?.code, 'invalid_link')
})

t.test('classify: HTTP answers to JSON or the specific error', async (t) => {
  const answer = (statusCode: number, body: string, headers: Record<string, string> = {}): unknown =>
    classifyAnswer({ statusCode, headers, body }, [KEY])
  t.same(answer(200, '{"balance":"1"}', { 'content-type': 'application/json' }), { balance: '1' })
  t.same(answer(200, '\ufeff{"a":1}'), { a: 1 }, 'a BOM is tolerated')
  t.same(answer(200, '{"a":1}', { 'content-type': 'text/html; charset=UTF-8' }), { a: 1 }, 'JSON labelled text/html (PHP default) is JSON')
  t.same(classifyAnswer({ statusCode: 200, headers: {}, body: new TextEncoder().encode('[1]') }), [1], 'bytes')
  const cases: Array<[number, string, Record<string, string>, string]> = [
    [200, '<html><body>Just a moment...</body></html>', { 'content-type': 'text/html' }, 'upstream_html_response'],
    [200, '  <!DOCTYPE html>', {}, 'upstream_html_response'],
    [200, 'Service Unavailable', { 'content-type': 'text/html' }, 'upstream_html_response'],
    [200, '', {}, 'upstream_empty_response'],
    [200, ' \n\t ', {}, 'upstream_empty_response'],
    [204, '', {}, 'upstream_empty_response'],
    [200, '{"order":', { 'content-type': 'application/json' }, 'upstream_invalid_response'],
    [200, 'OK', {}, 'upstream_invalid_response'],
    [301, '', { location: 'https://panel.example/api/v2' }, 'upstream_invalid_response'],
    [302, '<html>moved</html>', {}, 'upstream_invalid_response'],
    [429, '', { 'retry-after': '7' }, 'upstream_rate_limited'],
    [500, '{"error":"boom"}', {}, 'upstream_server_error'],
    [502, '<html>Bad gateway</html>', { 'content-type': 'text/html' }, 'upstream_server_error'],
    [503, '<html>cloudflare</html>', {}, 'upstream_server_error'],
    [522, '<html>cloudflare</html>', {}, 'upstream_server_error'],
    [403, '<html>Attention Required! | Cloudflare</html>', { 'content-type': 'text/html' }, 'upstream_html_response'],
    [401, '<html>denied</html>', {}, 'upstream_html_response'],
    [401, '{"error":"Invalid API key"}', {}, 'upstream_auth_failed'],
    [401, '', {}, 'upstream_auth_failed'],
    [400, '{"error":"Incorrect request"}', {}, 'upstream_bad_request'],
    [422, '{"error":"Quantity less than minimal 50"}', {}, 'quantity_out_of_range'],
    [404, 'Not Found', {}, 'upstream_error'],
    [403, 'Forbidden', {}, 'upstream_error']
  ]
  for (const [status, body, headers, code] of cases) {
    t.equal(codeOf(() => answer(status, body, headers)), code, `${status} ${JSON.stringify(body.slice(0, 30))}`)
  }
  const limited = errorOf(() => answer(429, '', { 'retry-after': '7' }))
  t.equal(limited.retryAfter, 7)
  t.equal(limited.statusCode, 503)
  t.equal(errorOf(() => answer(429, '')).retryAfter, 1, 'Retry-After defaults to 1')
  t.equal(errorOf(() => answer(429, '', { 'retry-after': '999999' })).retryAfter, 3600, 'clamped')
  t.match(errorOf(() => answer(301, '', { location: 'https://x.example/api/v2' })).message, /check PANEL_URL/)
})

t.test('classify: JSON wherever it starts, whatever the content type', async (t) => {
  const html = { 'content-type': 'text/html; charset=UTF-8' }
  const answer = (body: string, statusCode = 200, headers: Record<string, string> = html): unknown =>
    classifyAnswer({ statusCode, headers, body }, [KEY])
  t.same(answer('\n{\n    "status": "success",\n    "order": 4\n}'), { status: 'success', order: 4 }, 'a leading newline, pretty printed')
  t.same(answer('  {"status":100,"order":"1005"}'), { status: 100, order: '1005' }, 'two leading spaces')
  t.equal(answer('  null'), null, 'null is an answer (the normalisers decide what it means)')
  t.same(answer('\ufeff\n {"a":1}'), { a: 1 }, 'a BOM and whitespace')
  const notice = '<div style="border:1px solid #990000;padding-left:20px;margin:0 0 10px 0;">\n\n<h4>A PHP Error was encountered</h4>\n\n<p>Severity: 8192</p>\n<p>Message:  Function create_function() is deprecated {x}</p>\n<p>Filename: core/Common.php</p>\n<p>Line Number: 12</p>\n\n</div>'
  t.same(answer(`${notice}${notice}${notice}{"status":"success","order": 20}`), { status: 'success', order: 20 }, 'JSON after three PHP notices')
  t.same(answer(`${notice}\n{\n    "status": "success",\n    "order": 21\n}`), { status: 'success', order: 21 }, 'pretty JSON after a notice and a newline')
  t.same(answer('<br />\n<b>Warning</b>:  Undefined variable $x in <b>/var/www/api.php</b> on line <b>12</b><br />\n  {"error":"Order not found.","status":"104"}'), { error: 'Order not found.', status: '104' }, 'after a plain PHP warning')
  t.same(answer('Warning: something odd on line 3\n{"order":7}', 200, {}), { order: 7 }, 'after a plain-text warning line')
  t.equal(codeOf(() => answer(`${notice}`)), 'upstream_html_response', 'notices and no JSON')
  t.equal(codeOf(() => answer('<html><body><pre>{"order":1}</pre></body></html>')), 'upstream_html_response', 'JSON inside a page is no answer')
  t.equal(codeOf(() => answer('\n')), 'upstream_empty_response', 'a newline alone')
  t.equal(codeOf(() => answer('\n', 500)), 'upstream_server_error')
  t.equal(codeOf(() => answer('', 303, { location: '/maintenance' })), 'upstream_invalid_response')
  t.match(errorOf(() => answer('', 303, { location: '/maintenance' })).message, /maintenance/)
  t.equal(codeOf(() => answer('{"order": 5')), 'upstream_invalid_response', 'broken JSON labelled text/html is not an HTML page')
  t.equal(codeOf(() => answer('x{"order":5}', 200, {})), 'upstream_invalid_response', 'a start must follow a tag or a line break')
})

t.test('classify: a 4xx with an error body in any shape is the panel\'s refusal', async (t) => {
  const answer = (statusCode: number, body: string): unknown => classifyAnswer({ statusCode, headers: { 'content-type': 'text/html' }, body }, [KEY])
  const cases: Array<[number, string, string]> = [
    [400, '{"status":"error","message":"Invalid Interval in minutes"}', 'invalid_drip_feed'],
    [403, '{"error":"Invalid API key"}', 'upstream_auth_failed'],
    [422, '\n{\n    "success": false,\n    "message": "Quantity is required"\n}', 'missing_field'],
    [404, '{"error":"Order not found.","status":"104"}', 'not_found'],
    [400, '{"error":"Something new"}', 'upstream_refused'],
    [401, '{"error":"Something new"}', 'upstream_auth_failed'],
    [400, '<p>notice</p>\n{"error":"Bad link"}', 'invalid_link'],
    [403, '<html><body>The action you have requested is not allowed.</body></html>', 'upstream_html_response'],
    [404, '{"message":"Not found"}', 'upstream_error']
  ]
  for (const [status, body, code] of cases) t.equal(codeOf(() => answer(status, body)), code, `${status} ${body.slice(0, 40)}`)
})

t.test('classify: bounded work on huge bodies', async (t) => {
  const item = '{"service":"1","name":"Followers","category":"C","rate":"1.2500","min":"100","max":"10000","type":"default"}'
  const catalog = '\n[' + Array.from({ length: 200_000 }, () => item).join(',') + ']'
  t.ok(catalog.length > 20_000_000, `${Math.round(catalog.length / 1e6)} MB`)
  // Against one JSON.parse of the same bytes in the same run, not a wall-clock bound: a busy
  // machine slows both alike, while work that is not bounded (a parse per '{', a search of
  // 20 MB) is thousands of times that.
  const timed = (fn: () => unknown): number => { const at = performance.now(); fn(); return performance.now() - at }
  const baseline = Math.max(1, timed(() => JSON.parse(catalog.trim())))
  const within = (ms: number): boolean => ms < 50 * baseline
  let ms = timed(() => t.equal((classifyAnswer({ statusCode: 200, headers: {}, body: catalog }) as unknown[]).length, 200_000))
  t.ok(within(ms), `a 20 MB catalog parses once (${Math.round(ms)} ms; one JSON.parse ${Math.round(baseline)} ms)`)
  const hostile = '<p>' + '>\n{"a":'.repeat(3_000_000) + '}'
  ms = timed(() => t.equal(codeOf(() => classifyAnswer({ statusCode: 200, headers: {}, body: hostile })), 'upstream_html_response'))
  t.ok(within(ms), `20 MB of JSON starts are tried a bounded number of times (${Math.round(ms)} ms)`)
  const broken = catalog.slice(0, -1) + ',}'
  ms = timed(() => t.equal(codeOf(() => classifyAnswer({ statusCode: 200, headers: {}, body: broken })), 'upstream_invalid_response'))
  t.ok(within(ms), `a broken 20 MB catalog is not searched (${Math.round(ms)} ms)`)
})

t.test('null answers: the panel does not have the action, except for add', async (t) => {
  const cases: Array<[string, () => unknown]> = [
    ['services', () => normaliseServices(null)], ['status', () => normaliseStatus(null, 1)], ['statusMany', () => normaliseStatusMany(null, [1, 2])],
    ['refill', () => normaliseRefill(null, 1)], ['refillMany', () => normaliseRefillMany(null, [1])], ['refillStatus', () => normaliseRefillStatus(null, 1)],
    ['refillStatusMany', () => normaliseRefillStatusMany(null, [1])], ['cancel', () => normaliseCancel(null, [1])], ['balance', () => normaliseBalance(null)]
  ]
  for (const [name, fn] of cases) t.equal(codeOf(fn), 'upstream_action_unsupported', name)
  t.equal(codeOf(() => normaliseAdd(null)), 'upstream_invalid_response', 'add: the outcome is not known')
  t.equal(errorOf(() => normaliseCancel(null, [1])).statusCode, 501)
})

t.test('success wrappers are opened; the payload may sit under data', async (t) => {
  t.same(normaliseAdd({ status: 'success', order: 4 }), { order: 4 })
  t.same(normaliseAdd({ status: 100, order: '1005' }), { order: 1005 })
  t.same(normaliseAdd({ success: true, data: { order: 5 } }), { order: 5 })
  t.same(normaliseAdd({ status: '100', data: { order: '6' } }), { order: 6 })
  t.same(normaliseBalance({ status: 'success', balance: '100.0000', currency: 'USD' }), { balance: '100', currency: 'USD' })
  t.same(normaliseBalance({ status: 'success', data: { balance: '2.5', currency: 'EUR' } }), { balance: '2.5', currency: 'EUR' })
  t.same(normaliseStatus({ status: 'success', data: { status: 'Pending', charge: '1' } }, 1).status, 'Pending')
  t.same(normaliseStatus({ status: 'Success', charge: '1', remains: '0' }, 1).status, 'Success', 'with order fields, "Success" is the order\'s status')
  t.equal(normaliseStatusMany({ status: 'success', data: { 1: { status: 'Completed' } } }, [1, 2]).get(1)?.ok, true)
  t.same(normaliseRefill({ success: true, data: { refill: '3' } }, 1), { refill: 3 })
  t.same(normaliseRefillStatus({ status: 'success', data: { status: 'Completed' } }, 1), { status: 'Completed' })
  t.same(normaliseCancel({ status: 'success', data: [{ order: 1, cancel: 1 }] }, [1]).get(1), { ok: true, value: true })
  t.equal(codeOf(() => normaliseAdd({ success: true, data: { error: 'Bad link' } })), 'invalid_link', 'an error inside the wrapper')
  t.equal(codeOf(() => normaliseAdd({ status: 'success' })), 'upstream_invalid_response', 'a wrapper without an order: outcome unknown')
  t.equal(codeOf(() => normaliseBalance({ message: 'Unauthenticated.' })), 'upstream_auth_failed', 'an unexpected shape whose message we know')
})

t.test('services: an empty catalog in any shape is []', async (t) => {
  for (const body of [[], { data: [] }, { services: [] }, { status: 'success', data: 'Empty Data' }, { status: 'success', data: null }, { success: true, data: [] }, { data: 'No services found' }]) {
    t.same(normaliseServices(body), [], JSON.stringify(body))
  }
  t.equal(codeOf(() => normaliseServices({ data: 'hello' })), 'upstream_invalid_response', 'a string that says nothing of emptiness, without a success marker')
  t.equal(codeOf(() => normaliseServices({ status: 'error', message: 'Invalid API key' })), 'upstream_auth_failed')
})

t.test('services: SmartPanel and rental shapes', async (t) => {
  const smart = normaliseServices(json('[{"service":"1","name":"Likes","category":"\\ud83d\\udcac Comments","rate":"1.2500","min":"100","max":null,"type":"custom_comments","desc":"Real","dripfeed":"1"},{"service":"2","name":"P","category":"C","rate":"2","min":"1","max":"1","type":"mentions_with_hashtags","dripfeed":"0"}]'))
  t.same(smart[0], { id: 1, name: 'Likes', type: 'Custom Comments', panelType: 'custom_comments', category: '💬 Comments', rate: '1.25', min: 100, max: null, refill: null, cancel: null, dripfeed: true, description: 'Real' })
  t.same([smart[1]?.type, smart[1]?.dripfeed], ['Mentions with Hashtags', false])
  const rental = normaliseServices([{ service: 5, name: 'F', type: 'Default', category: 'C', rate: 0.5, min: 10, max: 1000, refill: 'true' }])
  t.same([rental[0]?.refill, rental[0]?.cancel, rental[0]?.dripfeed, rental[0]?.rate], [true, null, null, '0.5'])
})

t.test('status: numbers unquoted, start_count null, drip-feed and subscription extras', async (t) => {
  t.same(normaliseStatus({ charge: 0.09, start_count: 42, status: 'Inprogress', remains: 30, currency: 'USD' }, 1), { charge: '0.09', startCount: 42, status: 'Inprogress', remains: 30, currency: 'USD' })
  t.same(normaliseStatus({ order: '4', status: 'Pending', charge: '0.0600', start_count: null, remains: '0', currency: 'USD' }, 4), { charge: '0.06', startCount: null, status: 'Pending', remains: 0, currency: 'USD' })
  t.same(normaliseStatus({ status: 'In progress', runs: '3', orders: [] }, 1), { charge: null, startCount: null, status: 'In progress', remains: null, currency: null, runs: 3, orders: [] })
  t.same(normaliseStatus({ status: 'Active', runs: 3 }, 1).runs, 3)
  t.same(normaliseStatus({ status: 'Active', posts: 12 }, 1).posts, 12)
  t.equal(normaliseStatus({ status: 'Error' }, 1).status, 'Error', 'an order whose status is Error')
  t.equal(codeOf(() => normaliseStatus({ status: 'error', message: 'Incorrect order ID' }, 1)), 'not_found')
  const many = normaliseStatusMany(json('{"6":"Incorrect order ID","4":{"order":"4","status":"Pending","charge":"0.0600","start_count":null,"remains":"0","currency":"USD"}}'), [4, 6])
  t.equal(many.get(4)?.ok, true)
  const six = many.get(6)
  t.equal(six?.ok === false && six.error.code, 'not_found', 'a bare string item')
  t.equal(codeOf(() => normaliseStatusMany({ error: 'Order not found.', status: '104' }, [1, 2])), 'not_found', 'a refusal of the whole multi request')
})

t.test('cancel and refill: bare strings and reasons in item members', async (t) => {
  const cancels = normaliseCancel({ 1: 'Incorrect order ID', 2: 1, 3: { cancel: 'Not possible right now' } }, [1, 2, 3])
  t.equal(cancels.get(1)?.ok === false && cancels.get(1)?.ok === false && (cancels.get(1) as { error: GatewayError }).error.code, 'not_found')
  t.same(cancels.get(2), { ok: true, value: true })
  t.equal((cancels.get(3) as { error: GatewayError }).error.code, 'upstream_refused')
  t.equal((cancels.get(3) as { error: GatewayError }).error.outcomeUnknown, false)
  const refills = normaliseRefillMany({ 1: 'Refill is disabled for this service', 2: '7', 3: { refill: '0' } }, [1, 2, 3])
  t.equal((refills.get(1) as { error: GatewayError }).error.code, 'refill_not_allowed')
  t.same(refills.get(2), { ok: true, value: { refill: 7 } })
  t.equal((refills.get(3) as { error: GatewayError }).error.code, 'refill_not_allowed')
  t.equal(errorOf(() => normaliseRefill({ refill: '0' }, 1)).message, 'The panel did not create a refill for this order')
})

t.test('status vocabulary: spellings of order, subscription and refill statuses', async (t) => {
  const orders: Array<[string, string]> = [
    ['Pending', 'pending'], ['In progress', 'in_progress'], ['Inprogress', 'in_progress'], ['IN_PROGRESS', 'in_progress'],
    ['In progess', 'in_progress'], ['Processing', 'processing'], ['Completed', 'completed'], ['COMPLETED', 'completed'],
    ['Partial', 'partial'], ['PARTIALLY', 'partial'], ['Partially completed', 'partial'], ['Canceled', 'canceled'],
    ['Cancelled', 'canceled'], ['Refunded', 'refunded'], ['Error', 'failed'], ['Fail', 'failed'],
    ['Active', 'in_progress'], ['Paused', 'in_progress'], ['Expired', 'completed'], ['Queued', 'pending'],
    ['Canceled and refunded', 'canceled'], ['Something new', 'processing'],
    ['Cancelling', 'processing'], ['Completing', 'processing'], ['Refunding', 'processing']
  ]
  for (const [upstream, status] of orders) t.equal(orderStatusOf(upstream), status, upstream)
  const refills: Array<[string, string]> = [
    ['Pending', 'pending'], ['In progress', 'in_progress'], ['In progess', 'in_progress'], ['Completed', 'completed'],
    ['Rejected', 'rejected'], ['Canceled', 'rejected'], ['Error', 'failed'], ['Something new', 'in_progress']
  ]
  for (const [upstream, status] of refills) t.equal(refillStatusOf(upstream), status, upstream)
})

t.test('Retry-After: seconds or an HTTP date, clamped', async (t) => {
  const now = Date.parse('2025-01-01T00:00:00Z')
  t.equal(parseRetryAfter('5', now), 5)
  t.equal(parseRetryAfter(' 2.5 ', now), 2.5)
  t.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30)
  t.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0, 'a past date is 0')
  t.equal(parseRetryAfter('1000000', now), 3600)
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter('-5', now), undefined)
  t.equal(parseRetryAfter(undefined, now), undefined)
  t.equal(parseRetryAfter(['3', '9'], now), 3)
})

// A small deterministic PRNG (mulberry32): reproducible junk.
function prng (seed: number): () => number {
  let a = seed
  return () => {
    a |= 0
    a = (a + 0x6d2b79f5) | 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

const ATOMS: unknown[] = [
  null, true, false, 0, -1, 1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', ' ', '0', '1', 'true', 'yes', 'NaN',
  'Infinity', '$0.50', '10,000', ' 12 ', '1e999', 'x'.repeat(70_000), '\u0000', '<html>', 'Incorrect order ID',
  'Invalid API key', KEY, '__proto__', 'constructor', '1,2,3', '-0'
]
const NAMES = ['service', 'name', 'type', 'category', 'rate', 'min', 'max', 'refill', 'cancel', 'order', 'orders', 'status',
  'charge', 'start_count', 'remains', 'currency', 'runs', 'posts', 'balance', 'error', 'services', 'data', 'desc',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', '1', '2', '10', '100', 'message']

function junk (random: () => number, depth = 0): unknown {
  const pick = random()
  if (depth > 4 || pick < 0.4) return ATOMS[Math.floor(random() * ATOMS.length)]
  if (pick < 0.7) return Array.from({ length: Math.floor(random() * 5) }, () => junk(random, depth + 1))
  // Through JSON so `__proto__` becomes an own key, as it does in a parsed body.
  let text = '{'
  const n = Math.floor(random() * 6)
  for (let i = 0; i < n; i++) {
    const name = NAMES[Math.floor(random() * NAMES.length)] ?? 'x'
    text += (i > 0 ? ',' : '') + JSON.stringify(name) + ':' + JSON.stringify(junk(random, depth + 1) ?? null)
  }
  return JSON.parse(text + '}')
}

t.test('every normaliser returns or throws a GatewayError for any junk', async (t) => {
  const random = prng(20250101)
  const normalisers: Array<[string, (body: unknown) => unknown]> = [
    ['services', (b) => normaliseServices(b, [KEY])],
    ['add', (b) => normaliseAdd(b, [KEY])],
    ['status', (b) => normaliseStatus(b, 1, [KEY])],
    ['status (no id)', (b) => normaliseStatus(b, undefined, [KEY])],
    ['statusMany', (b) => normaliseStatusMany(b, [1, 2, 10], [KEY])],
    ['statusMany (one)', (b) => normaliseStatusMany(b, [1], [KEY])],
    ['refill', (b) => normaliseRefill(b, 1, [KEY])],
    ['refillMany', (b) => normaliseRefillMany(b, [1, 2], [KEY])],
    ['refillStatus', (b) => normaliseRefillStatus(b, 1, [KEY])],
    ['refillStatusMany', (b) => normaliseRefillStatusMany(b, [1, 2], [KEY])],
    ['cancel', (b) => normaliseCancel(b, [1, 2], [KEY])],
    ['cancel (one)', (b) => normaliseCancel(b, [1], [KEY])],
    ['balance', (b) => normaliseBalance(b, [KEY])],
    ['panelError', (b) => { throw panelError(b, [KEY]) }],
    ['decimal', (b) => toDecimalString(b)],
    ['integer', (b) => toInteger(b)],
    ['boolean', (b) => toBoolean(b)]
  ]
  const inputs: unknown[] = [...ATOMS, [], {}, Object.create(null), [[[[[]]]]], { error: { error: { error: 'x' } } }]
  for (let i = 0; i < 1500; i++) {
    const shape = random()
    if (shape < 0.3) inputs.push(junk(random))
    else if (shape < 0.5) inputs.push([junk(random), junk(random)])
    else if (shape < 0.7) inputs.push({ 1: junk(random), 2: junk(random) })
    else if (shape < 0.85) inputs.push({ services: [junk(random)], data: junk(random) })
    else inputs.push([{ order: 1, refill: junk(random), status: junk(random), cancel: junk(random) }, { refill: 2, status: junk(random) }])
  }
  let deep: unknown = 'Bad link'
  for (let i = 0; i < 100_000; i++) deep = [deep]
  inputs.push({ error: deep }, deep)
  const hostile = { get error (): unknown { throw new TypeError('getter') }, get status (): unknown { throw new TypeError('getter') } }
  inputs.push(hostile, [hostile], { 1: hostile })
  let bad = 0
  for (const input of inputs) {
    for (const [name, fn] of normalisers) {
      try {
        fn(input)
      } catch (err) {
        if (!(err instanceof GatewayError)) {
          bad++
          if (bad < 5) t.fail(`${name} threw ${String(err)} for ${JSON.stringify(input)?.slice(0, 200)}`)
        } else if (err.message.includes(KEY)) {
          bad++
          t.fail(`${name} leaked the key in "${err.message}"`)
        }
      }
    }
  }
  t.equal(bad, 0, `${inputs.length} inputs × ${normalisers.length} normalisers: only GatewayErrors`)
})

t.test('classify: a redirect\'s target (an internal host, a key in its query) is the operator\'s, never the tenant\'s', async (t) => {
  const location = `https://admin.panel.internal:8443/login?next=%2Fapi%2Fv2&key=${encodeURIComponent(KEY)}`
  for (const status of [301, 302, 303, 307, 308]) {
    const error = errorOf(() => classifyAnswer({ statusCode: status, headers: { location }, body: '' }, [KEY]))
    t.equal(error.code, 'upstream_invalid_response')
    t.equal(error.message, `The panel redirected (HTTP ${status}): check PANEL_URL`, `${status}: no target in the detail`)
    t.equal(error.operatorDetail, `The panel redirected (HTTP ${status} to https://admin.panel.internal:8443/login?next=%2Fapi%2Fv2&key=[redacted]): check PANEL_URL`, `${status}: the operator sees where, without the key`)
  }
  const maintenance = errorOf(() => classifyAnswer({ statusCode: 303, headers: { location: 'http://10.0.0.9/maintenance' }, body: '' }, [KEY]))
  t.equal(maintenance.message, 'The panel redirected (HTTP 303): it is in maintenance')
  t.match(maintenance.operatorDetail, /10\.0\.0\.9\/maintenance/)
})

t.test('successful answers: every panel string that reaches a response is scrubbed of the key', async (t) => {
  const spliced = `${KEY.slice(0, 9)}\u200b${KEY.slice(9)}`
  const [service] = normaliseServices([{
    service: 1,
    name: `Followers ${KEY}`,
    type: `Default ${KEY.toUpperCase()}`,
    category: `Instagram ${encodeURIComponent(KEY)}`,
    rate: '1.5',
    min: 10,
    max: 100,
    description: `${'x'.repeat(9995)} ${KEY}`
  }], [KEY])
  t.equal(service?.name, 'Followers [redacted]')
  t.equal(service?.panelType, 'Default [redacted]')
  t.equal(service?.category, 'Instagram [redacted]')
  t.notOk(service?.description?.toLowerCase().includes(KEY.slice(0, 4).toLowerCase()), 'a key cut at the description\'s bound leaves no piece')
  const status = normaliseStatus({ charge: '1', start_count: 3, status: `In progress ${spliced}`, remains: 5, currency: KEY }, 1, [KEY])
  t.equal(status.status, 'In progress [redacted]')
  t.equal(status.currency, '[redacted]', 'a currency is the key: 16 characters of it no more')
  const many = normaliseStatusMany({ 1: { charge: '1', status: 'Pending', currency: KEY.slice(0, 16) } }, [1], [KEY]).get(1)
  t.same(many?.ok === true ? many.value.currency : undefined, '[redacted]', 'multi status too')
  t.same(normaliseBalance({ balance: '10', currency: KEY.toUpperCase() }, [KEY]), { balance: '10', currency: '[redacted]' })
  t.same(normaliseRefillStatus({ status: `Completed ${KEY}` }, 1, [KEY]), { status: 'Completed [redacted]' })
  const refills = normaliseRefillStatusMany([{ refill: 1, status: KEY }], [1], [KEY]).get(1)
  t.same(refills?.ok === true ? refills.value : undefined, { status: '[redacted]' })
  t.equal(normaliseServices([{ service: 2, name: 'Likes', rate: '1', category: 'C' }], [KEY])[0]?.name, 'Likes', 'other text is kept')
})
