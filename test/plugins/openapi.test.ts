import { readFile } from 'node:fs/promises'
import t from 'tap'
import { openapiYaml } from '../../scripts/openapi-document.js'
import { sharedGateway } from '../fixtures/shared-gateway.js'

const shared = sharedGateway(t)

t.test('openapi.yaml matches the routes (run `npm run openapi` when this fails)', async (t) => {
  const committed = await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8')
  t.equal(committed, await openapiYaml())
})

t.test('GET /openapi.json serves the spec without a key, with every route and its problems', async (t) => {
  const { app } = await shared()
  const res = await app.inject({ url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const spec = res.json()
  t.equal(spec.openapi, '3.1.0')
  for (const path of ['/services', '/services/{id}', '/categories', '/orders', '/orders/{id}', '/orders/{id}/refill',
    '/orders/refill', '/refills/{id}', '/refills', '/orders/{id}/cancel', '/orders/cancel', '/balance', '/health', '/ready', '/me',
    '/admin/tenants', '/admin/tenants/{id}', '/admin/tenants/{id}/keys', '/admin/keys/{id}', '/admin/tenants/{id}/usage']) {
    t.ok(spec.paths[path], `documents ${path}`)
  }
  t.ok(spec.paths['/orders'].post.responses['422'], 'POST /orders documents its 422 problem')
  t.ok(spec.components.securitySchemes.bearerAuth, 'has the bearer security scheme')
  t.ok(spec.components.schemas.Problem, 'the problem schema is shared, not repeated')
})

t.test('no query parameter carries an example: Swagger UI would fill it in and "Try it out" would filter by it', async (t) => {
  const { app } = await shared()
  const spec = (await app.inject({ url: '/openapi.json' })).json()
  const prefilled: string[] = []
  for (const [path, operations] of Object.entries<Record<string, { parameters?: Array<{ name: string, in: string, example?: unknown, examples?: unknown, schema?: { example?: unknown, examples?: unknown } }> }>>(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const p of operation.parameters ?? []) {
        if (p.in !== 'query') continue
        if (p.example !== undefined || p.examples !== undefined || p.schema?.example !== undefined || p.schema?.examples !== undefined) prefilled.push(`${method} ${path} ${p.in} ${p.name}`)
      }
    }
  }
  t.same(prefilled, [])
})

t.test('GET /docs serves Swagger UI without a key', async (t) => {
  const { app } = await shared()
  const res = await app.inject({ url: '/docs/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /swagger/i)
})
