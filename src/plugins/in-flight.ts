import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests whose handler has not finished yet. */
    inFlight: { size: () => number, settled: (maxWaitMs: number) => Promise<void> }
  }
}

/**
 * Tracks every request until its handler is done. Fastify's close waits for
 * open connections only, then runs the onClose hooks that close the panel
 * client and the store: a request whose client hung up (a load balancer giving
 * up) would lose both mid-way, an order queued for the panel would never be
 * sent and one the panel placed would go unrecorded. `settled` lets closing
 * wait for them too (see app.ts for where it is awaited).
 */
export default fp(async (app) => {
  const open = new Set<FastifyRequest>()
  const waiting = new Set<() => void>()

  // onSend comes when the handler is done, answered or failed, even when the
  // client has gone (onResponse then never comes); onResponse covers the rest.
  const done = (request: FastifyRequest): void => {
    if (!open.delete(request) || open.size > 0) return
    for (const resolve of waiting) resolve()
    waiting.clear()
  }
  app.addHook('onRequest', async (request) => { open.add(request) })
  app.addHook('onSend', async (request, _reply, payload) => {
    done(request)
    return payload
  })
  app.addHook('onResponse', async (request) => { done(request) })

  async function settled (maxWaitMs: number): Promise<void> {
    if (open.size === 0) return
    app.log.info({ requests: open.size }, 'closing: waiting for requests in flight')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise<void>((resolve) => { waiting.add(resolve) }),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, maxWaitMs) })
    ])
    clearTimeout(timer)
    if (open.size > 0) app.log.warn({ requests: open.size }, 'closing with requests still in flight')
  }

  // Node's server.close() ends idle keep-alive connections but waits on one
  // opened without a request yet (a preconnect, a client's spare socket) until
  // the client drops it. Closing ends those at once; ones with a request in
  // progress end after their answer (app.ts sends `connection: close`).
  const requests = new Map<Socket, number>()
  app.server.on('connection', (socket: Socket) => {
    requests.set(socket, 0)
    socket.once('close', () => { requests.delete(socket) })
  })
  app.server.on('request', (request: { socket: Socket }, response: NodeJS.EventEmitter) => {
    const socket = request.socket
    requests.set(socket, (requests.get(socket) ?? 0) + 1)
    response.once('close', () => { if (requests.has(socket)) requests.set(socket, (requests.get(socket) ?? 1) - 1) })
  })
  app.addHook('preClose', async () => {
    for (const [socket, n] of requests) if (n === 0) socket.destroy()
  })

  app.decorate('inFlight', { size: () => open.size, settled })
}, { name: 'in-flight' })
