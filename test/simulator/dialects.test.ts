import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { request } from 'undici'
import { SERVICE_TYPES, startSimulator, type SimService, type Simulator } from '../../simulator/index.js'
import { call, control, send, simulator, type Answer } from './helper.js'

const LINK = 'https://instagram.com/p/Cx1'
const HTML = 'text/html; charset=UTF-8'
const NOTICE = '<div style="border:1px solid #990000;padding-left:20px;margin:0 0 10px 0;"><h4>A PHP Error was encountered</h4><p>Severity: 8192</p><p>Message: '

function service (fields: Partial<SimService> & Pick<SimService, 'service'>): SimService {
  return { name: 'Instagram Likes', type: 'Default', category: 'Instagram Likes', rate: '0.60', min: 10, max: 10000, refill: false, cancel: false, ...fields }
}

/** The JSON after the dialect's prefix (`\n` or two spaces), parsed; `start`, the prefix and content type checked on the way. */
function body (t: Tap, res: Answer, prefix: string, start = prefix): any {
  t.equal(res.status, 200)
  t.equal(res.headers['content-type'], HTML)
  t.ok(res.text.startsWith(start), `starts with ${JSON.stringify(start)}`)
  return JSON.parse(res.text.slice(prefix.length))
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

const smart = async (sim: Simulator, fields: Record<string, string | number>): Promise<string> => (await call(sim, fields)).text
const pretty = (value: unknown): string => `\n${JSON.stringify(value, null, 4)}`
const rental = async (sim: Simulator, fields: Record<string, string | number>): Promise<string> => (await call(sim, fields)).text

t.test('the default dialect is standard: sim.dialect, /api/v2, application/json', async (t) => {
  const sim = await simulator(t)
  t.equal(sim.dialect, 'standard')
  t.equal(sim.url, `${sim.origin}/api/v2`)
  t.equal((await call(sim, { action: 'balance' })).headers['content-type'], 'application/json')
  await t.rejects(startSimulator({ dialect: 'perfectpanel' as 'standard' }), RangeError)
  await t.rejects(startSimulator({ phpNotices: true }), RangeError, 'PHP notices are SmartPanel\'s')
  await t.rejects(startSimulator({ dialect: 'rental', quirks: { stringIds: true } }), RangeError, 'quirks are the standard dialect\'s')
})

t.test('smartpanel: the API is /api/v1; POST /api/v2 is a 403 HTML page and is not a call', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel' })
  t.equal(sim.dialect, 'smartpanel')
  t.equal(sim.url, `${sim.origin}/api/v1`)
  const v2 = await send(sim, { path: '/api/v2', body: `key=${sim.key}&action=balance` })
  t.equal(v2.status, 403)
  t.equal(v2.headers['content-type'], HTML)
  t.match(v2.text, /^\n<!DOCTYPE html>/)
  t.match(v2.text, /<p>The action you have requested is not allowed\.<\/p>/)
  t.equal(sim.calls(), 0)
  t.equal((await send(sim, { path: '/api/v1/', body: `key=${sim.key}&action=balance` })).status, 200, 'a trailing slash too')
})

t.test('smartpanel: every body is a newline then 4-space JSON as text/html; success wrappers with 4 decimals', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', balance: '100' })
  const balance = await call(sim, { action: 'balance' })
  t.equal(balance.status, 200)
  t.equal(balance.headers['content-type'], HTML)
  t.equal(balance.text, '\n{\n    "status": "success",\n    "balance": "100.0000",\n    "currency": "USD"\n}')
  t.equal(await smart(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), '\n{\n    "status": "success",\n    "order": 1\n}')
  t.equal(await smart(sim, { action: 'balance' }), pretty({ status: 'success', balance: '99.9100', currency: 'USD' }), '0.90 per 1000 × 100')
})

