import t from 'tap'
import { Value } from 'typebox/value'
import { AmountOutOfRangeError, INPUT_INTEGER_DIGITS, SCALE, fromUnits, fromUnitsOrNull, normaliseAmount, toUnits, toUnitsOrNull } from '../../src/store/money.js'
import { NewTenantBody } from '../../schemas/admin.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import { eachEngine, newTenant } from './helper.js'

interface Reserve {
  estimatedCharge: string | null
  dailyBudget?: string | null
  monthlyBudget?: string | null
  now?: Date
}

async function reserve (store: KyselyStore, tenantId: number, r: Reserve) {
  return await store.reserveOrder({
    tenantId,
    panel: PANEL,
    service: 1,
    request: { link: 'https://example.com' },
    quantity: 100,
    estimatedCharge: r.estimatedCharge,
    dailyBudget: r.dailyBudget ?? null,
    monthlyBudget: r.monthlyBudget ?? null,
    ...(r.now === undefined ? {} : { now: r.now })
  })
}

let upstream = 9_000_000

const PANEL = 'test-panel'

/** reserved → sending → placed on the test panel with a panel id */
async function markPlaced (store: KyselyStore, localId: number, panelOrderId: number): Promise<void> {
  if (!await store.markSending(localId)) throw new Error('not reserved')
  const placed = await store.markPlaced(localId, PANEL, panelOrderId)
  if (!placed.placed) throw new Error('not placed')
}

/** reserved → sending → unknown: the add's answer was lost */
async function markUnknown (store: KyselyStore, localId: number): Promise<void> {
  if (!await store.markSending(localId)) throw new Error('not reserved')
  if (!await store.markUnknown(localId)) throw new Error('not sending')
}

async function order (store: KyselyStore, tenantId: number, at: string, estimate: string, end: 'placed' | 'failed' | 'unknown' | 'reserved' = 'placed', charge?: string): Promise<void> {
  const r = await store.reserveOrder({ tenantId, panel: PANEL, service: 1, request: {}, quantity: 1, estimatedCharge: estimate, dailyBudget: null, monthlyBudget: null, now: new Date(at) })
  if (!r.ok) throw new Error('refused')
  if (end === 'placed') {
    await markPlaced(store, r.localId, ++upstream)
    if (charge !== undefined) await store.updateOrderStatus(tenantId, r.localId, { status: 'completed', upstreamStatus: 'Completed', charge, startCount: 0, remains: 0, currency: 'USD', final: true })
  }
  if (end === 'failed') await store.markFailed(r.localId)
  if (end === 'unknown') await markUnknown(store, r.localId)
}

t.test('toUnits counts 1e-8 units, rounding half-up at the ninth place', async (t) => {
  t.equal(toUnits('0.27819'), 27_819_000n)
  t.equal(toUnits('1'), 100_000_000n)
  t.equal(toUnits('0.00000001'), 1n)
  t.equal(toUnits('0.000000015'), 2n)
  t.equal(toUnits('0.0000000149999'), 1n)
  t.equal(toUnits('0.000000005'), 1n)
  t.equal(toUnits('0'), 0n)
  t.equal(toUnits('92233720368.54775807'), 9_223_372_036_854_775_807n, 'the largest BIGINT')
  t.equal(toUnits('1e-8'), 1n)
  t.throws(() => toUnits('abc'))
  t.throws(() => toUnits('Infinity'))
})

t.test('toUnits refuses an amount beyond the signed 64-bit count instead of overflowing', async (t) => {
  t.equal(toUnits('-92233720368.54775808'), -9_223_372_036_854_775_808n, 'the smallest BIGINT')
  t.throws(() => toUnits('92233720368.54775808'), AmountOutOfRangeError)
  t.throws(() => toUnits('-92233720368.54775809'), AmountOutOfRangeError)
  t.throws(() => toUnits('99999999999999999999.99'), AmountOutOfRangeError)
  t.throws(() => toUnits('1' + '0'.repeat(25)), RangeError, 'a RangeError too')
})

t.test('fromUnits gives the shortest exact decimal string', async (t) => {
  t.equal(fromUnits(27_819_000n), '0.27819')
  t.equal(fromUnits('30000000'), '0.3', 'pg returns int8 and numeric as text')
  t.equal(fromUnits(100_000_000), '1')
  t.equal(fromUnits(1n), '0.00000001')
  t.equal(fromUnits(0n), '0')
  t.equal(fromUnits(9_223_372_036_854_775_807n), '92233720368.54775807')
  t.throws(() => fromUnits(2 ** 60), RangeError, 'an unsafe JS number is refused, not rounded')
})

