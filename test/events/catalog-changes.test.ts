import t from 'tap'
import { gateway } from '../helper.js'

t.test('catalog changes: baseline, then changed / removed / added', async (t) => {
  const gw = await gateway(t)
  const feed = async () => (await gw.request({ url: '/events' })).json().items

  await gw.app.eventWatch.checkCatalog()
  t.same(await feed(), [], 'the first catalog seen is the baseline')
  const before = (await gw.request({ url: '/services/1' })).json()

  gw.sim.setService({ service: 1, rate: '9.99', max: 77777 })
  await gw.app.eventWatch.checkCatalog()
  let events = await feed()
  t.equal(events.length, 1)
  t.match(events[0], { type: 'service.changed', data: { service: { id: 1, rate: '9.99', max: 77777 }, previous: { rate: before.rate, max: before.max } } })
  t.same(Object.keys(events[0].data.previous).sort(), ['max', 'rate'])

  await gw.app.eventWatch.checkCatalog()
  t.equal((await feed()).length, 1, 'no change, no event')

  gw.sim.removeService(1)
  gw.sim.setService({ service: 424242, name: 'New one', category: 'Fresh' })
  await gw.app.eventWatch.checkCatalog()
  events = (await feed()).slice(1)
  t.same(events.map((e: any) => [e.type, e.data.service.id]).sort(), [['service.added', 424242], ['service.removed', 1]])

  const narrow = await gw.addTenant({ name: 'narrow', allowedServices: { ids: [424242], categories: [] } })
  t.same((await narrow.request({ url: '/events' })).json().items.map((e: any) => e.type), ['service.added'], 'only allowed services')
})
