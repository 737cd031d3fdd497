import t from 'tap'
import { gateway } from '../helper.js'
import { testClock } from '../fixtures/time.js'

t.test('retention purge deletes events older than EVENTS_RETENTION_DAYS', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock, env: { EVENTS_RETENTION_DAYS: '2' } })
  await gw.app.store.recordEvents([{ type: 'order.created', tenantId: gw.tenant.id, data: { n: 1 } }], new Date(clock.now()))
  clock.advance(86_400_000)
  await gw.app.store.recordEvents([{ type: 'order.created', tenantId: gw.tenant.id, data: { n: 2 } }], new Date(clock.now()))
  t.equal(await gw.app.eventWatch.purge(), 0, 'nothing is two days old yet')
  clock.advance(86_400_000 + 1000)
  t.equal(await gw.app.eventWatch.purge(), 1)
  const items = (await gw.request({ url: '/events' })).json().items
  t.same(items.map((e: any) => e.data.n), [2])
})