t.test('0.1 + 0.2 is 0.3 in units', async (t) => {
  t.equal(fromUnits(toUnits('0.1') + toUnits('0.2')), '0.3')
})

t.test('null passes through; normaliseAmount reads like the store', async (t) => {
  t.equal(toUnitsOrNull(null), null)
  t.equal(toUnitsOrNull(undefined), null)
  t.equal(fromUnitsOrNull(null), null)
  t.equal(normaliseAmount('10.500'), '10.5')
  t.equal(normaliseAmount('0.123456789'), '0.12345679')
})

await eachEngine(t, async (t, { name, store, open }) => {
  t.test('a daily budget admits orders up to the budget and refuses the next', async (t) => {
    const { id } = await newTenant(store)
    t.match(await reserve(store, id, { estimatedCharge: '0.4', dailyBudget: '1' }), { ok: true })
    t.match(await reserve(store, id, { estimatedCharge: '0.6', dailyBudget: '1' }), { ok: true }, 'reaching the budget exactly is allowed')
    t.same(await reserve(store, id, { estimatedCharge: '0.01', dailyBudget: '1.00' }), { ok: false, limit: 'daily', spent: '1', budget: '1' })
  })

  t.test('a monthly budget is checked too', async (t) => {
    const { id } = await newTenant(store)
    const day1 = new Date('2031-03-15T23:59:59.999Z')
    const day2 = new Date('2031-03-16T00:00:00.000Z')
    t.match(await reserve(store, id, { estimatedCharge: '0.9', dailyBudget: '1', monthlyBudget: '1.5', now: day1 }), { ok: true })
    t.match(await reserve(store, id, { estimatedCharge: '0.6', dailyBudget: '1', monthlyBudget: '1.5', now: day2 }), { ok: true }, 'a new UTC day resets the daily spend')
    t.same(await reserve(store, id, { estimatedCharge: '0.1', dailyBudget: '1', monthlyBudget: '1.5', now: day2 }), { ok: false, limit: 'monthly', spent: '1.5', budget: '1.5' })
    t.same(await reserve(store, id, { estimatedCharge: '0.5', dailyBudget: '1', monthlyBudget: null, now: day2 }), { ok: false, limit: 'daily', spent: '0.6', budget: '1' }, 'daily is reported first')
    t.match(await reserve(store, id, { estimatedCharge: '1.5', dailyBudget: '1.5', monthlyBudget: '1.5', now: new Date('2031-04-01T00:00:00.000Z') }), { ok: true }, 'a new UTC month resets the monthly spend')
  })

  t.test('no budget means no limit', async (t) => {
    const { id } = await newTenant(store)
    t.match(await reserve(store, id, { estimatedCharge: '1000000' }), { ok: true })
    t.match(await reserve(store, id, { estimatedCharge: '1000000' }), { ok: true })
  })

  t.test('failed orders release their budget; unknown ones keep it', async (t) => {
    const { id } = await newTenant(store)
    const first = await reserve(store, id, { estimatedCharge: '1', dailyBudget: '1' })
    if (!first.ok) throw new Error('refused')
    t.match(await reserve(store, id, { estimatedCharge: '1', dailyBudget: '1' }), { ok: false })
    await store.markFailed(first.localId)
    const second = await reserve(store, id, { estimatedCharge: '1', dailyBudget: '1' })
    t.match(second, { ok: true }, 'budget released')
    if (!second.ok) return
    await markUnknown(store, second.localId)
    t.match(await reserve(store, id, { estimatedCharge: '0.01', dailyBudget: '1' }), { ok: false, spent: '1' }, 'still held')
  })

  t.test('the reported charge replaces the estimate', async (t) => {
    const { id } = await newTenant(store)
    const first = await reserve(store, id, { estimatedCharge: '0.9', dailyBudget: '1' })
    if (!first.ok) throw new Error('refused')
    await markPlaced(store, first.localId, 4_000_001 + id)
    await store.updateOrderStatus(id, first.localId, { status: 'partial', upstreamStatus: 'Partial', charge: '0.25', startCount: 0, remains: 50, currency: 'USD', final: true })
    t.match(await reserve(store, id, { estimatedCharge: '0.75', dailyBudget: '1' }), { ok: true })
    t.same(await store.spend(id), { today: '1', month: '1' })
  })

  t.test('budgets are per tenant', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    t.match(await reserve(store, a.id, { estimatedCharge: '1', dailyBudget: '1' }), { ok: true })
    t.match(await reserve(store, b.id, { estimatedCharge: '1', dailyBudget: '1' }), { ok: true })
  })

  t.test('sums are exact: 0.1 + 0.2 fills a 0.3 budget', async (t) => {
    const { id } = await newTenant(store)
    t.match(await reserve(store, id, { estimatedCharge: '0.1', dailyBudget: '0.3' }), { ok: true })
    t.match(await reserve(store, id, { estimatedCharge: '0.2', dailyBudget: '0.3' }), { ok: true })
    t.same(await reserve(store, id, { estimatedCharge: '0.00000001', dailyBudget: '0.3' }), { ok: false, limit: 'daily', spent: '0.3', budget: '0.3' })
    t.same(await store.spend(id), { today: '0.3', month: '0.3' })
  })

  t.test('amounts keep 8 decimal places and round half-up beyond', async (t) => {
    const { id } = await newTenant(store)
    for (let i = 0; i < 3; i++) t.match(await reserve(store, id, { estimatedCharge: '0.00000001', dailyBudget: '0.00000003' }), { ok: true })
    t.match(await reserve(store, id, { estimatedCharge: '0.00000001', dailyBudget: '0.00000003' }), { ok: false, spent: '0.00000003' })

    const other = await newTenant(store)
    const up = await reserve(store, other.id, { estimatedCharge: '0.000000015' })
    const down = await reserve(store, other.id, { estimatedCharge: '0.0000000149' })
    if (!up.ok || !down.ok) throw new Error('refused')
    await markPlaced(store, up.localId, 5_000_001 + other.id * 10)
    await markPlaced(store, down.localId, 5_000_002 + other.id * 10)
    t.equal((await store.getOrder(other.id, up.id))?.estimatedCharge, '0.00000002')
    t.equal((await store.getOrder(other.id, down.id))?.estimatedCharge, '0.00000001')
  })

  t.test('amounts beyond 2^53 units stay exact', async (t) => {
    const budget = '12345678901.23456789'
    const { id } = await newTenant(store, { dailyBudget: budget })
    t.equal((await store.getTenant(id))?.dailyBudget, budget)
    t.match(await reserve(store, id, { estimatedCharge: '12345678901.23456788', dailyBudget: budget }), { ok: true })
    t.match(await reserve(store, id, { estimatedCharge: '0.00000001', dailyBudget: budget }), { ok: true })
    t.same(await reserve(store, id, { estimatedCharge: '0.00000001', dailyBudget: budget }), { ok: false, limit: 'daily', spent: budget, budget })
    t.same(await store.spend(id), { today: budget, month: budget })
  })

  t.test('a budget the store cannot hold is refused with AmountOutOfRangeError, and nothing is written', async (t) => {
    const huge = '99999999999999999999.99'
    const before = await store.listTenants({ limit: 10_000 })
    await t.rejects(newTenant(store, { dailyBudget: huge }), AmountOutOfRangeError)
    t.equal((await store.listTenants({ limit: 10_000 })).length, before.length)
    const tenant = await newTenant(store, { monthlyBudget: '5' })
    await t.rejects(store.updateTenant(tenant.id, { monthlyBudget: '1' + '0'.repeat(25) }), AmountOutOfRangeError)
    t.equal((await store.getTenant(tenant.id))?.monthlyBudget, '5')
  })

  t.test('20 concurrent reservations never overspend', async (t) => {
    const { id } = await newTenant(store)
    const results = await Promise.all(Array.from({ length: 20 }, async () =>
      await reserve(store, id, { estimatedCharge: '0.15', dailyBudget: '1.05', monthlyBudget: '100' })))
    t.equal(results.filter((r) => r.ok).length, 7, 'exactly 7 × 0.15 fit in 1.05')
    t.equal(results.filter((r) => !r.ok && r.limit === 'daily').length, 13)
    t.same(await store.spend(id), { today: '1.05', month: '1.05' })
  })

  if (name === 'postgres') {
    t.test('20 concurrent reservations through two instances never overspend', async (t) => {
      const other = await open()
      const { id } = await newTenant(store)
      const results = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
        await reserve(i % 2 === 0 ? store : other, id, { estimatedCharge: '0.1', dailyBudget: '0.5' })))
      t.equal(results.filter((r) => r.ok).length, 5)
      t.same(await store.spend(id), { today: '0.5', month: '0.5' })
    })
  }

  t.test('usage and spend', async (t) => {
    const now = new Date('2031-02-02T20:00:00.000Z')
    const tenant = await newTenant(store)
    const other = await newTenant(store)
    await order(store, tenant.id, '2030-12-31T23:59:59.999Z', '5')
    await order(store, tenant.id, '2031-01-30T10:00:00.000Z', '0.1')
    await order(store, tenant.id, '2031-01-31T23:59:59.999Z', '0.2')
    await order(store, tenant.id, '2031-02-01T00:00:00.000Z', '0.3', 'placed', '0.25')
    await order(store, tenant.id, '2031-02-02T12:00:00.000Z', '0.4', 'failed')
    await order(store, tenant.id, '2031-02-02T13:00:00.000Z', '0.5', 'unknown')
    await order(store, tenant.id, '2031-02-02T14:00:00.000Z', '1', 'reserved')
    await order(store, other.id, '2031-02-02T14:00:00.000Z', '7')

    t.test('usage totals orders and spend per UTC day and month, zero-filled, oldest first', async (t) => {
      t.same(await store.usage(tenant.id, { days: 5, now }), {
        days: [
          { day: '2031-01-29', orders: 0, spend: '0' },
          { day: '2031-01-30', orders: 1, spend: '0.1' },
          { day: '2031-01-31', orders: 1, spend: '0.2' },
          { day: '2031-02-01', orders: 1, spend: '0.25' },
          { day: '2031-02-02', orders: 2, spend: '1.5' }
        ],
        months: [
          { month: '2031-01', orders: 2, spend: '0.3' },
          { month: '2031-02', orders: 3, spend: '1.75' }
        ]
      })
    })

    t.test('usage for one day covers today and this month', async (t) => {
      t.same(await store.usage(tenant.id, { days: 1, now }), {
        days: [{ day: '2031-02-02', orders: 2, spend: '1.5' }],
        months: [{ month: '2031-02', orders: 3, spend: '1.75' }]
      })
    })

    t.test('usage of a tenant without orders is all zeros', async (t) => {
      const idle = await newTenant(store)
      const usage = await store.usage(idle.id, { days: 2, now })
      t.same(usage.days, [{ day: '2031-02-01', orders: 0, spend: '0' }, { day: '2031-02-02', orders: 0, spend: '0' }])
      t.same(usage.months, [{ month: '2031-02', orders: 0, spend: '0' }])
    })

    t.test('usage refuses a day count below 1', async (t) => {
      await t.rejects(store.usage(tenant.id, { days: 0, now }), RangeError)
      await t.rejects(store.usage(tenant.id, { days: 1.5, now }), RangeError)
    })

    t.test('spend answers today\'s and this month\'s held spend', async (t) => {
      t.same(await store.spend(tenant.id, now), { today: '1.5', month: '1.75' })
      t.same(await store.spend(tenant.id, new Date('2031-01-31T12:00:00.000Z')), { today: '0.2', month: '0.3' })
      t.same(await store.spend(other.id, now), { today: '7', month: '7' })
      t.same(await store.spend(987654, now), { today: '0', month: '0' })
    })
  })
})

t.test('the API accepts exactly the budgets the store can hold (schemas/admin.ts spells the store\'s bounds)', async (t) => {
  const dailyBudget = NewTenantBody.properties.dailyBudget
  const accepts = (value: string): boolean => Value.Check(dailyBudget, value)
  const widest = '9'.repeat(INPUT_INTEGER_DIGITS) + '.' + '9'.repeat(SCALE)
  t.ok(accepts(widest), 'the widest amount the store holds')
  t.equal(normaliseAmount(widest), widest)
  t.notOk(accepts('9'.repeat(INPUT_INTEGER_DIGITS + 1)), 'one integer digit more')
  t.notOk(accepts('1.' + '1'.repeat(SCALE + 1)), 'one decimal more')
})