t.test('smartpanel: a wrong, missing or disabled key, a JSON body and a GET all get its wrong-key error', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel' })
  const refused = pretty({ error: 'API is Disable for this user or User Not Found! Contact the Support' })
  t.equal(await smart(sim, { key: 'nope', action: 'balance' }), refused)
  t.equal((await send(sim, { body: 'action=balance' })).text, refused)
  t.equal((await send(sim, { body: JSON.stringify({ key: sim.key, action: 'balance' }), contentType: 'application/json' })).text, refused)
  t.equal((await send(sim, { method: 'GET', path: `/api/v1?key=${sim.key}&action=balance`, contentType: null })).text, refused)
  sim.setAccountActive(false)
  t.equal(await smart(sim, { action: 'balance' }), refused)
  sim.setAccountActive(true)
  t.match(await smart(sim, { action: 'balance' }), /"status": "success"/)
})

t.test('smartpanel: unknown actions, refill, cancel and refill_status answer "This action is Invalid"', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', progressMs: 0 })
  await smart(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  const calls: Array<Record<string, string | number>> = [{ action: 'refill', order: 1 }, { action: 'refill', orders: '1' }, { action: 'cancel', orders: '1' }, { action: 'refill_status', refill: 1 }, { action: 'steal' }, {}]
  for (const fields of calls) {
    t.equal(await smart(sim, fields), pretty({ error: 'This action is Invalid' }), JSON.stringify(fields))
  }
})

t.test('smartpanel: services have string ids, snake types, a null max, no refill/cancel, a dripfeed flag, a desc and escaped emoji', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel' })
  const res = await call(sim, { action: 'services' })
  const services = body(t, res, '\n', '\n[\n    {\n        "service": "1",')
  t.match(res.text, /"category": "\\ud83d\\udcac Instagram Comments"/, 'non-ASCII written as \\uXXXX, as json_encode does')
  t.notOk(/[^\x00-\x7f]/.test(res.text), 'ASCII only') // eslint-disable-line no-control-regex
  t.same(services[0], {
    service: '1',
    name: 'Instagram Followers [Refill 30D]',
    category: '👥 Instagram Followers',
    rate: '0.9000',
    min: '50',
    max: '10000',
    type: 'default',
    desc: 'Start: 0-1 hours\nSpeed: up to 10,000/day\nRefill: 30 days',
    dripfeed: '1'
  })
  for (const s of services) {
    t.same(Object.keys(s), ['service', 'name', 'category', 'rate', 'min', 'max', 'type', 'desc', 'dripfeed'])
    if (typeof s.service !== 'string' || !/^\d+\.\d{4}$/.test(s.rate) || !['1', '0'].includes(s.dripfeed)) t.fail(`bad service ${JSON.stringify(s)}`)
  }
  t.same(new Set(services.map((s: { type: string }) => s.type)), new Set(SERVICE_TYPES.map((type) => type.toLowerCase().replaceAll(' ', '_'))))
  for (const type of ['default', 'custom_comments', 'package', 'custom_comments_package', 'mentions_with_hashtags', 'comment_likes', 'mentions_custom_list', 'mentions_hashtag', 'subscriptions']) {
    t.ok(services.some((s: { type: string }) => s.type === type), type)
  }
  t.ok(services.some((s: { max: unknown }) => s.max === null), 'max null for at least one service')
  t.ok(services.some((s: { dripfeed: string }) => s.dripfeed === '0'))
})

t.test('smartpanel: an empty catalog answers {"status":"success","data":"Empty Data"}', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', services: [] })
  t.equal(await smart(sim, { action: 'services' }), '\n{\n    "status": "success",\n    "data": "Empty Data"\n}')
})

t.test('smartpanel: multi-status items are objects, or bare strings for unknown ids, in the order asked', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', services: [service({ service: 1 })], progressMs: 60_000 })
  for (let i = 1; i <= 4; i++) await smart(sim, { action: 'add', service: 1, link: `${LINK}${i}`, quantity: 100 })
  const res = await call(sim, { action: 'status', orders: '6,4' })
  t.equal(res.text, '\n{\n    "6": "Incorrect order ID",\n    "4": {\n        "order": "4",\n        "status": "Pending",\n        "charge": "0.0600",\n' +
    '        "start_count": null,\n        "remains": "0",\n        "currency": "USD"\n    }\n}')
  sim.setOrderStatus(1, 'In progress', { remains: 40, startCount: 310 })
  t.same(body(t, await call(sim, { action: 'status', order: 1 }), '\n'), { order: '1', status: 'In progress', charge: '0.0600', start_count: '310', remains: '40', currency: 'USD' })
  t.same(body(t, await call(sim, { action: 'status', order: 99 }), '\n'), { error: 'Incorrect order ID' })
  t.same(body(t, await call(sim, { action: 'status', orders: 'x,1' }), '\n'), { x: 'Incorrect order ID', 1: { order: '1', status: 'In progress', charge: '0.0600', start_count: '310', remains: '40', currency: 'USD' } })
  t.equal(await smart(sim, { action: 'status' }), '\n', 'neither order nor orders: the script echoes nothing')
})

