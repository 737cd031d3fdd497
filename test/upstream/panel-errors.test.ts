import t from 'tap'
import { ERRORS, type ErrorCode } from '../../src/problems/errors.js'
import {
  PANEL_ERRORS, cleanText, errorBodyOf, fieldOf, findPanelErrorRule, itemTextError, normaliseMessage, panelError,
  panelErrorTable, recognisedPanelError, scrubSecrets
} from '../../src/upstream/panel-errors.js'

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
