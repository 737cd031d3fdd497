// A real webhook receiver on 127.0.0.1: records every request, answers as told.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import type { TestContext } from '../helper.js'

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  json: { id: string, type: string, createdAt: string, data: Record<string, unknown> }
}

export interface Receiver {
  url: string
  port: number
  received: Received[]
  connections: number
  /** how the next requests are answered (default 200) */
  answer: (respond: (res: ServerResponse, req: Received) => void) => void
  /** whether `secret` verifies this request (Standard Webhooks, with its timestamp tolerance) */
  verifies: (r: Received, secret: string) => boolean
}

export async function receiver (t: TestContext): Promise<Receiver> {
  let respond = (res: ServerResponse, _req: Received): void => { res.writeHead(200).end('ok') }
  const state: Receiver = {
    url: '',
    port: 0,
    received: [],
    connections: 0,
    answer: (fn) => { respond = fn },
    verifies: (r, secret) => {
      try {
        new Webhook(secret).verify(r.body, r.headers as Record<string, string>)
        return true
      } catch {
        return false
      }
    }
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      const r: Received = { path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) }
      state.received.push(r)
      respond(res, r)
    })
  })
  server.on('connection', () => { state.connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as AddressInfo).port
  state.url = `http://127.0.0.1:${state.port}/hook`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return state
}
