import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { CallLog } from './calls.js'
import { handleControl } from './control.js'
import { readBody, send, sendJson } from './http-util.js'
import { sendFault, type FaultSwitch } from './faults.js'
import { MESSAGES } from './messages.js'
import type { OrderBook } from './orders.js'
import { LOGIN_PAGE, METHOD_NOT_ALLOWED_PAGE, NOT_FOUND_PAGE, PAYLOAD_TOO_LARGE_PAGE } from './pages.js'
import type { Protocol } from './protocol.js'

/** What the HTTP layer works on; `latencyMs` and the others change at run time. */
export interface SimContext {
  readonly key: string
  readonly book: OrderBook
  readonly protocol: Protocol
  readonly faults: FaultSwitch
  readonly calls: CallLog
  latencyMs: number
}

export interface SimServer {
  readonly server: http.Server
  close: () => Promise<void>
}

export const API_PATH = '/api/v2'
const MAX_BODY = 1024 * 1024
const HTML = 'text/html; charset=UTF-8'

/** Form fields as PHP reads them: the last of repeated names wins. */
function formFields (body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body))
}

/** The string members of a JSON body, only to log and count what a JSON-sending client meant. */
function jsonFields (body: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(body)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {}
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
  } catch {
    return {}
  }
}

export function createSimServer (ctx: SimContext): SimServer {
  const hanging = new Set<IncomingMessage>()
  const timers = new Set<NodeJS.Timeout>()
  let closing: Promise<void> | undefined

  const wait = async (ms: number): Promise<void> => {
    if (ms <= 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })
  }

  const hang = (req: IncomingMessage): void => {
    hanging.add(req)
    req.socket.once('close', () => hanging.delete(req))
  }

  async function panel (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY)
    if (body === undefined) {
      ctx.calls.record('unknown', {})
      return send(res, 413, HTML, PAYLOAD_TOO_LARGE_PAGE)
    }
    const contentType = (req.headers['content-type'] ?? '').toLowerCase()
    const isJson = contentType.includes('json')
    // Like PHP's $_POST: only form bodies have fields (multipart is not simulated).
    const fields = isJson ? jsonFields(body) : contentType.startsWith('application/x-www-form-urlencoded') ? formFields(body) : {}
    const action = fields.action ?? ''
    ctx.calls.record(action, fields)
    const fault = ctx.faults.take(action === '' ? 'unknown' : action)
    await wait(ctx.latencyMs)
    if (closing !== undefined) return
    if (fault === 'reset-after' && fields.key === ctx.key && !isJson) ctx.protocol.answer(action, fields)
    if (fault !== null) return sendFault(fault, req, res, hang)
    if (isJson) return sendJson(res, 200, { error: MESSAGES.incorrectRequest })
    if (fields.key !== ctx.key) return sendJson(res, 200, { error: MESSAGES.invalidKey })
    sendJson(res, 200, ctx.protocol.answer(action, fields))
  }

  async function route (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string
    if (path === API_PATH || path === `${API_PATH}/`) {
      if (req.method === 'POST') return await panel(req, res)
      return send(res, 405, HTML, METHOD_NOT_ALLOWED_PAGE, { allow: 'POST' })
    }
    if (path.startsWith('/_sim/')) return await handleControl(ctx, req, res, path)
    if (path === '/login' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, HTML, LOGIN_PAGE)
    send(res, 404, HTML, NOT_FOUND_PAGE)
  }

  const server = http.createServer((req, res) => {
    req.on('error', () => {})
    route(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return
      send(res, 500, 'text/plain; charset=UTF-8', `simulator error: ${err instanceof Error ? err.message : String(err)}`)
    })
  })

  const close = async (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const req of hanging) req.socket.destroy()
      hanging.clear()
      server.close(() => resolve())
      server.closeAllConnections()
    })
    await closing
  }

  return { server, close }
}
