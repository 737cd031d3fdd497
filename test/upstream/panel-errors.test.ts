import fc from 'fast-check'
import t from 'tap'
import { ERRORS, type ErrorCode } from '../../src/problems/errors.js'
import {
  PANEL_ERRORS, errorBodyOf, fieldOf, findPanelErrorRule, itemTextError, normaliseMessage, panelError,
  panelErrorTable, recognisedPanelError
} from '../../src/upstream/panel-errors.js'
import { cleanText, operatorText, scrubSecrets } from '../../src/upstream/scrub.js'

const KEY = 'k3y+SECRET/=&%0123456789abcdef'

// Each family with several wordings: the documented ones, the real panels' ones (panel-api-v2.md §3),
// and wordings that appear nowhere in the code, to show the patterns generalise.
const FAMILIES: Record<string, [ErrorCode, string[]]> = {
  credentials: ['upstream_auth_failed', [
    'Invalid API key', 'API key invalid', 'API is Disable for this user or User Not Found! Contact the Support',
    'Your account is inactive', 'Account suspended', 'Your account has been banned.', 'User is blocked',
    'User not found', 'Unauthorized', 'Unauthenticated.', 'The API key is wrong', 'Key is expired',
    'Wrong API-Key!', 'api_key is not valid', 'Your API access has been disabled', 'This account was deactivated',
    'Authentication failed', 'error.invalid_api_key', 'Invalid token'
  ]],
  'rate limit': ['upstream_rate_limited', [
    'Too many requests', 'Rate limit exceeded', 'You are being rate-limited', 'Too many attempts, slow down',
    'Request limit reached', 'Throttled: try again in 30 seconds'
  ]],
  'unsupported action': ['upstream_action_unsupported', [
    'This action is Invalid', 'Incorrect action', 'Invalid action', 'Unknown action', 'Action not supported',
    'action not allowed', 'The requested action does not exist', 'Unsupported action: cancel', 'Undefined API method'
  ]],
  'duplicate link': ['duplicate_active_order', [
    'You have active order with this link. Please wait until order being completed.',
    'You cannot start a new order with the same link that is active processing order.',
    'neworder.error.link_duplicate', 'You already have an active order for this link', 'already have an active order',
    'Duplicate link', 'An order with the same URL is still in progress'
  ]],
  funds: ['upstream_insufficient_funds', [
    'Not enough funds on balance', 'Your balance is insufficient.', 'insufficient balance', 'low balance',
    "You don't have enough funds", 'neworder.error.not_enough_funds', 'Insufficient funds!', 'Balance too low for this order',
    'You do not have sufficient credit', 'Your balance is less than the order charge', 'You have run out of balance'
  ]],
  'drip-feed': ['invalid_drip_feed', [
    'Invalid Interval in minutes', 'Incorrect runs', 'Incorrect interval', 'drip-feed is not allowed for this service',
    'Dripfeed disabled for this service', 'runs must be at least 2', 'Interval must be between 5 and 60',
    'This service does not support drip feed', 'neworder.error.runs'
  ]],
  'refill not found': ['not_found', ['Refill not found', 'Invalid refill ID', 'Refill #12 does not exist', 'No such refill']],
  'order not completed': ['order_not_completed', [
    'The order is not completed', 'Order not completed yet', 'Refill is only available for completed orders',
    'The order has not been completed'
  ]],
  'refill not allowed': ['refill_not_allowed', [
    'Refill is disabled for this service', 'Refill not available', 'This order cannot be refilled',
    'Refill period has expired', 'A refill was already requested for this order', 'This service does not support refill'
  ]],
  'cancel not allowed': ['cancel_not_allowed', [
    'Cancel is disabled for this service', 'The order can not be canceled', 'This order cannot be canceled',
    "Order can't be cancelled", 'Cancellation is not available for this service', 'Canceling not allowed'
  ]],
  quantity: ['quantity_out_of_range', [
    'Quantity less than minimal 50', 'Quantity more than maximum 10000', 'Enter a value above the minimum number.',
    'Maximum number exceed.', 'Min quantity is 100', 'quantity must be between 100 and 5000', 'Quantity is too low',
    'Quantity is too high', 'neworder.error.min_quantity', 'neworder.error.max_quantity', 'Minimum quantity: 10',
    'The quantity exceeds the maximum allowed', 'Invalid quantity', 'Please enter a valid quantity', 'Enter a value below the maximum number.'
  ]],
  link: ['invalid_link', [
    'Bad link', 'neworder.error.link', 'Invalid link', 'The URL is not valid', 'Link format is incorrect',
    'Please enter a valid link', 'Incorrect URL'
  ]],
  'unknown service': ['unknown_service', [
    'Incorrect service ID', 'error.incorrect_service_id', 'Service not found or inactive', 'Service is disabled',
    'service is not active', 'Service does not exist', 'Invalid service', 'Unknown service 77', 'neworder.error.service',
    'No such service', 'This service has been removed'
  ]],
  'order not found': ['not_found', [
    'Incorrect order ID', 'Order not found.', 'invalid order id', 'order does not exist', 'Order #123 was not found',
    'No such order', 'Wrong order number'
  ]],
  'missing field': ['missing_field', [
    'Quantity is required', 'Link is required', 'missing parameter quantity', 'please fill the link',
    'Please enter the comments', 'The comments field is required.', 'Required parameter missing: usernames',
    'Username cannot be empty', 'neworder.error.quantity_required'
  ]],
  'bad request': ['upstream_bad_request', ['Incorrect request', 'Invalid request', 'Bad request', 'Invalid parameters']]
}

