import { Readable } from 'node:stream'
import t from 'tap'
import { loadConfig, ConfigError } from '../../src/config.js'
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from '../../src/plugins/edges.js'
import { gateway, type Gateway } from '../helper.js'
import { sharedGateway } from '../fixtures/shared-gateway.js'

const APP_ORIGIN = 'https://app.example'
const shared = sharedGateway(t)
const sharedWithCors = sharedGateway(t, { env: { CORS_ORIGINS: APP_ORIGIN } })

function directives (header: unknown): Map<string, string> {
  return new Map(String(header).split(';').map((d) => d.trim()).filter((d) => d !== '').map((d) => {
    const [name = '', ...values] = d.split(/\s+/)
    return [name, values.join(' ')]
  }))
}

async function defaultService (gw: Gateway): Promise<{ id: number, min: number }> {
  const { items } = (await gw.request({ url: '/services?type=Default&limit=1' })).json()
  return items[0]
}

t.test('JSON routes and problems carry security headers and a CSP that allows nothing', async (t) => {
  const gw = await shared()
  for (const res of [await gw.request({ url: '/services?limit=1' }), await gw.app.inject({ url: '/nope' }), await gw.app.inject({ url: '/health' })]) {
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.match(res.headers['strict-transport-security'], /max-age=\d+/)
    t.equal(res.headers['cross-origin-resource-policy'], 'same-origin')
    const csp = directives(res.headers['content-security-policy'])
    t.equal(csp.get('default-src'), "'none'")
    t.equal(csp.get('frame-ancestors'), "'none'")
    t.equal(csp.get('base-uri'), "'none'")
    t.notOk(csp.has('upgrade-insecure-requests'))
  }
})

t.test('Swagger UI gets its own CSP: same-origin scripts and styles, no unsafe-inline, nothing remote', async (t) => {
  const gw = await shared()
  for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
    const res = await gw.app.inject({ url })
    t.equal(res.statusCode, 200, url)
    const csp = directives(res.headers['content-security-policy'])
    t.equal(csp.get('default-src'), "'self'", `${url} default-src`)
    t.equal(csp.get('script-src'), "'self'", `${url} script-src: no inline, no eval`)
    t.match(csp.get('style-src'), /^'self'( 'sha256-[\w+/=]+')*$/, `${url} style-src: 'self' and hashes, never 'unsafe-inline'`)
    t.equal(csp.get('object-src'), "'none'")
    t.notOk(csp.has('upgrade-insecure-requests'), 'plain-HTTP deployments keep working')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
  }
  const page = (await gw.app.inject({ url: '/docs' })).body
  t.notMatch(page, /<script>|<style>|\son\w+=/i, 'the page has no inline script, style or handler (the logo SVG\'s <style>, added by script, is hashed)')
})

