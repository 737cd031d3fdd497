import t from 'tap'
import { gateway } from '../helper.js'
import { postgresUnreachable } from '../store/helper.js'

const unreachable = await postgresUnreachable()
const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'

t.test('two gateways on one PostgreSQL emit each catalog change and balance.low once', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  const gw = await gateway(t, { database: 'postgres', env: { BALANCE_LOW_THRESHOLD: '100', BALANCE_LOW_RUNWAY_HOURS: '0' } })
  const second = await gw.sibling({ BALANCE_LOW_THRESHOLD: '100', BALANCE_LOW_RUNWAY_HOURS: '0' })
  const feed = async () => (await gw.request({ url: '/events' })).json().items

  await Promise.all([gw.app.eventWatch.checkCatalog(), second.eventWatch.checkCatalog()])
  t.same(await feed(), [], 'the baseline, taken once')
  gw.sim.setService({ service: 1, rate: '7.77' })
  gw.sim.setService({ service: 515151, name: 'Added' })
  await Promise.all([gw.app.eventWatch.checkCatalog(), second.eventWatch.checkCatalog()])
  t.same((await feed()).map((e: any) => e.type).sort(), ['service.added', 'service.changed'])

  gw.sim.setBalance('5')
  await Promise.all([gw.app.eventWatch.checkBalance(), second.eventWatch.checkBalance()])
  t.equal((await feed()).filter((e: any) => e.type === 'balance.low').length, 1)
})