t.test('every family is recognised in many wordings, any case and spacing', async (t) => {
  for (const [family, [code, wordings]] of Object.entries(FAMILIES)) {
    t.ok(PANEL_ERRORS.some((rule) => rule.family === family && rule.code === code), `family "${family}" exists`)
    for (const wording of wordings) {
      t.equal(findPanelErrorRule(wording)?.family, family, `"${wording}" is ${family}`)
      const error = panelError(wording, [KEY])
      t.equal(error.code, code, `"${wording}" → ${code}`)
      t.equal(error.statusCode, ERRORS[code].status)
      t.equal(panelError(`  ${wording.toUpperCase()}\n`).code, code, `"${wording}" upper case`)
    }
  }
  for (const rule of PANEL_ERRORS) {
    t.ok(rule.examples.length > 0, `${rule.family} documents examples`)
    for (const example of rule.examples) t.equal(findPanelErrorRule(example)?.family, rule.family, `example "${example}"`)
  }
  t.equal(panelErrorTable().length, PANEL_ERRORS.reduce((n, rule) => n + rule.examples.length, 0), 'a docs row per example')
})

t.test('texts that are not refusals of a known family match none', async (t) => {
  const none = [
    'Order placed', 'Success', 'OK', 'Order created successfully', 'Your order has been received', 'Pending',
    'Completed', 'In progress', 'Thank you', '', '   ', '12345', 'Service is on maintenance',
    'Instagram account is private', 'Target account is suspended', 'Instagram user not found',
    'Something went wrong', 'Please try later'
  ]
  for (const text of none) t.equal(findPanelErrorRule(text), undefined, JSON.stringify(text))
  for (const text of ['Target account is suspended', 'Instagram user not found']) {
    t.not(panelError(text).code, 'upstream_auth_failed', `"${text}" is about the target, not the gateway's credentials (it would open the breaker)`)
  }
})

t.test('the panel\'s text is kept in every detail, scrubbed', async (t) => {
  t.equal(panelError('Enter a value above the minimum number.').message, 'The panel refused the quantity: Enter a value above the minimum number.')
  t.equal(panelError('Service not found or inactive').message, 'The panel does not know this service or has disabled it: Service not found or inactive')
  for (const [, [, wordings]] of Object.entries(FAMILIES)) {
    for (const wording of wordings) t.ok(panelError(wording).message.includes(cleanText(wording)), `detail keeps "${wording}"`)
  }
  const echoed = [`Invalid API key ${KEY}`, `Bad link ${encodeURIComponent(KEY)}`, `Unknown thing ${KEY.toUpperCase()}`, `x ${new URLSearchParams({ k: KEY }).toString().slice(2)}`]
  for (const text of echoed) {
    const error = panelError(text, [KEY])
    const lower = error.message.toLowerCase()
    t.notOk([KEY, encodeURIComponent(KEY)].some((form) => lower.includes(form.toLowerCase())), `no key in "${error.message}"`)
    t.match(error.message, /\[redacted\]/)
  }
  t.equal(scrubSecrets(`a ${KEY} b`, [KEY]), 'a [redacted] b')
  const body = errorBodyOf({ status: 'error', message: `Invalid API key: ${KEY}`, code: 7 }, [KEY])
  t.notMatch(body?.message ?? '', KEY)
  t.equal(body?.code, 'upstream_auth_failed')
})