t.test('smartpanel: a drip-feed order\'s status is {"status":"In progress","runs":"3","orders":[]}', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', progressMs: 60_000 })
  t.same(body(t, await call(sim, { action: 'add', service: 1, link: LINK, quantity: 100, runs: 3, interval: 30 }), '\n'), { status: 'success', order: 1 })
  t.match(sim.order(1), { quantity: 300, runs: 3, interval: 30, charge: '0.2700' }, 'runs × quantity')
  t.equal(await smart(sim, { action: 'status', order: 1 }), '\n{\n    "status": "In progress",\n    "runs": "3",\n    "orders": []\n}')
  t.same(body(t, await call(sim, { action: 'status', orders: '1' }), '\n'), { 1: { status: 'In progress', runs: '3', orders: [] } })
})

t.test('smartpanel: drip-feed intervals other than 0, 5, 10, 15, 30, 60, 90 answer {"status":"error","message":"Invalid Interval in minutes"}', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', services: [service({ service: 1 }), service({ service: 2, dripfeed: false })] })
  for (const interval of [1, 7, 45, 120]) {
    t.equal(await smart(sim, { action: 'add', service: 1, link: LINK, quantity: 100, runs: 2, interval }), '\n{\n    "status": "error",\n    "message": "Invalid Interval in minutes"\n}', String(interval))
  }
  for (const interval of [0, 5, 10, 15, 30, 60, 90]) {
    t.match(body(t, await call(sim, { action: 'add', service: 1, link: `${LINK}${interval}`, quantity: 100, runs: 2, interval }), '\n'), { status: 'success' }, String(interval))
  }
  const refuse = async (fields: Record<string, string | number>): Promise<unknown> => body(t, await call(sim, { action: 'add', link: LINK, ...fields }), '\n')
  t.same(await refuse({ service: 1, quantity: 100, runs: 2 }), { error: 'Interval time is required' })
  t.same(await refuse({ service: 1, quantity: 100, interval: 5 }), { error: 'Runs is required' })
  t.same(await refuse({ service: 1, runs: 2, interval: 5 }), { error: 'Quantity is required' })
  t.same(await refuse({ service: 2, quantity: 100, runs: 2, interval: 5 }), { error: 'This services does not support Dripfeed feature!' })
  t.same(await refuse({ service: 1, quantity: 4000, runs: 3, interval: 5 }), { error: 'Quantity must to be less than or equal to maximum amount 10000' }, 'max is checked on the total')
})

t.test('smartpanel: add refusals in its wording; packages need quantity; comments split on newlines and commas', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel' })
  const add = async (fields: Record<string, string | number>): Promise<unknown> => body(t, await call(sim, { action: 'add', ...fields }), '\n')
  t.same(await add({ link: LINK, quantity: 100 }), { error: 'There are missing required parameters. Please check your API Manual' })
  t.same(await add({ service: 999, link: LINK, quantity: 100 }), { error: 'Service ID does not exists' })
  t.same(await add({ service: 1, quantity: 100 }), { error: 'Bad Link' })
  t.same(await add({ service: 1, link: LINK }), { error: 'Quantity is required' })
  t.same(await add({ service: 1, link: LINK, quantity: 10 }), { error: 'Quantity must to be greater than or equal to minimum amount 50' })
  t.same(await add({ service: 1, link: LINK, quantity: 10001 }), { error: 'Quantity must to be less than or equal to maximum amount 10000' })
  sim.setBalance('5')
  t.same(await add({ service: 3, link: LINK, quantity: 2000 }), { error: 'Not enough funds on balance' })
  sim.setBalance('0')
  t.same(await add({ service: 1, link: LINK, quantity: 0 }), { error: 'Quantity must to be greater than or equal to minimum amount 50' }, 'quantity before funds')
  sim.setBalance('1000')
  for (const packaged of [9, 19]) {
    t.same(await add({ service: packaged, link: LINK, comments: 'a\nb' }), { error: 'Quantity is required' }, `service ${packaged} without quantity`)
    const placed = await add({ service: packaged, link: LINK, quantity: 1, comments: 'a\nb' }) as { order: number }
    t.match(placed, { status: 'success', order: Number }, `service ${packaged} with quantity`)
  }
  t.same(await add({ service: 8, link: LINK }), { error: 'Comments field is required' })
  const { order } = await add({ service: 8, link: LINK, comments: 'Nice!\nGreat, thanks\r\nWow,Love it,So good,Amazing,Cool,Top,Best,Yes' }) as { order: number }
  t.equal(sim.order(order)?.quantity, 11, 'split on newlines and commas')
  const huge = await add({ service: 6, link: LINK, quantity: 50_000_000 })
  t.match(huge, { status: 'success' }, 'a service listed with max null has no maximum')
})

