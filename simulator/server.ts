import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { CallLog } from './calls.js'
import { handleControl } from './control.js'
import type { Panel, PanelCall } from './dialects/index.js'
import { HTML, readBody, send, sendReply } from './http-util.js'
import { sendFault, type FaultSwitch } from './faults.js'
import { leakInto, sendLeak, type LeakSwitch } from './leaks.js'
import type { OrderBook } from './orders.js'
import { LOGIN_PAGE, METHOD_NOT_ALLOWED_PAGE, NOT_FOUND_PAGE, PAYLOAD_TOO_LARGE_PAGE } from './pages.js'

/** What the HTTP layer works on; `latencyMs` and the others change at run time. */
export interface SimContext {
  readonly book: OrderBook
  /** The dialect's script: it checks the key and answers. */
  readonly panel: Panel
  readonly faults: FaultSwitch
  /** Answers echoing the key and the panel's internal addresses (leaks.ts). */
  readonly leaks: LeakSwitch
  readonly calls: CallLog
  /** The simulator's wall clock (ms since the epoch). */
  readonly now: () => number
  latencyMs: number
}

export interface SimServer {
  readonly server: http.Server
  close: () => Promise<void>
}

const MAX_BODY = 1024 * 1024

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

  async function post (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY)
    if (body === undefined) {
      ctx.calls.record('unknown', {})
      return send(res, 413, HTML, PAYLOAD_TOO_LARGE_PAGE)
    }
    const contentType = (req.headers['content-type'] ?? '').toLowerCase()
    const json = contentType.includes('json')
    // Like PHP's $_POST: only form bodies have fields (multipart is not simulated).
    const fields = json ? jsonFields(body) : contentType.startsWith('application/x-www-form-urlencoded') ? formFields(body) : {}
    await answer(req, res, { fields, json })
  }

  async function answer (req: IncomingMessage, res: ServerResponse, call: PanelCall): Promise<void> {
    const action = call.fields.action ?? ''
    ctx.calls.record(action, { ...call.fields })
    const fault = ctx.faults.take(action === '' ? 'unknown' : action)
    await wait(ctx.latencyMs)
    if (closing !== undefined) return
    if (fault === 'reset-after') ctx.panel.call(call)
    if (fault !== null) {
      const own = ctx.panel.fault(fault)
      return own === undefined ? sendFault(fault, req, res, hang, ctx.now()) : sendReply(res, own)
    }
    const leak = ctx.leaks.take(action === '' ? 'unknown' : action)
    const key = call.fields.key ?? ''
    if (leak === 'error' || leak === 'redirect') return sendLeak(leak, res, key)
    const reply = ctx.panel.call(call)
    sendReply(res, leak === 'answer' ? leakInto(reply, key) : reply)
  }

  async function route (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/'
    const mark = url.indexOf('?')
    const path = mark === -1 ? url : url.slice(0, mark)
    const query = mark === -1 ? '' : url.slice(mark + 1)
    const api = ctx.panel.apiPath
    if (path === api || path === `${api}/`) {
      if (req.method === 'POST') return await post(req, res)
      const fields = ctx.panel.getFields(new URLSearchParams(query))
      if (fields === undefined) return send(res, 405, HTML, METHOD_NOT_ALLOWED_PAGE, { allow: 'POST' })
      return await answer(req, res, { fields, json: false })
    }
    if (path.startsWith('/_sim/')) return await handleControl(ctx, req, res, path)
    const page = ctx.panel.page(req.method ?? 'GET', path)
    if (page !== undefined) return sendReply(res, page)
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