t.test('unrecognised refusals are upstream_refused (422), with or without text', async (t) => {
  const plain = panelError('Service is on maintenance')
  t.equal(plain.code, 'upstream_refused')
  t.equal(plain.statusCode, 422)
  t.equal(plain.message, 'The panel refused the request: Service is on maintenance')
  t.equal(panelError('').code, 'upstream_refused')
  t.match(panelError('').message, /without saying why/)
  t.equal(panelError(true).code, 'upstream_refused')
  t.match(panelError('Whatever', [], { code: 113 }).message, /code 113/, 'an unmapped code is shown')
  t.equal(panelError('Whatever', [], { code: 113 }).code, 'upstream_refused', '113 is ambiguous: no fallback')
})

t.test('numeric codes are a fallback when the text is not recognised', async (t) => {
  const fallbacks: Array<[number, ErrorCode]> = [[102, 'upstream_auth_failed'], [103, 'upstream_auth_failed'], [104, 'not_found'], [105, 'unknown_service'], [108, 'quantity_out_of_range'], [109, 'quantity_out_of_range']]
  for (const [code, expected] of fallbacks) {
    t.equal(panelError('Ошибка', [], { code }).code, expected, `${code} with an unknown text`)
    t.equal(errorBodyOf({ error: 'Ошибка', status: String(code) })?.code, expected, `"status":"${code}" beside error`)
    t.equal(errorBodyOf({ error: 'Ошибка', status: code })?.code, expected, `"status":${code} beside error`)
    t.equal(errorBodyOf({ error: 'Ошибка', code })?.code, expected, `"code":${code}`)
    t.equal(errorBodyOf({ error: { code, message: '' } })?.code, expected, `{"error":{"code":${code}}}`)
  }
  t.equal(errorBodyOf({ error: 'Your balance is insufficient.', status: 113 })?.code, 'upstream_insufficient_funds', '113: text decides')
  t.equal(errorBodyOf({ error: 'You cannot start a new order with the same link that is active processing order.', status: 113 })?.code, 'duplicate_active_order', '113: text decides')
  t.equal(errorBodyOf({ error: 'Incorrect service ID', status: '104' })?.code, 'unknown_service', 'the text wins over the code')
  t.equal(errorBodyOf({ error: 'Oops' }, [], { httpStatus: 401 })?.code, 'upstream_auth_failed', 'HTTP 401 falls back to credentials')
})

