import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { gateway, type Gateway } from '../helper.js'
import { until } from '../fixtures/time.js'

// Connections over real sockets: what a slow or silent client gets, and that
// the server lets go of it. Nothing here waits for a time to pass; each test
// waits for the socket to close or for bytes to arrive (a broken timeout ends
// in the file's timeout, or earlier in a header that says otherwise).
t.setTimeout(120_000)

const SMALL = { REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '1000', KEEP_ALIVE_TIMEOUT_MS: '1000' }
// Long enough to play no part in a test.
const NEVER = '600000'
const TRICKLE_MS = 100

async function listening (t: Test, env: Record<string, string>): Promise<{ gw: Gateway, port: number }> {
  const gw = await gateway(t, { env })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  return { gw, port: (gw.app.server.address() as AddressInfo).port }
}

interface Client {
  socket: Socket
  /** Everything the server sent so far. */
  received: () => string
  closed: Promise<void>
  isClosed: () => boolean
  /** Writes `text`, then one space every TRICKLE_MS until the socket closes. */
  trickle: (text: string) => void
}

/**
 * By default a client that does not take the hint: half-open allowed, so the
 * server's FIN alone does not close it; it closes when the server has really
 * let go (a write answered with a reset) or when the test ends.
 */
async function client (t: Test, port: number, { allowHalfOpen = true } = {}): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen })
  let data = ''
  let closed = false
  let timer: NodeJS.Timeout | undefined
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => { data += chunk })
  socket.on('error', () => {}) // ECONNRESET / EPIPE: the server is gone, which is the point
  // Not events.once: it rejects on the 'error' that comes before the close.
  const closedPromise = new Promise<void>((resolve) => socket.once('close', () => { closed = true; clearInterval(timer); resolve() }))
  t.teardown(() => { clearInterval(timer); socket.destroy() })
  await once(socket, 'connect')
  return {
    socket,
    received: () => data,
    closed: closedPromise,
    isClosed: () => closed,
    trickle: (text) => {
      socket.write(text)
      timer = setInterval(() => { if (socket.writable) socket.write(' ') }, TRICKLE_MS)
    }
  }
}

interface Answer { status: number, headers: Record<string, string>, body: string }

/** The first HTTP response in `text`, or undefined while it is incomplete. */
function answer (text: string): Answer | undefined {
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? 0)
  const body = text.slice(end + 4, end + 4 + length)
  if (Buffer.byteLength(body, 'latin1') < length) return undefined
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

async function answered (c: Client, what: string): Promise<Answer> {
  await until(() => answer(c.received()) !== undefined || c.isClosed(), what, 60_000)
  const res = answer(c.received())
  if (res === undefined) throw new Error(`the connection closed without an answer to ${what}: ${JSON.stringify(c.received())}`)
  return res
}

function head (method: string, path: string, headers: Record<string, string | number> = {}): string {
  return `${method} ${path} HTTP/1.1\r\nHost: gateway\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`
}

t.test('a body trickled past REQUEST_TIMEOUT_MS (with a valid key) is cut with a 408 problem+json and the connection closed', async (t) => {
  const { gw, port } = await listening(t, SMALL)
  const c = await client(t, port)
  c.trickle(head('POST', '/orders', { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'content-length': 1000 }) + '{"service":')
  const res = await answered(c, 'the trickled body')
  t.equal(res.status, 408)
  t.equal(res.headers['content-type'], 'application/problem+json')
  t.equal(res.headers.connection, 'close')
  t.match(JSON.parse(res.body), { status: 408, code: 'request_timeout' })
  await c.closed
  t.pass('the server let go of the connection while the client kept sending')
  t.equal(gw.sim.calls(), 0, 'nothing reached the panel')
})