t.test('smartpanel: a charge below 0.00005 answers a newline alone with HTTP 200, yet the order exists', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', services: [service({ service: 1, rate: '0.0400', min: 1 })], balance: '10' })
  const res = await call(sim, { action: 'add', service: 1, link: LINK, quantity: 1 })
  t.equal(res.status, 200)
  t.equal(res.headers['content-type'], HTML)
  t.equal(res.text, '\n')
  t.match(sim.order(1), { link: LINK, quantity: 1, charge: '0.0000' }, 'placed')
  t.equal(await smart(sim, { action: 'balance' }), pretty({ status: 'success', balance: '10.0000', currency: 'USD' }), 'balance unchanged')
  t.same(body(t, await call(sim, { action: 'add', service: 1, link: LINK, quantity: 2 }), '\n'), { status: 'success', order: 2 }, '0.00008 rounds to 0.0001: answered')
})

t.test('smartpanel: phpNotices prints PHP error blocks before the JSON; the call is still carried out', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel', phpNotices: true })
  const res = await call(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  t.equal(res.status, 200)
  t.ok(res.text.startsWith(`\n${NOTICE}`), 'a newline, then the notices')
  const blocks = res.text.split(NOTICE).length - 1
  t.ok(blocks >= 1, `${blocks} notice blocks`)
  t.ok(res.text.endsWith('</div>\n{\n    "status": "success",\n    "order": 1\n}'), 'then the JSON')
  t.match(sim.order(1), { link: LINK, quantity: 100 })
  t.ok((await smart(sim, { key: 'nope', action: 'balance' })).includes(NOTICE), 'on refusals too')
  sim.setPhpNotices(false)
  t.equal(await smart(sim, { action: 'status', order: 1 }), pretty({ order: '1', status: 'Pending', charge: '0.0900', start_count: null, remains: '0', currency: 'USD' }))
  t.same((await control(sim, 'POST', '/_sim/php-notices', { enabled: true })).json(), { enabled: true })
  t.ok((await smart(sim, { action: 'balance' })).startsWith(`\n${NOTICE}`))
  t.equal((await control(sim, 'POST', '/_sim/php-notices', { enabled: 'yes' })).status, 400)
  const other = await simulator(t, { dialect: 'rental' })
  t.throws(() => other.setPhpNotices(true), RangeError)
  t.equal((await control(other, 'POST', '/_sim/php-notices', { enabled: true })).status, 400)
})

t.test('smartpanel: faults: wrong-key is its own body, server-error its database down, redirect its maintenance', async (t) => {
  const sim = await simulator(t, { dialect: 'smartpanel' })
  sim.setFault('wrong-key', { times: 1 })
  t.equal(await smart(sim, { action: 'balance' }), pretty({ error: 'API is Disable for this user or User Not Found! Contact the Support' }))
  sim.setFault('server-error', { times: 1 })
  const down = await call(sim, { action: 'balance' })
  t.same([down.status, down.text], [500, '\n'])
  sim.setFault('redirect', { times: 1 })
  const maintenance = await call(sim, { action: 'balance' })
  t.same([maintenance.status, maintenance.headers.location], [303, '/maintenance'])
  const page = await send(sim, { method: 'GET', path: '/maintenance', contentType: null })
  t.same([page.status, page.headers['content-type']], [200, HTML])
  t.match(page.text, /maintenance/i)
  sim.setFault('html', { times: 1 })
  t.match((await call(sim, { action: 'balance' })).text, /Just a moment/, 'the common faults stay')
})