t.test('error bodies in every shape', async (t) => {
  const shapes: Array<[unknown, ErrorCode]> = [
    [{ error: 'Incorrect order ID' }, 'not_found'],
    [{ error: { message: 'Bad link' } }, 'invalid_link'],
    [{ error: ['Invalid API key'] }, 'upstream_auth_failed'],
    [{ error: true, message: 'Not enough funds on balance' }, 'upstream_insufficient_funds'],
    [{ error: true }, 'upstream_refused'],
    [{ error: 1, msg: 'Quantity is required' }, 'missing_field'],
    [{ status: 'error', message: 'Invalid Interval in minutes' }, 'invalid_drip_feed'],
    [{ status: 'Error', msg: 'Service is disabled' }, 'unknown_service'],
    [{ status: 'fail', description: 'Invalid link' }, 'invalid_link'],
    [{ status: 'failed', error_message: 'Too many requests' }, 'upstream_rate_limited'],
    [{ status: 'error' }, 'upstream_refused'],
    [{ status: false, message: 'Unauthorized' }, 'upstream_auth_failed'],
    [{ status: 'error', data: 'Order not found' }, 'not_found'],
    [{ success: false, message: 'Invalid service' }, 'unknown_service'],
    [{ success: false }, 'upstream_refused'],
    [{ success: 'false', error: '' }, 'upstream_refused'],
    [{ errors: { quantity: ['The quantity must be between 10 and 100.'] } }, 'quantity_out_of_range'],
    [{ errors: ['Link is required'] }, 'missing_field']
  ]
  for (const [body, code] of shapes) t.equal(errorBodyOf(body, [KEY])?.code, code, JSON.stringify(body))
  const notErrors: unknown[] = [
    { status: 'success', order: 4 }, { status: 100, order: '1005' }, { status: 'Pending', charge: '1' }, { success: true, data: [] },
    { error: false }, { error: null }, { error: '' }, { error: 0 }, { status: 102 }, { balance: '1' }, [], null, 'Incorrect order ID',
    { status: 'Completed' }, { status: 'Error', charge: '0.5', remains: '10' }
  ]
  for (const body of notErrors) t.equal(errorBodyOf(body), undefined, `${JSON.stringify(body)} is no error body`)
  t.equal(errorBodyOf({ status: 'Error' }, [], { statusAnswer: true }), undefined, 'in a status answer, "Error" alone is the order\'s status')
  t.equal(errorBodyOf({ status: 'Error' })?.code, 'upstream_refused', 'elsewhere it marks an error')
  t.equal(errorBodyOf({ status: 'error', message: 'Incorrect order ID' }, [], { statusAnswer: true })?.code, 'not_found', 'with a message it is an error anywhere')
})

t.test('bare strings as batch items are refusals; ids and empty strings are not', async (t) => {
  t.equal(itemTextError('Incorrect order ID')?.code, 'not_found')
  t.equal(itemTextError('Nope, not today')?.code, 'upstream_refused')
  t.equal(itemTextError('12'), undefined)
  t.equal(itemTextError(''), undefined)
  t.equal(itemTextError(5), undefined)
  t.equal(recognisedPanelError('Order placed'), undefined, 'only a known family')
  t.equal(recognisedPanelError('Unauthenticated.')?.code, 'upstream_auth_failed')
})

t.test('missing_field names the field in extra.field when it can be read', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['Quantity is required', 'quantity'], ['Link is required', 'link'], ['missing parameter: quantity', 'quantity'],
    ['please fill the link', 'link'], ['The comments field is required.', 'comments'], ['answer_number is required', 'answerNumber'],
    ['Usernames cannot be empty', 'usernames'], ['Service ID is required', 'service'], ['type_of_traffic is missing', 'typeOfTraffic'],
    ['This field is required', undefined]
  ]
  for (const [text, field] of cases) {
    const error = panelError(text, [KEY])
    t.equal(error.code, 'missing_field', text)
    t.same(error.extra, field === undefined ? undefined : { field }, `${text} → ${String(field)}`)
    t.equal(fieldOf(text), field)
  }
  t.same(panelError(`${KEY} is required`, [KEY]).extra, undefined, 'an unknown word is never echoed as a field')
})

t.test('rate limit text keeps a Retry-After', async (t) => {
  t.equal(panelError('Too many requests').retryAfter, 1)
  t.equal(panelError('Rate limit exceeded, try again in 30 seconds').retryAfter, 30)
  t.equal(panelError('Too many requests, wait 2 minutes').retryAfter, 120)
  t.equal(panelError('Rate limit: retry after 99999 seconds').retryAfter, 3600, 'bounded')
})

t.test('normalised text: case, punctuation, translation keys, apostrophes', async (t) => {
  t.equal(normaliseMessage('neworder.error.min_quantity'), 'neworder error min quantity')
  t.equal(normaliseMessage("  You DON'T have   enough funds!! "), 'you dont have enough funds')
  t.equal(normaliseMessage('Drip-feed'), 'drip feed')
  t.ok(normaliseMessage('x'.repeat(100_000)).length <= 500, 'bounded')
  const started = performance.now()
  for (let i = 0; i < 200; i++) findPanelErrorRule(`${'refill cancel same link runs '.repeat(40)}${i}`)
  t.ok(performance.now() - started < 2000, 'patterns stay fast on long hostile texts')
})