t.test('headers never finished within HEADERS_TIMEOUT_MS are cut with a 408 and the connection closed', async (t) => {
  // The request timeout is out of the way: only the headers timeout can end this.
  const { port } = await listening(t, { ...SMALL, REQUEST_TIMEOUT_MS: NEVER })
  const c = await client(t, port)
  // Header bytes keep coming, one folded space at a time, but the blank line never does.
  c.trickle('GET /health HTTP/1.1\r\nHost: gateway\r\nX-Slow: a')
  const res = await answered(c, 'the unfinished headers')
  t.equal(res.status, 408)
  t.equal(res.headers['content-type'], 'application/problem+json')
  t.match(JSON.parse(res.body), { status: 408, code: 'request_timeout' })
  await c.closed
  t.pass('closed')
})

t.test('an answer sent before the body was read ends the connection: a trickling client is not held', async (t) => {
  // Neither timeout could close these connections within the test: closing them is the answer's doing.
  // Bodies the trickle would take hours to finish, within BODY_LIMIT_BYTES (256 KiB) unless the case is about it.
  const { gw, port } = await listening(t, { ...SMALL, REQUEST_TIMEOUT_MS: NEVER, HEADERS_TIMEOUT_MS: NEVER })
  const json = { 'content-type': 'application/json', 'content-length': 200_000 }
  const cases: Array<[string, string, number, string]> = [
    ['no key', head('POST', '/orders', json), 401, 'unauthorized'],
    ['a wrong key', head('POST', '/orders', { ...json, authorization: 'Bearer sgw_AAAAAAAA_' + 'A'.repeat(43) }), 401, 'unauthorized'],
    ['a body over BODY_LIMIT_BYTES', head('POST', '/orders', { ...json, authorization: `Bearer ${gw.key}`, 'content-length': 300_000 }), 413, 'payload_too_large'],
    ['a body that is not JSON', head('POST', '/orders', { authorization: `Bearer ${gw.key}`, 'content-type': 'text/plain', 'content-length': 200_000 }), 415, 'unsupported_media_type']
  ]
  await Promise.all(cases.map(async ([what, request, status, code]) => {
    const c = await client(t, port)
    c.trickle(request + '{"service":')
    const res = await answered(c, what)
    t.equal(res.status, status, `${what}: ${status}`)
    t.match(JSON.parse(res.body), { code }, `${what}: ${code}`)
    t.equal(res.headers.connection, 'close', `${what}: the answer says the connection ends`)
    await c.closed
    t.pass(`${what}: the server let go while the client kept sending`)
  }))
  await serverHoldsNone(gw)
  t.pass('the server holds none of them')
  t.equal(gw.sim.calls(), 0)
})

t.test('an answer to a request whose body was read keeps the connection alive', async (t) => {
  const { gw, port } = await listening(t, SMALL)
  const c = await client(t, port)
  const body = JSON.stringify({ service: 999_999, link: 'https://instagram.com/p/x', quantity: 100 })
  c.socket.write(head('POST', '/orders', { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) + body)
  const res = await answered(c, 'the order')
  t.equal(res.status, 422, 'refused for its unknown service, after the body was read')
  t.equal(res.headers.connection, 'keep-alive')
  t.equal((await gw.request({ url: '/services' })).headers.connection, 'keep-alive', 'and so does app.inject, whose requests have no `complete`')
})

/** Resolves once the server holds no client connection (its own count, taken as sockets close). */
async function serverHoldsNone (gw: Gateway): Promise<void> {
  const count = async (): Promise<number> => await new Promise((resolve, reject) => {
    gw.app.server.getConnections((err, n) => { if (err === null) resolve(n); else reject(err) })
  })
  const deadline = performance.now() + 60_000
  while (await count() > 0) {
    if (performance.now() > deadline) throw new Error(`the server still holds ${await count()} connections`)
    await sleep(5)
  }
}

t.test('an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  const { gw, port } = await listening(t, SMALL)
  // An ordinary client, which closes on the server's FIN: this one sends nothing more to be reset.
  const c = await client(t, port, { allowHalfOpen: false })
  c.socket.write(head('GET', '/health'))
  const res = await answered(c, 'GET /health')
  t.equal(res.status, 200)
  t.equal(res.headers.connection, 'keep-alive')
  t.equal(res.headers['keep-alive'], 'timeout=1', 'the client is told how long the server keeps it')
  await c.closed
  t.pass('the server closed the idle connection')
  await serverHoldsNone(gw)
  t.pass('and holds it no more')
})

