import type { IncomingMessage, ServerResponse } from 'node:http'
import { isFault } from './faults.js'
import { isLeak } from './leaks.js'
import { ORDER_STATUSES, type OrderStatus } from './orders.js'
import type { Quirks } from './quirks.js'
import type { SimService } from './catalog.js'
import { readBody, sendJson } from './http-util.js'
import type { SimContext } from './server.js'

const MAX_CONTROL_BODY = 64 * 1024

class ControlError extends Error {
  constructor (readonly status: number, message: string) {
    super(message)
  }
}

function record (value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ControlError(400, 'expected a JSON object')
  return value as Record<string, unknown>
}

async function jsonBody (req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req, MAX_CONTROL_BODY)
  if (text === undefined) throw new ControlError(413, 'body too large')
  if (text.trim() === '') return {}
  try {
    return record(JSON.parse(text))
  } catch (err) {
    if (err instanceof ControlError) throw err
    throw new ControlError(400, 'invalid JSON')
  }
}

function optionalInteger (body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ControlError(400, `${name} must be an integer`)
  return value
}

function booleanField (body: Record<string, unknown>, name: string): boolean {
  const value = body[name]
  if (typeof value !== 'boolean') throw new ControlError(400, `${name} must be true or false`)
  return value
}

/** What a dialect refuses to change (a RangeError) is the control client's mistake. */
function refusedAsBadRequest (change: () => void): void {
  try {
    change()
  } catch (err) {
    if (err instanceof RangeError) throw new ControlError(400, err.message)
    throw err
  }
}

const QUIRK_FLAGS = ['stringIds', 'dollarMoney', 'thousands', 'stringFlags', 'upperStatus'] as const
const SHAPES = ['array', 'services', 'data', 'keyed']

function quirksOf (body: Record<string, unknown>): Quirks {
  const quirks: Quirks = {}
  for (const [name, value] of Object.entries(body)) {
    if ((QUIRK_FLAGS as readonly string[]).includes(name) && typeof value === 'boolean') {
      quirks[name as typeof QUIRK_FLAGS[number]] = value
    } else if (name === 'servicesShape' && typeof value === 'string' && SHAPES.includes(value)) {
      quirks.servicesShape = value as Quirks['servicesShape']
    } else {
      throw new ControlError(400, `unknown quirk or bad value: ${name}`)
    }
  }
  return quirks
}

type Handler = (ctx: SimContext, req: IncomingMessage, params: string[]) => Promise<unknown> | unknown