t.test('rental: /api/v2, two spaces then compact JSON as text/html; an unknown action and cancel answer "  null"', async (t) => {
  const sim = await simulator(t, { dialect: 'rental', balance: '100' })
  t.equal(sim.dialect, 'rental')
  t.equal(sim.url, `${sim.origin}/api/v2`)
  const balance = await call(sim, { action: 'balance' })
  t.same([balance.status, balance.headers['content-type'], balance.text], [200, HTML, '  {"balance":100.0,"currency":"USD"}'])
  const calls: Array<Record<string, string | number>> = [{ action: 'steal' }, { action: 'cancel', orders: '1001' }, { action: 'cancel', order: 1001 }]
  for (const fields of calls) {
    t.equal(await rental(sim, fields), '  null', JSON.stringify(fields))
  }
})

t.test('rental: key errors carry codes 101, 102 and 103; a disabled account is an option, a method and a control route', async (t) => {
  const sim = await simulator(t, { dialect: 'rental', accountActive: false })
  t.equal(await rental(sim, { action: 'balance' }), '  {"error":"Your account is inactive","status":"103"}')
  sim.setAccountActive(true)
  t.equal(await rental(sim, { key: 'nope', action: 'balance' }), '  {"error":"API key invalid","status":"102"}')
  t.equal(await rental(sim, {}), '  {"error":"Missing data","status":"101"}')
  t.equal((await send(sim, { body: 'action=balance' })).text, '  {"error":"Missing data","status":"101"}')
  t.same((await control(sim, 'POST', '/_sim/account', { active: false })).json(), { active: false })
  t.equal(await rental(sim, { action: 'balance' }), '  {"error":"Your account is inactive","status":"103"}')
  await control(sim, 'POST', '/_sim/account', { active: true })
  t.equal(await rental(sim, { action: 'balance' }), '  {"balance":1000.0,"currency":"USD"}')
  t.equal((await send(sim, { method: 'GET', path: `/api/v2?key=${sim.key}&action=balance`, contentType: null })).text, '  {"balance":1000.0,"currency":"USD"}', 'key and action may come as GET parameters')
  sim.setFault('wrong-key', { times: 1 })
  t.equal(await rental(sim, { action: 'balance' }), '  {"error":"API key invalid","status":"102"}', 'fault wrong-key')
})

t.test('rental: add answers {"status":100,"order":"1001"}, or its errors with numeric codes', async (t) => {
  const sim = await simulator(t, { dialect: 'rental', balance: '2', rejectDuplicateLinks: true })
  t.equal(await rental(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), '  {"status":100,"order":"1001"}')
  t.equal(await rental(sim, { action: 'add', service: 999, link: LINK, quantity: 100 }), '  {"error":"Service not found or inactive","status":"105"}')
  t.equal(await rental(sim, { action: 'add', service: 1, link: LINK, quantity: 10 }), '  {"error":"Enter a value above the minimum number.","status":108}')
  t.equal(await rental(sim, { action: 'add', service: 1, link: LINK, quantity: 10001 }), '  {"error":"Maximum number exceed.","status":109}')
  t.equal(await rental(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), '  {"error":"You cannot start a new order with the same link that is active processing order.","status":113}')
  t.equal(await rental(sim, { action: 'add', service: 3, link: LINK, quantity: 1000 }), '  {"error":"Your balance is insufficient.","status":113}')
  t.equal(await rental(sim, { action: 'add', service: 1, quantity: 100 }), '  {"error":"You must fill in the required fields.","status":107}')
  t.equal(await rental(sim, { action: 'add', service: 1, link: `${LINK}2`, quantity: 100, runs: 3 }), '  {"error":"You must fill in the required fields.","status":107}', 'runs without interval')
})

