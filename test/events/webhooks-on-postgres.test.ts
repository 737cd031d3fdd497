// Webhook delivery across instances sharing one PostgreSQL, and across a restart.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ADMIN_TOKEN, gateway, type Gateway } from '../helper.js'
import { postgresUnreachable } from '../store/helper.js'
import { receiver } from './receiver.js'

const unreachable = await postgresUnreachable()
const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'
const ALLOW_LOCAL = { WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', WEBHOOK_CONCURRENCY: '4' }

async function instance (gw: Gateway): Promise<FastifyInstance> {
  return await gw.sibling(ALLOW_LOCAL)
}

t.test('webhooks on PostgreSQL', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }

  t.test('two instances ticking at once deliver each event exactly once per endpoint', async (t) => {
    const rx = await receiver(t)
    const gw = await gateway(t, { database: 'postgres', env: ALLOW_LOCAL })
    const second = await instance(gw)
    const tenantHook = await gw.request({ method: 'POST', url: '/webhooks', payload: { url: `${rx.url}/tenant` } })
    const operatorHook = await gw.app.inject({ method: 'POST', url: '/admin/webhooks', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { url: `${rx.url}/operator` } })
    t.equal(tenantHook.statusCode, 201)
    t.equal(operatorHook.statusCode, 201)
    const events = await gw.app.store.recordEvents(Array.from({ length: 40 }, (_, i) => ({ type: 'order.created', tenantId: gw.tenant.id, data: { i } })))
    const attempts = await Promise.all([gw.app.webhooks.tick(), second.webhooks.tick(), gw.app.webhooks.tick(), second.webhooks.tick()])
    t.equal(attempts.reduce((a, b) => a + b, 0), 80, 'every delivery attempted once across the instances')
    for (const path of ['/hook/tenant', '/hook/operator']) {
      const ids = rx.received.filter((r) => r.path === path).map((r) => String(r.headers['webhook-id']))
      t.equal(ids.length, 40, `${path}: 40 requests`)
      t.same(new Set(ids), new Set(events.map((e) => e.id)), `${path}: each event once`)
    }
    t.equal(await second.webhooks.tick() + await gw.app.webhooks.tick(), 0)
  })

  t.test('a restart loses nothing: events recorded before it are delivered after', async (t) => {
    const rx = await receiver(t)
    const gw = await gateway(t, { database: 'postgres', env: ALLOW_LOCAL })
    const hook = (await gw.request({ method: 'POST', url: '/webhooks', payload: { url: rx.url } })).json()
    const before = await instance(gw)
    const events = await before.store.recordEvents([1, 2, 3].map((i) => ({ type: 'order.created', tenantId: gw.tenant.id, data: { i } })))
    await before.close()
    const after = await instance(gw)
    t.equal(await after.webhooks.tick(), 3)
    t.same(rx.received.map((r) => r.headers['webhook-id']).sort(), events.map((e) => e.id).sort())
    t.ok(rx.received.every((r) => rx.verifies(r, hook.secret)))
  })
})
