import t from 'tap'
import { panel, simulator } from './helper.js'

const LINK = 'https://instagram.com/p/Cx1'

t.test('servicesShape wraps the catalog as panels do: array, services, data, keyed by id', async (t) => {
  const sim = await simulator(t)
  const array = await panel(sim, { action: 'services' })
  t.ok(Array.isArray(array))
  sim.setQuirks({ servicesShape: 'services' })
  t.same(await panel(sim, { action: 'services' }), { services: array })
  sim.setQuirks({ servicesShape: 'data' })
  t.same(await panel(sim, { action: 'services' }), { data: array })
  sim.setQuirks({ servicesShape: 'keyed' })
  const keyed = await panel(sim, { action: 'services' })
  t.same(Object.keys(keyed), array.map((s: { service: number }) => String(s.service)))
  t.same(keyed['1'], array[0])
  sim.setQuirks({ servicesShape: 'array' })
  t.same(await panel(sim, { action: 'services' }), array)
})

t.test('stringIds writes service, order and refill ids as strings', async (t) => {
  const sim = await simulator(t, { quirks: { stringIds: true } })
  const [first] = await panel(sim, { action: 'services' })
  t.equal(first.service, '1')
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })
  t.equal(order, '23501')
  sim.setOrderStatus(23501, 'Completed')
  t.match(await panel(sim, { action: 'refill', orders: '23501,7' }), [{ order: '23501', refill: /^\d+$/ }, { order: '7', refill: { error: 'Incorrect order ID' } }])
  t.same(await panel(sim, { action: 'cancel', orders: '23501' }), [{ order: '23501', cancel: { error: 'The order can not be canceled' } }])
})

t.test('dollarMoney puts a $ before rates, charges and the balance, digits unchanged', async (t) => {
  const sim = await simulator(t, { quirks: { dollarMoney: true }, balance: '100.84292' })
  const [first] = await panel(sim, { action: 'services' })
  t.equal(first.rate, '$0.90')
  t.same(await panel(sim, { action: 'balance' }), { balance: '$100.84292', currency: 'USD' })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 300 })
  t.match(await panel(sim, { action: 'status', order }), { charge: '$0.27000' })
})

t.test('thousands writes min and max with thousands separators', async (t) => {
  const sim = await simulator(t, { quirks: { thousands: true } })
  const services = await panel(sim, { action: 'services' })
  t.match(services[0], { min: '50', max: '10,000' })
  t.ok(services.some((s: { max: string }) => s.max === '10,000,000'))
})

t.test('stringFlags writes refill/cancel as "true"/"false" or "1"/"0"', async (t) => {
  const sim = await simulator(t, { quirks: { stringFlags: true } })
  const services = await panel(sim, { action: 'services' })
  t.match(services[0], { service: 1, refill: 'true', cancel: 'true' })
  t.match(services[1], { service: 2, refill: '0', cancel: '1' })
  t.ok(services.every((s: { refill: unknown, cancel: unknown }) => ['true', 'false', '1', '0'].includes(s.refill as string) && ['true', 'false', '1', '0'].includes(s.cancel as string)))
})

t.test('upperStatus writes order and refill statuses in upper case with underscores', async (t) => {
  const sim = await simulator(t, { quirks: { upperStatus: true }, progressMs: 60_000 })
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })
  const status = async (): Promise<string> => (await panel(sim, { action: 'status', order })).status
  t.equal(await status(), 'PENDING')
  const expected = { 'In progress': 'IN_PROGRESS', Processing: 'PROCESSING', Partial: 'PARTIALLY', Completed: 'COMPLETED', Canceled: 'CANCELED' } as const
  for (const [name, upper] of Object.entries(expected)) {
    sim.setOrderStatus(order, name as keyof typeof expected)
    t.equal(await status(), upper, name)
  }
  sim.setOrderStatus(order, 'Completed')
  const { refill } = await panel(sim, { action: 'refill', order })
  t.same(await panel(sim, { action: 'refill_status', refill }), { status: 'PENDING' })
})

t.test('quirks combine, and setQuirks({}) turns them all off', async (t) => {
  const sim = await simulator(t, { quirks: { servicesShape: 'data', stringIds: true, dollarMoney: true, thousands: true, stringFlags: true } })
  const { data } = await panel(sim, { action: 'services' })
  t.same(data[0], { service: '1', name: 'Instagram Followers [Refill 30D]', type: 'Default', category: 'Instagram Followers', rate: '$0.90', min: '50', max: '10,000', refill: 'true', cancel: 'true' })
  sim.setQuirks({})
  const [plain] = await panel(sim, { action: 'services' })
  t.same(plain, { service: 1, name: 'Instagram Followers [Refill 30D]', type: 'Default', category: 'Instagram Followers', rate: '0.90', min: '50', max: '10000', refill: true, cancel: true })
})