t.test('rental: Custom Comments, Package and Custom Comments Package need quantity, checked before the lines are counted; Subscriptions need a link', async (t) => {
  const sim = await simulator(t, { dialect: 'rental' })
  const add = async (fields: Record<string, string | number>): Promise<string> => await rental(sim, { action: 'add', link: LINK, ...fields })
  const tooFew = '  {"error":"Enter a value above the minimum number.","status":108}'
  t.equal(await add({ service: 8, comments: 'a\nb\nc' }), tooFew, 'Custom Comments without quantity')
  t.equal(await add({ service: 8, comments: 'a\nb\nc', quantity: 5 }), tooFew, 'quantity under min 10, whatever the lines')
  t.equal(await add({ service: 8, comments: 'a\nb\nc', quantity: 10 }), '  {"status":100,"order":"1001"}', 'quantity in range, 3 lines')
  t.equal(sim.order(1001)?.quantity, 3, 'one unit per comment line')
  t.equal(await add({ service: 19 }), tooFew, 'Package without quantity')
  t.equal(await add({ service: 19, quantity: 1 }), '  {"status":100,"order":"1002"}')
  t.equal(await add({ service: 9, comments: 'a\nb' }), tooFew, 'Custom Comments Package without quantity')
  t.equal(await add({ service: 9, comments: 'a\nb', quantity: 1 }), '  {"status":100,"order":"1003"}')
  const required = '  {"error":"You must fill in the required fields.","status":107}'
  t.equal(await rental(sim, { action: 'add', service: 18, username: 'someone', min: 100, max: 200, delay: 0 }), required, 'a subscription with a username alone')
  t.equal(await add({ service: 18, username: 'someone', min: 100, max: 200, delay: 0, posts: 12 }), '  {"status":100,"order":"1004"}')
})