// Not part of the panel protocol: test and benchmark processes drive a standalone simulator with these.
const ROUTES: Array<[method: string, path: RegExp, handler: Handler]> = [
  ['POST', /^\/_sim\/fault$/, async (ctx, req) => {
    const body = await jsonBody(req)
    const fault = body.fault ?? null
    if (fault !== null && !isFault(fault)) throw new ControlError(400, `unknown fault: ${String(fault)}`)
    const actions = body.actions
    if (actions !== undefined && (!Array.isArray(actions) || actions.some((a) => typeof a !== 'string'))) {
      throw new ControlError(400, 'actions must be an array of strings')
    }
    const times = optionalInteger(body, 'times')
    if (times !== undefined && times < 1) throw new ControlError(400, 'times must be at least 1')
    ctx.faults.set(fault, { times, actions: actions as string[] | undefined })
    return { fault, times: times ?? null, actions: actions ?? null }
  }],
  ['POST', /^\/_sim\/leak$/, async (ctx, req) => {
    const body = await jsonBody(req)
    const leak = body.leak ?? null
    if (leak !== null && !isLeak(leak)) throw new ControlError(400, `unknown leak: ${String(leak)}`)
    const actions = body.actions
    if (actions !== undefined && (!Array.isArray(actions) || actions.some((a) => typeof a !== 'string'))) {
      throw new ControlError(400, 'actions must be an array of strings')
    }
    ctx.leaks.set(leak, { actions: actions as string[] | undefined })
    return { leak, actions: actions ?? null }
  }],
  ['GET', /^\/_sim\/calls$/, (ctx) => ({ total: ctx.calls.count(), byAction: ctx.calls.byAction() })],
  ['POST', /^\/_sim\/reset$/, (ctx) => {
    ctx.faults.set(null)
    ctx.leaks.set(null)
    ctx.calls.reset()
    return { reset: true }
  }],
  ['POST', /^\/_sim\/latency$/, async (ctx, req) => {
    const ms = optionalInteger(await jsonBody(req), 'ms')
    if (ms === undefined || ms < 0) throw new ControlError(400, 'ms must be a non-negative integer')
    ctx.latencyMs = ms
    return { ms }
  }],
  ['POST', /^\/_sim\/balance$/, async (ctx, req) => {
    const { balance } = await jsonBody(req)
    if (typeof balance !== 'string') throw new ControlError(400, 'balance must be a decimal string')
    try {
      ctx.book.setBalance(balance)
    } catch (err) {
      throw new ControlError(400, (err as Error).message)
    }
    return { balance }
  }],
  ['POST', /^\/_sim\/services$/, async (ctx, req) => {
    const body = await jsonBody(req)
    if (typeof body.service !== 'number' || !Number.isSafeInteger(body.service) || body.service < 1) throw new ControlError(400, 'service must be a positive integer')
    return ctx.book.setService(body as Partial<SimService> & { service: number })
  }],
  ['DELETE', /^\/_sim\/services\/(\d{1,15})$/, async (ctx, _req, match) => {
    return { removed: ctx.book.removeService(Number(match[0])) }
  }],
  ['POST', /^\/_sim\/quirks$/, async (ctx, req) => {
    const quirks = quirksOf(await jsonBody(req))
    refusedAsBadRequest(() => ctx.panel.setQuirks(quirks))
    return quirks
  }],
  ['POST', /^\/_sim\/account$/, async (ctx, req) => {
    const active = booleanField(await jsonBody(req), 'active')
    ctx.panel.accountActive = active
    return { active }
  }],
  ['POST', /^\/_sim\/php-notices$/, async (ctx, req) => {
    const enabled = booleanField(await jsonBody(req), 'enabled')
    refusedAsBadRequest(() => ctx.panel.setPhpNotices(enabled))
    return { enabled }
  }],
  ['GET', /^\/_sim\/orders\/(\d{1,15})$/, (ctx, _req, [id]) => {
    const order = ctx.book.order(Number(id))
    if (order === undefined) throw new ControlError(404, `no order ${id as string}`)
    return order
  }],
  ['POST', /^\/_sim\/orders\/(\d{1,15})\/status$/, async (ctx, req, [id]) => {
    const body = await jsonBody(req)
    const status = body.status
    if (typeof status !== 'string' || !(ORDER_STATUSES as readonly string[]).includes(status)) {
      throw new ControlError(400, `status must be one of ${ORDER_STATUSES.join(', ')}`)
    }
    if (ctx.book.order(Number(id)) === undefined) throw new ControlError(404, `no order ${id as string}`)
    const remains = optionalInteger(body, 'remains')
    const startCount = optionalInteger(body, 'startCount')
    return ctx.book.setOrderStatus(Number(id), status as OrderStatus, { remains, startCount })
  }]
]

/** The `/_sim/…` control routes; JSON in and out, no key. */
export async function handleControl (ctx: SimContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  let pathMatched = false
  for (const [method, pattern, handler] of ROUTES) {
    const match = pattern.exec(path)
    if (match === null) continue
    pathMatched = true
    if (method !== req.method) continue
    try {
      sendJson(res, 200, await handler(ctx, req, match.slice(1)))
    } catch (err) {
      if (!(err instanceof ControlError)) throw err
      sendJson(res, err.status, { error: err.message })
    }
    return
  }
  sendJson(res, pathMatched ? 405 : 404, { error: pathMatched ? 'method not allowed' : 'no such control route' })
}
