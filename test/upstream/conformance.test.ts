import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { GatewayError, type ErrorCode } from '../../src/problems/errors.js'
import { createPanelClient } from '../../src/upstream/client.js'
import type { ItemResult, PanelClient, PanelService } from '../../src/upstream/types.js'
import { RENTAL, SMARTPANEL, type RecordedAnswer } from '../fixtures/panel-answers.js'

// The recorded answers of two real panel scripts (panel-api-v2.md §3), replayed
// byte for byte by a loopback HTTP server and read through the real client.

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const KEY = 'conformance+KEY/0123456789abcdef'

interface Replay {
  url: string
  /** The answer for the next requests. */
  set: (answer: RecordedAnswer) => void
  hits: () => number
  forms: URLSearchParams[]
}

/** A panel on 127.0.0.1:0 replaying one recorded answer; `fixed` answers given paths whatever is set. */
async function replay (t: Test, path: string, fixed: Record<string, RecordedAnswer> = {}): Promise<Replay> {
  let current: RecordedAnswer | undefined
  const forms: URLSearchParams[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      forms.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
      const answer = fixed[req.url ?? ''] ?? current
      if (answer === undefined) {
        res.writeHead(599)
        res.end()
        return
      }
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${port}${path}`, set: (answer) => { current = answer }, hits: () => forms.length, forms }
}

function client (t: Test, url: string): PanelClient {
  const c = createPanelClient({ url, key: KEY, timeoutMs: 3000 })
  t.teardown(async () => await c.close())
  return c
}

function leaksKey (text: string): boolean {
  const lower = text.toLowerCase()
  return [KEY, encodeURIComponent(KEY)].some((form) => lower.includes(form.toLowerCase()))
}

interface Refusal { code: ErrorCode, outcomeUnknown?: boolean, detail?: RegExp, field?: string, hits?: number }

async function refusal (t: Test, panel: Replay, answer: RecordedAnswer, call: () => Promise<unknown>, expected: Refusal, name: string): Promise<GatewayError | undefined> {
  panel.set(answer)
  const before = panel.hits()
  try {
    await call()
    t.fail(`${name}: expected ${expected.code}`)
    return undefined
  } catch (err) {
    if (!(err instanceof GatewayError)) {
      t.fail(`${name}: not a GatewayError: ${String(err)}`)
      return undefined
    }
    t.equal(err.code, expected.code, `${name} → ${expected.code}`)
    t.equal(err.outcomeUnknown, expected.outcomeUnknown ?? false, `${name}: outcomeUnknown ${String(expected.outcomeUnknown ?? false)}`)
    if (expected.detail !== undefined) t.match(err.message, expected.detail, `${name}: detail`)
    if (expected.field !== undefined) t.same(err.extra, { field: expected.field }, `${name}: extra.field`)
    if (expected.hits !== undefined) t.equal(panel.hits() - before, expected.hits, `${name}: ${expected.hits} hit(s)`)
    t.notOk(leaksKey(`${err.message} ${JSON.stringify(err)} ${String((err.cause as Error | undefined)?.message ?? '')}`), `${name}: no key in the error`)
    return err
  }
}

async function value<T> (panel: Replay, answer: RecordedAnswer, call: () => Promise<T>): Promise<T> {
  panel.set(answer)
  return await call()
}

function itemCode<T> (result: ItemResult<T> | undefined): string | undefined {
  return result === undefined ? 'missing' : result.ok ? undefined : result.error.code
}

const ADD = { service: 1, link: 'https://instagram.com/p/abc', quantity: 100 }

t.test('SmartPanel: every answer of §3a through the real client', async (t) => {
  const panel = await replay(t, '/api/v1', { '/api/v2': SMARTPANEL.v2Forbidden })
  const c = client(t, panel.url)

  const services = await value(panel, SMARTPANEL.services, async () => await c.services())
  t.equal(services.length, 9, 'every entry read')
  const followers: PanelService = {
    id: 1,
    name: 'Instagram Followers',
    type: 'Default',
    panelType: 'default',
    category: '👥 Instagram Followers',
    rate: '1.25',
    min: 100,
    max: 10000,
    refill: null,
    cancel: null,
    dripfeed: true,
    description: 'Real accounts, 0-1 hour start'
  }
  t.same(services[0], followers)
  t.same(services[1]?.max, null, '"max": null is null')
  t.same(services.map((s) => s.type), ['Default', 'Custom Comments', 'Package', 'Custom Comments Package', 'Mentions with Hashtags', 'Comment Likes', 'Mentions Custom List', 'Mentions Hashtag', 'Subscriptions'])
  t.ok(services.every((s) => s.refill === null && s.cancel === null), 'no refill/cancel fields: unknown, not false')
  t.same(services.map((s) => s.dripfeed), [true, false, false, false, false, false, false, false, false])
  t.equal(services[2]?.description, undefined, 'an empty desc is no description')

  t.same(await value(panel, SMARTPANEL.servicesEmpty, async () => await c.services()), [], '{"status":"success","data":"Empty Data"} is an empty catalog')
  t.same(await value(panel, SMARTPANEL.balance, async () => await c.balance()), { balance: '100', currency: 'USD' })
  t.same(await value(panel, SMARTPANEL.add, async () => await c.add(ADD)), { order: 4 })
  t.same(await value(panel, SMARTPANEL.addAfterNotices, async () => await c.add(ADD)), { order: 20 }, 'JSON after PHP notices: the order was placed')
  t.same(await value(panel, SMARTPANEL.status, async () => await c.status(4)), { charge: '0.06', startCount: null, status: 'Pending', remains: 0, currency: 'USD' })
  t.same(await value(panel, SMARTPANEL.statusDripFeed, async () => await c.status(9)), { charge: null, startCount: null, status: 'In progress', remains: null, currency: null, runs: 3, orders: [] })

  const many = await value(panel, SMARTPANEL.statusMany, async () => await c.statusMany([4, 6]))
  t.same(many.get(4), { ok: true, value: { charge: '0.06', startCount: null, status: 'Pending', remains: 0, currency: 'USD' } })
  t.equal(itemCode(many.get(6)), 'not_found', 'a bare-string item: "Incorrect order ID"')

  await refusal(t, panel, SMARTPANEL.wrongKey, async () => await c.balance(), { code: 'upstream_auth_failed', detail: /check PANEL_KEY.*API is Disable for this user/, hits: 1 }, 'wrong or disabled key')
  await refusal(t, panel, SMARTPANEL.wrongKey, async () => await c.add(ADD), { code: 'upstream_auth_failed', hits: 1 }, 'wrong key on add')
  await refusal(t, panel, SMARTPANEL.intervalInvalid, async () => await c.add({ ...ADD, runs: 3, interval: 7 }), { code: 'invalid_drip_feed', detail: /Invalid Interval in minutes/, hits: 1 }, '{"status":"error","message":…}')
  await refusal(t, panel, SMARTPANEL.quantityRequired, async () => await c.add({ service: 3, link: 'https://instagram.com/p/abc' }), { code: 'missing_field', field: 'quantity', detail: /Quantity is required/ }, 'a package without quantity')

  // Once the panel said it lacks an action, the client answers so without asking again.
  const unsupported: Array<[string, () => Promise<unknown>, number]> = [
    ['refill', async () => await c.refill(4), 1],
    ['refill (multi)', async () => await c.refillMany([4, 5]), 0],
    ['refill_status', async () => await c.refillStatus(1), 1],
    ['refill_status (multi)', async () => await c.refillStatusMany([1, 2]), 0],
    ['cancel', async () => await c.cancel([4]), 1],
    ['cancel again', async () => await c.cancel([4]), 0]
  ]
  for (const [name, call, hits] of unsupported) {
    await refusal(t, panel, SMARTPANEL.actionInvalid, call, { code: 'upstream_action_unsupported', detail: /does not offer the .* action \(.*This action is Invalid/, hits }, `${name}: "This action is Invalid"`)
  }

  await refusal(t, panel, SMARTPANEL.addNewlineOnly, async () => await c.add(ADD), { code: 'upstream_empty_response', outcomeUnknown: true, hits: 1 }, '"\\n" alone to add (the order exists)')
  await refusal(t, panel, SMARTPANEL.databaseDown, async () => await c.balance(), { code: 'upstream_server_error', hits: 3 }, 'database down: a read is retried')
  await refusal(t, panel, SMARTPANEL.databaseDown, async () => await c.add(ADD), { code: 'upstream_server_error', outcomeUnknown: true, hits: 1 }, 'database down: add is not')
  await refusal(t, panel, SMARTPANEL.maintenance, async () => await c.services(), { code: 'upstream_invalid_response', detail: /maintenance/, hits: 1 }, '303 to /maintenance')

  const v2 = client(t, panel.url.replace('/api/v1', '/api/v2'))
  await refusal(t, panel, SMARTPANEL.v2Forbidden, async () => await v2.services(), { code: 'upstream_html_response', hits: 1 }, '/api/v2 on SmartPanel: 403 HTML')
  await refusal(t, panel, SMARTPANEL.v2Forbidden, async () => await v2.add(ADD), { code: 'upstream_html_response', outcomeUnknown: false, hits: 1 }, '403 HTML to add: not placed')

  for (const form of panel.forms) t.equal(form.get('key'), KEY, 'the key went as a form field')
})

t.test('rental panel: every answer of §3b through the real client', async (t) => {
  const panel = await replay(t, '/api/v2')
  const c = client(t, panel.url)

  const services = await value(panel, RENTAL.services, async () => await c.services())
  t.same(services[0], { id: 1, name: 'Instagram Followers', type: 'Default', panelType: 'Default', category: 'Instagram', rate: '0.9', min: 50, max: 10000, refill: true, cancel: null, dripfeed: null })
  t.same(services.map((s) => [s.refill, s.cancel, s.dripfeed]), [[true, null, null], [false, null, null], [true, null, null]], 'refill as "true"/"false"; no cancel or dripfeed keys: unknown')

  t.same(await value(panel, RENTAL.add, async () => await c.add(ADD)), { order: 1005 }, '{"status":100,"order":"1005"}')
  t.same(await value(panel, RENTAL.status, async () => await c.status(1005)), { charge: '0.09', startCount: 42, status: 'Inprogress', remains: 30, currency: 'USD' }, 'numbers unquoted')
  t.same(await value(panel, RENTAL.statusCanceled, async () => await c.status(1005)), { charge: '0', startCount: 0, status: 'Canceled', remains: 100, currency: 'USD' })
  t.same(await value(panel, RENTAL.statusDripFeed, async () => await c.status(1006)), { charge: null, startCount: null, status: 'Active', remains: null, currency: null, runs: 3 })
  t.same(await value(panel, RENTAL.statusSubscription, async () => await c.status(1007)), { charge: null, startCount: null, status: 'Active', remains: null, currency: null, posts: 12 })
  t.same(await value(panel, RENTAL.refill, async () => await c.refill(1005)), { refill: 5 })

  await refusal(t, panel, RENTAL.refillNothing, async () => await c.refill(1005), { code: 'refill_not_allowed', detail: /did not create a refill/, hits: 1 }, '{"refill":"0"}')
  await refusal(t, panel, RENTAL.keyInvalid, async () => await c.balance(), { code: 'upstream_auth_failed', detail: /API key invalid/, hits: 1 }, '"API key invalid", 102')
  await refusal(t, panel, RENTAL.accountInactive, async () => await c.services(), { code: 'upstream_auth_failed', detail: /Your account is inactive/ }, '"Your account is inactive", 103')
  await refusal(t, panel, RENTAL.orderNotFound, async () => await c.status(1), { code: 'not_found', detail: /Order not found/ }, '"Order not found.", 104')
  await refusal(t, panel, RENTAL.serviceInactive, async () => await c.add(ADD), { code: 'unknown_service', detail: /Service not found or inactive/ }, '"Service not found or inactive", 105')
  await refusal(t, panel, RENTAL.belowMinimum, async () => await c.add(ADD), { code: 'quantity_out_of_range', detail: /^The panel refused the quantity: Enter a value above the minimum number\.$/ }, '108')
  await refusal(t, panel, RENTAL.aboveMaximum, async () => await c.add(ADD), { code: 'quantity_out_of_range', detail: /Maximum number exceed/ }, '109')
  const funds = await refusal(t, panel, RENTAL.insufficientBalance, async () => await c.add(ADD), { code: 'upstream_insufficient_funds', detail: /Your balance is insufficient/ }, '113 (funds)')
  t.equal(funds?.statusCode, 402)
  await refusal(t, panel, RENTAL.duplicateLink, async () => await c.add(ADD), { code: 'duplicate_active_order', detail: /same link/ }, '113 (duplicate link)')

  // No multi forms: the whole request is refused, even for ids that exist; the client
  // then asks one id per call, and from then on at once.
  panel.set(RENTAL.orderNotFound)
  const perId: Array<[string, () => Promise<Map<number, { ok: boolean }>>, string, string[]]> = [
    ['status', async () => await c.statusMany([1005, 1006]), 'order', ['1005', '1006']],
    ['refill', async () => await c.refillMany([1005, 1006]), 'order', ['1005', '1006']],
    ['refill_status', async () => await c.refillStatusMany([5, 6]), 'refill', ['5', '6']]
  ]
  for (const [action, call, field, ids] of perId) {
    let before = panel.hits()
    const items = await call()
    t.same([...items.values()].map((item) => item.ok), [false, false], `${action}: each id has its own answer`)
    t.equal(panel.hits() - before, 3, `${action}: the multi form once, then one call per id`)
    t.same(panel.forms.slice(-2).map((form) => form.get(field)), ids)
    before = panel.hits()
    await call()
    t.equal(panel.hits() - before, 2, `${action}: learned, one call per id at once`)
  }

  await refusal(t, panel, RENTAL.unknownAction, async () => await c.cancel([1005]), { code: 'upstream_action_unsupported', hits: 1 }, 'cancel: "  null"')
  await refusal(t, panel, RENTAL.unknownAction, async () => await c.refillStatus(5), { code: 'upstream_action_unsupported', hits: 1 }, 'refill_status: "  null"')
  await refusal(t, panel, RENTAL.unknownAction, async () => await c.add(ADD), { code: 'upstream_invalid_response', outcomeUnknown: true, hits: 1 }, 'add: "  null" says nothing of the order')
})