// ---- secrets and addresses in what tenants and operators see ----------------

const KEY_ALPHABET = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_']
// What a panel's text may splice into an echoed key: the detail collapses these, a reader does not see them.
const INVISIBLE = [' ', '\t', '\n', '\r', '\u0000', '\u0007', '\u001f', '\u007f', '\u0085', '\u00a0', '\u00ad', '\u200b', '\u200c', '\u200d', '\u2028', '\u202e', '\u2060', '\ufeff', '\u3000']
const FILLER = [...'abcdefghijklmnopqrstuvwxyz      .,:;!?()/%+&#=\'"0123456789', '\n', '\u200b', '\u0000', 'é', '😀']

/** The bound: a run of this many consecutive characters of a key (or of its hex or base64 form) is a piece of it. */
function piece (length: number): number {
  return Math.min(8, Math.ceil(length / 2))
}

/** The characters of base64(`offset` bytes + key + more) that depend on the key alone. */
function base64Part (key: string, offset: number): string {
  const encoded = Buffer.concat([Buffer.alloc(offset, 0x41), Buffer.from(key)]).toString('base64')
  return encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + key.length) * 8) / 6))
}

/** What a reader can make of a text: percent-encodings (also twice), HTML entities and JSON escapes decoded, `+` a space. */
function decoded (text: string): string {
  let out = text
  for (let previous = ''; previous !== out;) {
    previous = out
    out = out
      .replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#([0-9]+);?/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  }
  return out.replaceAll('+', ' ')
}

/**
 * A run of piece(key) characters of the key, its hex or its base64 in `text` (as
 * it is, and decoded), once whitespace and controls are removed, in any case; else undefined.
 */
function leakedPiece (text: string, key: string): string | undefined {
  const seen = [text, decoded(text)].map((view) => view.replace(/[\s\p{Cc}\p{Cf}]/gu, '').toLowerCase()).join('\n')
  const forms = [key, Buffer.from(key).toString('hex'), base64Part(key, 0), base64Part(key, 1), base64Part(key, 2)].map((form) => form.toLowerCase())
  for (const form of forms) {
    const m = piece(form.length)
    for (let at = 0; at + m <= form.length; at++) if (seen.includes(form.slice(at, at + m))) return form.slice(at, at + m)
  }
  return undefined
}

const percentAll = (text: string, upper: boolean): string =>
  [...Buffer.from(text)].map((byte) => '%' + (upper ? byte.toString(16).toUpperCase() : byte.toString(16)).padStart(2, '0')).join('')

// Every form a panel could echo the key in; each gets invisible characters spliced into it afterwards.
const FORMS: Record<string, (key: string, pick: number) => string> = {
  plain: (key) => key,
  upper: (key) => key.toUpperCase(),
  lower: (key) => key.toLowerCase(),
  'mixed case': (key, pick) => [...key].map((c, i) => ((i + pick) % 3 === 0 ? c.toUpperCase() : c.toLowerCase())).join(''),
  'percent, upper hex': (key) => percentAll(key, true),
  'percent, lower hex': (key) => percentAll(key, false),
  'percent, every other char': (key) => [...key].map((c, i) => (i % 2 === 0 ? percentAll(c, i % 4 === 0) : c)).join(''),
  'percent twice': (key) => percentAll(key, true).replaceAll('%', '%25'),
  'form-encoded, split by spaces': (key, pick) => new URLSearchParams({ k: key.slice(0, pick % key.length) + ' ' + key.slice(pick % key.length) }).toString().slice(2),
  'HTML entities': (key) => [...key].map((c, i) => (i % 2 === 0 ? `&#${c.charCodeAt(0)};` : `&#x${c.charCodeAt(0).toString(16)};`)).join(''),
  'JSON escapes': (key) => [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  'hex, lower': (key) => Buffer.from(key).toString('hex'),
  'hex, upper': (key) => Buffer.from(key).toString('hex').toUpperCase(),
  base64: (key, pick) => Buffer.from('key='.slice(0, pick % 3) + key + '&action=add').toString('base64'),
  base64url: (key, pick) => Buffer.from('xy'.slice(0, pick % 3) + key).toString('base64url'),
  'MIME base64 (line breaks)': (key) => Buffer.from(`api_key=${key}`).toString('base64').replace(/(.{5})/g, '$1\r\n')
}

const keyArb = fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 8, maxLength: 64 })
const fillerArb = fc.string({ unit: fc.constantFrom(...FILLER), minLength: 1, maxLength: 40 })
// Where the key starts: around the tenant's cut (200), the old cut (4096), the scanned bound (8192), or anywhere.
const offsetArb = fc.oneof(fc.integer({ min: 0, max: 260 }), fc.integer({ min: 4030, max: 4100 }), fc.integer({ min: 8130, max: 8200 }), fc.integer({ min: 0, max: 9000 }))
const spliceArb = fc.array(fc.record({ at: fc.nat(), char: fc.constantFrom(...INVISIBLE) }), { maxLength: 8 })

