import t from 'tap'
import { gateway } from '../helper.js'
import { testClock } from '../fixtures/time.js'

t.test('balance.low: once on crossing below the threshold, re-armed above it', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, { clock, env: { BALANCE_LOW_THRESHOLD: '100', BALANCE_LOW_RUNWAY_HOURS: '0' } })
  const lows = async () => (await gw.request({ url: '/events?types=balance.low' })).json().items

  t.equal(await gw.app.eventWatch.checkBalance(), undefined, 'the starting balance is not low')
  gw.sim.setBalance('40.50')
  const first = await gw.app.eventWatch.checkBalance()
  t.match(first?.data, { balance: '40.5', currency: 'USD', threshold: '100', spentLast24h: '0', runwayHours: null })
  t.equal(await gw.app.eventWatch.checkBalance(), undefined, 'still low: no second event')
  t.equal((await lows()).length, 1)

  gw.sim.setBalance('500')
  t.equal(await gw.app.eventWatch.checkBalance(), undefined)
  gw.sim.setBalance('10')
  t.ok(await gw.app.eventWatch.checkBalance(), 'low again after recovering: a new event')
  t.same((await lows()).map((e: any) => e.data.balance), ['40.5', '10'])

  const noScope = await gw.addTenant({ name: 'no-balance', scopes: ['orders:read'] })
  t.same((await noScope.request({ url: '/events' })).json().items, [], 'balance events need balance:read')
})

t.test('balance.low on runway: the last 24 hours of spend', async (t) => {
  const gw = await gateway(t, { env: { BALANCE_LOW_RUNWAY_HOURS: '48' } })
  const placed = await gw.request({ method: 'POST', url: '/orders', payload: { service: 1, link: 'https://example.com/a', quantity: 1000 } })
  t.equal(placed.statusCode, 201, placed.body)
  const spent = await gw.app.store.panelSpentSince(new Date(Date.now() - 86_400_000))
  t.not(spent, '0')
  gw.sim.setBalance(spent)
  const event = await gw.app.eventWatch.checkBalance()
  t.match(event?.data, { balance: spent, threshold: null, spentLast24h: spent, runwayHours: 24 })
})