t.test('CORS is off unless CORS_ORIGINS is set: no CORS headers, preflights are 404', async (t) => {
  const gw = await shared()
  const preflight = await gw.app.inject({
    method: 'OPTIONS',
    url: '/orders',
    headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' }
  })
  t.equal(preflight.statusCode, 404)
  t.equal(preflight.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(preflight.json().code, 'route_not_found')
  t.notOk(preflight.headers['access-control-allow-origin'])
  const res = await gw.request({ url: '/services?limit=1', headers: { origin: APP_ORIGIN } })
  t.equal(res.statusCode, 200)
  t.notOk(res.headers['access-control-allow-origin'])
})

t.test('a preflight from an allowed origin is answered before auth with the allowed headers', async (t) => {
  const gw = await gateway(t, { env: { CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` } })
  const res = await gw.app.inject({
    method: 'OPTIONS',
    url: '/orders',
    headers: {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,idempotency-key'
    }
  })
  t.equal(res.statusCode, 204)
  t.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173')
  t.notOk(res.headers['access-control-allow-credentials'], 'keys travel in headers, never cookies')
  const allowedHeaders = String(res.headers['access-control-allow-headers']).split(/,\s*/).map((h) => h.toLowerCase())
  for (const header of ['authorization', 'x-api-key', 'idempotency-key', 'content-type', 'x-request-id']) t.ok(allowedHeaders.includes(header), `allows ${header}`)
  t.same(allowedHeaders, CORS_ALLOWED_HEADERS.map((h) => h.toLowerCase()))
  t.match(res.headers['access-control-allow-methods'], /POST/)
  t.match(res.headers.vary, /Origin/)
  t.ok(res.headers['x-request-id'], 'the request id still comes back')
})

t.test('an allowed origin\'s requests expose the headers clients read; others get no CORS headers', async (t) => {
  const gw = await sharedWithCors()
  const service = await defaultService(gw)
  const res = await gw.request({
    method: 'POST',
    url: '/orders',
    headers: { origin: APP_ORIGIN, 'idempotency-key': 'cors-1' },
    payload: { service: service.id, link: 'https://instagram.com/example', quantity: service.min }
  })
  t.equal(res.statusCode, 201)
  t.equal(res.headers['access-control-allow-origin'], APP_ORIGIN)
  const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/).map((h) => h.toLowerCase())
  for (const header of ['location', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id', 'idempotent-replayed']) {
    t.ok(exposed.includes(header), `exposes ${header}`)
  }
  t.same(exposed, CORS_EXPOSED_HEADERS.map((h) => h.toLowerCase()))
  for (const header of ['location', 'ratelimit-limit', 'x-request-id']) t.ok(res.headers[header], `${header} is sent`)

  const other = await gw.request({ url: '/services?limit=1', headers: { origin: 'https://evil.example' } })
  t.equal(other.statusCode, 200, 'the server still answers; the browser withholds it')
  t.notOk(other.headers['access-control-allow-origin'])
  t.notOk(other.headers['access-control-expose-headers'])
})

t.test('a preflight from another origin, or a near miss of an allowed one, is refused with a 404 problem', async (t) => {
  const gw = await sharedWithCors()
  for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example:8443', 'https://app.example.evil.example', 'null']) {
    const res = await gw.app.inject({
      method: 'OPTIONS',
      url: '/orders',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }
    })
    t.equal(res.statusCode, 404, origin)
    t.equal(res.json().code, 'route_not_found')
    t.notOk(res.headers['access-control-allow-origin'], `${origin} gets no Allow-Origin`)
    t.notOk(res.headers['access-control-allow-headers'], `${origin} gets no Allow-Headers`)
  }
})

t.test('CORS_ORIGINS must list exact origins', async (t) => {
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example,http://localhost:5173' }, { requirePanel: false }).server.corsOrigins, ['https://a.example', 'http://localhost:5173'])
  t.same(loadConfig({}, { requirePanel: false }).server.corsOrigins, [])
  for (const bad of ['*', 'https://a.example/', 'https://a.example/app', 'a.example', 'ftp://a.example', 'https://A.example']) {
    t.throws(() => loadConfig({ CORS_ORIGINS: bad }, { requirePanel: false }), ConfigError, bad)
    t.throws(() => loadConfig({ CORS_ORIGINS: bad }, { requirePanel: false }), /CORS_ORIGINS/)
  }
})

t.test('bodies must be JSON: other content types and a body without one are 415 problems', async (t) => {
  const gw = await shared()
  const cases: Array<[string, Record<string, string>, string | Buffer]> = [
    ['text/plain', { 'content-type': 'text/plain' }, '{"service":1,"link":"https://a.b/c","quantity":100}'],
    ['text/plain with charset', { 'content-type': 'text/plain; charset=utf-8' }, 'service=1'],
    ['form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, 'service=1&link=https%3A%2F%2Fa.b%2Fc&quantity=100'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="service"\r\n\r\n1\r\n--x--\r\n'],
    ['a JSON look-alike', { 'content-type': 'application/jsonx' }, '{}'],
    ['no content type', {}, Buffer.from('{"service":1,"link":"https://a.b/c","quantity":100}')]
  ]
  for (const [name, headers, payload] of cases) {
    const res = await gw.request({ method: 'POST', url: '/orders', headers, payload })
    t.equal(res.statusCode, 415, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', name)
    t.equal(res.json().code, 'unsupported_media_type', name)
    t.equal(res.json().status, 415)
  }
  t.equal(gw.sim.calls('add'), 0, 'no order reached the panel')
})

t.test('application/json is accepted with or without a charset', async (t) => {
  const gw = await shared()
  const service = await defaultService(gw)
  const body = JSON.stringify({ service: service.id, link: 'https://instagram.com/example', quantity: service.min })
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON; charset=UTF-8']) {
    const res = await gw.request({ method: 'POST', url: '/orders', headers: { 'content-type': type }, payload: body })
    t.equal(res.statusCode, 201, type)
  }
})

t.test('a multi-megabyte body is a 413 problem, whether its length is declared or streamed', async (t) => {
  const gw = await shared()
  t.equal(gw.config.server.bodyLimitBytes, 262144)
  const big = JSON.stringify({ service: 1, link: 'https://a.b/c', quantity: 100, comments: 'x'.repeat(5 * 1024 * 1024) })
  const declared = await gw.request({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: big })
  t.equal(declared.statusCode, 413)
  t.equal(declared.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(declared.json().code, 'payload_too_large')

  function * chunks (): Generator<Buffer> {
    for (let i = 0; i < 80; i++) yield Buffer.alloc(64 * 1024, 0x20)
  }
  const streamed = await gw.request({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: Readable.from(chunks()) })
  t.equal(streamed.statusCode, 413)
  t.equal(streamed.json().code, 'payload_too_large')
  t.equal(gw.sim.calls('add'), 0)

  const raised = await gateway(t, { env: { BODY_LIMIT_BYTES: String(8 * 1024 * 1024) } })
  const accepted = await raised.request({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: big })
  t.not(accepted.statusCode, 413, 'BODY_LIMIT_BYTES raises the limit')
})

t.test('what fails before routing is a problem+json too: undecodable URLs and overlong path segments', async (t) => {
  const gw = await shared()
  const long = await gw.request({ url: `/orders/${'9'.repeat(200)}` })
  t.equal(long.statusCode, 414)
  t.match(long.headers['content-type'], /^application\/problem\+json/)
  t.equal(long.json().code, 'uri_too_long')
  t.ok(long.headers['x-request-id'], 'with its request id')
  const bad = await gw.request({ url: '/orders/%ZZ' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'invalid_url')
  t.equal(gw.sim.calls(), 0)
})

t.test('what Node\'s HTTP parser refuses is a problem+json too: unknown methods, oversized headers', async (t) => {
  const gw = await gateway(t)
  const address = await gw.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = new URL(address)
  async function raw (head: string): Promise<string> {
    const { createConnection } = await import('node:net')
    return await new Promise((resolve, reject) => {
      let answer = ''
      const socket = createConnection({ host: '127.0.0.1', port: Number(port) }, () => { socket.write(head) })
      socket.setEncoding('utf8').on('data', (chunk: string) => { answer += chunk }).on('end', () => { resolve(answer) }).on('error', reject)
    })
  }
  const method = await raw('FOO /services HTTP/1.1\r\nHost: x\r\n\r\n')
  t.match(method, /^HTTP\/1\.1 400 /)
  t.match(method, /content-type: application\/problem\+json/i)
  t.equal(JSON.parse(method.split('\r\n\r\n')[1] as string).code, 'bad_request')
  const headers = await raw(`GET /services HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(headers, /^HTTP\/1\.1 431 /)
  t.equal(JSON.parse(headers.split('\r\n\r\n')[1] as string).code, 'headers_too_large')
})

t.test('a 401 says how to authenticate; a prototype-poisoning body is refused and says why', async (t) => {
  const gw = await shared()
  const anonymous = await gw.app.inject({ url: '/services' })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="smm-gateway"')
  const poisoned = await gw.request({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: '{"service":1,"__proto__":{"admin":true}}' })
  t.equal(poisoned.statusCode, 400)
  t.equal(poisoned.json().code, 'invalid_json')
  t.match(poisoned.json().detail, /__proto__/)
  t.equal(gw.sim.calls('add'), 0)
})

t.test('a key a client put in the URL is masked in the logs', async (t) => {
  const gw = await shared()
  const res = await gw.app.inject({ url: `/services?apiKey=${gw.key}&limit=1` })
  t.equal(res.statusCode, 401)
  await gw.app.inject({ url: `/services/${gw.key}`, headers: { authorization: `Bearer ${gw.key}` } })
  const logs = gw.logs.join('')
  t.match(logs, /apiKey=\[redacted\]&limit=1/, 'the URL is logged, its secret masked')
  t.notOk(logs.includes(gw.key), 'the key appears in no log line')
})

t.test('ids and numbers in paths and query strings are decimal digits: 0x10, 1e3 and " 7" are refused, not read as numbers', async (t) => {
  const gw = await shared()
  for (const url of ['/orders/0x10', '/orders/1e3', '/orders/%207', '/services?limit=1e2', '/services/0b11', '/refills/0o7']) {
    const res = await gw.request({ url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().code, 'validation_failed', url)
    t.match(res.json().detail, /decimal digits/, url)
  }
  t.equal((await gw.request({ url: '/services?limit=2' })).statusCode, 200, 'plain digits pass')
  t.equal(gw.sim.calls('status'), 0)
})