function splice (text: string, splices: Array<{ at: number, char: string }>): string {
  let out = text
  for (const { at, char } of splices) {
    const i = at % (out.length + 1)
    out = out.slice(0, i) + char + out.slice(i)
  }
  return out
}

/** Filler repeated to `length` characters, the way a panel's long message runs on. */
function padding (filler: string, length: number): string {
  return filler.repeat(Math.ceil(length / filler.length)).slice(0, length)
}

t.test('property: a key echoed in any form, anywhere, split by invisible characters, leaves no piece in the tenant\'s or the operator\'s text', async (t) => {
  const cases = fc.record({
    key: keyArb,
    form: fc.constantFrom(...Object.keys(FORMS)),
    pick: fc.nat({ max: 1000 }),
    before: fillerArb,
    after: fillerArb,
    offset: offsetArb,
    splices: spliceArb,
    lead: fc.constantFrom('', 'Invalid API key ', 'Bad link ', 'Error: ', 'Quantity less than minimal 50. ')
  })
  fc.assert(fc.property(cases, ({ key, form, pick, before, after, offset, splices, lead }) => {
    const echoed = splice((FORMS[form] as (k: string, p: number) => string)(key, pick), splices)
    const text = lead + padding(before, offset) + echoed + padding(after, 300)
    const error = panelError(text, [key])
    const bodyError = errorBodyOf({ status: 'error', message: text }, [key])
    const shown: Array<[string, string | undefined]> = [
      ['tenant detail', error.message],
      ['operator detail', error.operatorDetail],
      ['cleanText', cleanText(text, [key])],
      ['operatorText', operatorText(text, [key])],
      ['error body detail', bodyError?.message],
      ['error body operator detail', bodyError?.operatorDetail],
      ['recognised', recognisedPanelError(`Bad link ${text}`, [key])?.message]
    ]
    for (const [what, value] of shown) {
      const leaked = leakedPiece(value ?? '', key)
      if (leaked !== undefined) throw new Error(`${what} (${form}, key at ${lead.length + offset}) shows "${leaked}" of the key: ${JSON.stringify(value)}`)
    }
    return true
  }), { numRuns: 600 })
  t.pass('600 generated panel texts')
})

t.test('a key straddling the old 4096 cut, or cut by a bound, leaves no piece (the audit\'s 13 of 14 characters)', async (t) => {
  const key = 'Ab3dE5gH7jK9mN'
  for (const at of [4082, 4083, 4090, 4095, 4096, 8180, 8185, 8190]) {
    const text = 'x'.repeat(at) + key + ' tail'
    for (const shown of [cleanText(text, [key]), operatorText(text, [key]), panelError(text, [key]).operatorDetail ?? '']) {
      t.equal(leakedPiece(shown, key), undefined, `key at ${at}`)
    }
  }
  const spread = `Invalid key ${[...key].join('\u200b')} and ${[...key].join('\u0000')} and ${[...key].join('\n')}`
  t.equal(leakedPiece(panelError(spread, [key]).message, key), undefined, 'split by zero-width, NUL and line breaks, then collapsed')
  t.equal(leakedPiece(operatorText(`tail ${key.slice(0, 9)}`, [key]), key), undefined, 'a partial key the panel cut itself')
  t.equal(scrubSecrets(`a ${key.slice(0, 3)} b`, [key]), `a ${key.slice(0, 3)} b`, 'three characters are no piece')
  t.equal(scrubSecrets('Likes, fast start (key k)', ['k']), 'Li[redacted]es, fast start ([redacted]ey [redacted])', 'a one-character secret is matched whole, its hex and base64 not at all')
  t.equal(scrubSecrets('abc abcd 61626364 YWJjZA', ['abcd']), 'abc [redacted] [redacted] YWJjZA', 'a short secret: whole, and its hex whole')
})