t.test('MAX_CONNECTIONS: one connection over the cap is closed unanswered, those under it are still served', async (t) => {
  const { gw, port } = await listening(t, { MAX_CONNECTIONS: '3', KEEP_ALIVE_TIMEOUT_MS: NEVER, REQUEST_TIMEOUT_MS: NEVER, HEADERS_TIMEOUT_MS: NEVER })
  // Ordinary clients: the server's FIN closes them.
  const held = await Promise.all([1, 2, 3].map(async () => await client(t, port, { allowHalfOpen: false })))
  // An answer on each: the server has taken all three (a client's 'connect' comes before the server's accept).
  await Promise.all(held.map(async (c) => {
    c.socket.write(head('GET', '/health'))
    t.equal((await answered(c, 'GET /health')).status, 200)
  }))

  const extra = await client(t, port, { allowHalfOpen: false })
  extra.socket.write(head('GET', '/health'))
  await until(() => extra.isClosed() || extra.received() !== '', 'the fourth connection to be closed or answered', 60_000)
  t.equal(extra.received(), '', 'the fourth connection got no answer')
  await extra.closed
  t.pass('the fourth connection was closed')
  t.equal((await gw.app.metrics.connectionsDropped.get()).values[0]?.value, 1, 'and counted in smm_connections_dropped_total')

  for (const c of held) {
    const before = c.received().length
    c.socket.write(head('GET', '/health'))
    await until(() => answer(c.received().slice(before)) !== undefined || c.isClosed(), 'a second answer', 60_000)
    t.equal(answer(c.received().slice(before))?.status, 200, 'a connection under the cap is still answered')
  }
})

t.test('the timeouts and the cap reach the HTTP server, their defaults without any variable', async (t) => {
  const { app } = await gateway(t)
  const server = app.server as typeof app.server & { connectionsCheckingInterval: number }
  t.equal(server.requestTimeout, 30_000)
  t.equal(server.headersTimeout, 10_000)
  t.equal(server.keepAliveTimeout, 65_000)
  t.equal(server.maxConnections, 2048)
  t.ok(server.connectionsCheckingInterval <= 1000, `timeouts are checked at least every second (${server.connectionsCheckingInterval} ms)`)

  const set = await gateway(t, { env: { REQUEST_TIMEOUT_MS: '20000', HEADERS_TIMEOUT_MS: '5000', KEEP_ALIVE_TIMEOUT_MS: '7000', MAX_CONNECTIONS: '10' } })
  t.same([set.app.server.requestTimeout, set.app.server.headersTimeout, set.app.server.keepAliveTimeout, set.app.server.maxConnections], [20_000, 5000, 7000, 10])
})

t.test('a client that hangs up mid-body, or is cut off by the request timeout, is its own doing: no error line, no store_unavailable', async (t) => {
  const { gw, port } = await listening(t, SMALL)
  const body = JSON.stringify({ service: 1, link: 'https://example.com/p', quantity: 100 })
  const hangUp = await client(t, port, { allowHalfOpen: false })
  hangUp.socket.write(head('POST', '/orders', { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'content-length': body.length }) + body.slice(0, 10))
  await until(() => gw.logs.some((line) => line.includes('"url":"/orders"')), 'the request to arrive', 60_000)
  hangUp.socket.destroy()
  const slow = await client(t, port)
  slow.trickle(head('POST', '/orders', { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'content-length': 100_000 }) + '{')
  await slow.closed
  await until(() => gw.logs.filter((line) => line.includes('"code":"bad_request"')).length >= 2, 'both requests to end as bad_request', 60_000)
  const problems = Object.fromEntries((await gw.app.metrics.problems.get()).values.map(({ labels, value }) => [labels.code, value]))
  t.notOk('store_unavailable' in problems, `not counted as a store outage (${JSON.stringify(problems)})`)
  t.same(gw.logs.filter((line) => /"level":(50|60)/.test(line)), [], 'no error line')
  t.equal(gw.sim.calls('add'), 0, 'no order placed')
})