t.test('rental: status works for order= only: unquoted numbers and its statuses; drip-feed runs and subscription posts', async (t) => {
  const sim = await simulator(t, { dialect: 'rental', progressMs: 60_000 })
  await rental(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  sim.setOrderStatus(1001, 'In progress', { remains: 30, startCount: 42 })
  t.equal(await rental(sim, { action: 'status', order: 1001 }), '  {"charge":0.09,"start_count":42,"status":"Inprogress","remains":30,"currency":"USD"}')
  for (const [status, written] of [['Pending', 'Pending'], ['Partial', 'Partial'], ['Completed', 'Completed'], ['Canceled', 'Canceled']] as const) {
    sim.setOrderStatus(1001, status)
    t.match(JSON.parse((await rental(sim, { action: 'status', order: 1001 })).slice(2)), { status: written }, status)
  }
  const notFound = '  {"error":"Order not found.","status":"104"}'
  t.equal(await rental(sim, { action: 'status', orders: '1001' }), notFound, 'orders= is ignored, even for an order that exists')
  t.equal(await rental(sim, { action: 'status', orders: '1001,1002' }), notFound)
  t.equal(await rental(sim, { action: 'status', order: 5 }), notFound)
  await rental(sim, { action: 'add', service: 1, link: `${LINK}2`, quantity: 100, runs: 3, interval: 10 })
  t.equal(await rental(sim, { action: 'status', order: 1002 }), '  {"status":"Active","runs":3}')
  await rental(sim, { action: 'add', service: 18, link: 'someone', username: 'someone', min: 100, max: 200, posts: 12 })
  t.equal(await rental(sim, { action: 'status', order: 1003 }), '  {"status":"Active","posts":12}')
})

t.test('rental: refill answers {"refill":"N"}, or {"refill":"0"} when it did nothing; refill_status single form only', async (t) => {
  const sim = await simulator(t, { dialect: 'rental', progressMs: 60_000 })
  await rental(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  await rental(sim, { action: 'add', service: 2, link: LINK, quantity: 100 })
  t.equal(await rental(sim, { action: 'refill', order: 1001 }), '  {"refill":"0"}', 'not completed')
  sim.setOrderStatus(1001, 'Completed')
  sim.setOrderStatus(1002, 'Completed')
  t.equal(await rental(sim, { action: 'refill', order: 1002 }), '  {"refill":"0"}', 'the service has no refill')
  t.equal(await rental(sim, { action: 'refill', order: 1001 }), '  {"refill":"1"}')
  const notFound = '  {"error":"Order not found.","status":"104"}'
  t.equal(await rental(sim, { action: 'refill', orders: '1001' }), notFound)
  t.equal(await rental(sim, { action: 'refill', order: 7 }), notFound)
  t.equal(await rental(sim, { action: 'refill_status', refill: 1 }), '  {"status":"Pending"}')
  t.equal(await rental(sim, { action: 'refill_status', refills: '1' }), notFound)
})

t.test('rental: services have refill "true"/"false" and no cancel or dripfeed keys', async (t) => {
  const sim = await simulator(t, { dialect: 'rental' })
  const services = body(t, await call(sim, { action: 'services' }), '  ', '  [{"rate":0.9,"service":1,')
  t.same(services[0], { rate: 0.9, service: 1, category: 'Instagram Followers', name: 'Instagram Followers [Refill 30D]', type: 'Default', min: 50, max: 10000, desc: 'Start: 0-1 hours\nSpeed: up to 10,000/day\nRefill: 30 days', refill: 'true' })
  for (const s of services) {
    if (!['true', 'false'].includes(s.refill) || 'cancel' in s || 'dripfeed' in s) t.fail(`bad service ${JSON.stringify(s)}`)
  }
  t.ok(services.some((s: { refill: string }) => s.refill === 'false'))
})

t.test('control routes and faults work in every dialect', async (t) => {
  for (const dialect of ['standard', 'smartpanel', 'rental'] as const) {
    const sim = await simulator(t, { dialect })
    await call(sim, { action: 'balance' })
    await call(sim, { action: 'services' })
    t.same((await control(sim, 'GET', '/_sim/calls')).json(), { total: 2, byAction: { balance: 1, services: 1 } }, dialect)
    t.same((await control(sim, 'POST', '/_sim/balance', { balance: '5' })).json(), { balance: '5' })
    t.match((await call(sim, { action: 'balance' })).text, /5\.0/)
    await control(sim, 'POST', '/_sim/fault', { fault: 'rate-limit', times: 1 })
    t.equal((await call(sim, { action: 'balance' })).status, 429, `${dialect}: rate-limit`)
    sim.setFault('reset-after', { times: 1 })
    await t.rejects(call(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), { code: 'ECONNRESET' })
    t.ok(sim.callLog().some((c) => c.action === 'add'))
    t.match(sim.order(dialect === 'standard' ? 23501 : dialect === 'smartpanel' ? 1 : 1001), { link: LINK }, `${dialect}: reset-after placed the order`)
    const quirks = await control(sim, 'POST', '/_sim/quirks', { stringIds: true })
    t.equal(quirks.status, dialect === 'standard' ? 200 : 400, `${dialect}: quirks`)
  }
})

t.test('main.ts: SIM_DIALECT picks the dialect; an invalid one is one clear line and exit 1', async (t) => {
  const main = fileURLToPath(new URL('../../simulator/main.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, SIM_PORT: '0', SIM_DIALECT: 'smartpanel', SIM_PHP_NOTICES: '1' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), 8000)
  t.teardown(() => { clearTimeout(killer); child.kill('SIGKILL') })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /(http:\/\/127\.0\.0\.1:\d+\/api\/v1)/.exec(out)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', () => reject(new Error(`exited early: ${out}`)))
  })
  t.match(out, /\(smartpanel\)/)
  const res = await request(url, { method: 'POST', body: 'key=sim-secret-key&action=balance', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.ok((await res.body.text()).startsWith(`\n${NOTICE}`), 'SIM_PHP_NOTICES=1')
  child.kill('SIGTERM')
  t.equal((await once(child, 'exit'))[0], 0)

  for (const [env, line] of [[{ SIM_DIALECT: 'perfectpanel' }, /^SIM_DIALECT must be one of standard, smartpanel, rental, got "perfectpanel"\n$/], [{ SIM_DIALECT: 'rental', SIM_PHP_NOTICES: '1' }, /^SIM_PHP_NOTICES needs SIM_DIALECT=smartpanel\n$/]] as const) {
    const bad = spawn(process.execPath, ['--import', 'tsx', main], { env: { ...process.env, SIM_PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    bad.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
    const [code] = await once(bad, 'exit')
    t.equal(code, 1)
    t.match(err, line)
  }
})