t.test('the property\'s check finds every form unscrubbed (so the property can fail)', async (t) => {
  const key = 'Zq8-Wx_4Rt7Yu2Ip'
  for (const [form, encode] of Object.entries(FORMS)) {
    t.not(leakedPiece(`see ${encode(key, 1)} here`, key), undefined, form)
  }
})

const ADDRESSES: Array<[string, string]> = [
  ['http://10.20.30.40:8080/provider/api/v2?x=1', '[url]'],
  ['https://admin.panel.internal:8443/login', '[url]'],
  ['ftp://files.corp/x', '[url]'],
  ['redis://cache:6379', '[url]'],
  ['//cdn.panel.example/asset.js', '[url]'],
  ['10.1.2.3', '[host]'],
  ['10.1.2.3:443', '[host]'],
  ['[2001:db8::1]:5432', '[host]'],
  ['fe80::1%eth0', '[host]'],
  ['::1', '[host]'],
  ['2001:0db8:0000:0000:0000:ff00:0042:8329', '[host]'],
  ['panel.internal', '[host]'],
  ['db-master.prod.svc.cluster.local', '[host]'],
  ['api.panel.example.com', '[host]'],
  ['panel.de', '[host]'],
  ['mysql:3306', '[host]'],
  ['localhost:8080', '[host]'],
  ['smm.example.org/api/v2', '[host]']
]

t.test('tenants never see URLs, IP addresses, host names or host:port; the operator\'s text keeps them', async (t) => {
  for (const [address, word] of ADDRESSES) {
    const text = `Failed to connect to ${address} (code 7)`
    const tenant = cleanText(text)
    t.notOk(tenant.includes(address), `${address}: hidden from the tenant`)
    t.equal(tenant, `Failed to connect to ${word} (code 7)`, `${address} → ${word}`)
    t.equal(operatorText(text), text, `${address}: kept for the operator`)
    const error = panelError(text)
    t.notOk(error.message.includes(address), `${address}: not in the detail`)
    t.ok(error.operatorDetail?.includes(address), `${address}: in the operator detail`)
  }
  const kept = [
    'neworder.error.link', 'neworder.error.min_quantity', 'error.incorrect_service_id', 'Quantity less than minimal 50',
    'Node.js 1.2.3', 'Price 1.50 USD, e.g. this', 'at 12:30:45', 'Service ID 1.5 is off',
    'Quantity must be min:100 max:5000', 'Limit:20 reached'
  ]
  for (const text of kept) t.equal(cleanText(text), text, `"${text}" is no address`)
  const secret = 'Zq8-Wx_4Rt7Yu2Ip'
  const both = panelError(`Refused: see https://panel.internal/logs?key=${secret}`, [secret])
  t.equal(both.message, 'The panel refused the request: Refused: see [url]')
  t.equal(both.operatorDetail, 'The panel refused the request: Refused: see https://panel.internal/logs?key=[redacted]', 'the operator keeps the URL, without the key')
})

t.test('the punctuation around a hidden address is the sentence\'s', async (t) => {
  t.equal(cleanText('Failed (see http://10.0.0.1/x?a=1).'), 'Failed (see [url]).')
  t.equal(cleanText('Go to https://panel.internal/login, then retry!'), 'Go to [url], then retry!')
  t.equal(cleanText('Host: db.internal.'), 'Host: [host].')
  t.equal(cleanText('at https://x.example/wiki/A_(b) now'), 'at [url] now', 'a parenthesis inside the URL is the URL\'s')
})
