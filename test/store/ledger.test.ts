import t from 'tap'
import type { ClaimIdempotency, ReserveOrder } from '../../src/store/types.js'
import { eachEngine, newTenant } from './helper.js'

// The money path in the store: every transition is a compare-and-set, so a
// crashed process, a retry and the sweep can never both move an order.

let keyCounter = 0
const newKey = (): string => `ledger-${process.pid}-${++keyCounter}`
const PANEL = 'panel-a'
// "Stale" is decided by the caller's clock: a moment after now makes every claim stale, one long ago none.
const later = (): Date => new Date(Date.now() + 60_000)
const earlier = (): Date => new Date(Date.now() - 60_000)

await eachEngine(t, async (t, { store }) => {
  const reserve = async (tenantId: number, extra: Partial<ReserveOrder> = {}) => {
    const r = await store.reserveOrder({ tenantId, panel: PANEL, service: 1, request: {}, quantity: 1, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null, ...extra })
    if (!r.ok) throw new Error('not reserved')
    return r
  }
  const claim = async (r: Partial<ClaimIdempotency> & { tenantId: number, key: string }) =>
    await store.claimIdempotency({ fingerprint: 'fp', route: 'POST /orders', ttlSeconds: 3600, ledger: true, ...r })

  t.test('gateway ids are the gateway\'s own: random, unique, and not the panel\'s', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const ids = new Set<number>()
    for (let i = 0; i < 20; i++) ids.add((await reserve(tenantId)).id)
    t.equal(ids.size, 20)
    for (const id of ids) t.ok(Number.isSafeInteger(id) && id >= 1 && id < 2 ** 48)
  })

  t.test('transitions are compare-and-set: reserved → sending → placed once, and nothing moves a placed order back', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const r = await reserve(tenantId)
    t.equal(await store.markUnknown(r.localId), false, 'a reserved order was never sent, so it cannot be unknown')
    t.equal(await store.markSending(r.localId), true)
    t.equal(await store.markSending(r.localId), false, 'sending only once')
    t.same(await store.markPlaced(r.localId, PANEL, 91_001), { placed: true, superseded: 0 })
    t.equal(await store.markFailed(r.localId), false)
    t.equal(await store.markRejected(r.localId), false)
    t.equal(await store.markUnknown(r.localId), false)
    t.match(await store.getOrder(tenantId, r.id), { state: 'placed', panelOrderId: 91_001, panel: PANEL, status: 'pending' })
  })

  t.test('a late answer places an order the sweep had marked unknown', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const r = await reserve(tenantId)
    await store.markSending(r.localId)
    const reaped = await store.reapStaleOrders(later())
    t.ok(reaped.unknown.some((o) => o.id === r.id))
    t.same(await store.markPlaced(r.localId, PANEL, 91_002), { placed: true, superseded: 0 })
  })

  t.test('the sweep: stale sending → unknown (budget held), stale reserved → failed (released), fresh ones untouched', async (t) => {
    const { id: tenantId } = await newTenant(store, { dailyBudget: '10' })
    const sending = await reserve(tenantId, { estimatedCharge: '4' })
    await store.markSending(sending.localId)
    const reserved = await reserve(tenantId, { estimatedCharge: '4' })
    t.equal((await store.spend(tenantId)).today, '8')
    const none = await store.reapStaleOrders(earlier())
    t.equal(none.unknown.filter((o) => o.tenantId === tenantId).length, 0)
    await store.reapStaleOrders(later())
    t.match(await store.getOrder(tenantId, sending.id), { state: 'unknown' })
    t.match(await store.getOrder(tenantId, reserved.id), { state: 'failed' })
    t.equal((await store.spend(tenantId)).today, '4', 'only the unknown order still holds budget')
    t.same((await store.listOrders(tenantId, { limit: 10 })).map((o) => [o.id, o.state]), [[sending.id, 'unknown']], 'unknown outcomes are listed')
    t.same((await store.listOrders(tenantId, { limit: 10, status: 'unknown' })).map((o) => o.id), [sending.id])
  })

  t.test('a panel id handed out again supersedes the older order instead of merging the two', async (t) => {
    const alice = (await newTenant(store)).id
    const bob = (await newTenant(store)).id
    const first = await reserve(alice)
    await store.markSending(first.localId)
    await store.markPlaced(first.localId, PANEL, 91_003)
    const second = await reserve(bob)
    await store.markSending(second.localId)
    t.same(await store.markPlaced(second.localId, PANEL, 91_003), { placed: true, superseded: 1 })
    t.match(await store.getOrder(alice, first.id), { panelOrderId: 91_003, panelSuperseded: true })
    t.match(await store.getOrder(bob, second.id), { panelOrderId: 91_003, panelSuperseded: false })
    t.equal(await store.getOrder(bob, first.id), undefined, 'each tenant sees only its own')
    const other = await reserve(bob)
    await store.markSending(other.localId)
    t.same(await store.markPlaced(other.localId, 'panel-b', 91_003), { placed: true, superseded: 0 }, 'ids are unique per panel only')
  })

  t.test('a claim links its order; a stale one whose order was sent answers unknown, never claimed again', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const key = newKey()
    t.same(await claim({ tenantId, key }), { state: 'claimed' })
    const r = await reserve(tenantId, { idempotencyKey: key })
    await store.markSending(r.localId)
    t.same(await claim({ tenantId, key, staleBefore: earlier() }), { state: 'in_flight' }, 'fresh: still running')
    const stale = await claim({ tenantId, key, staleBefore: later() })
    t.match(stale, { state: 'unknown', order: { id: r.id, state: 'unknown' } })
    await store.releaseIdempotency(tenantId, key)
    t.match(await claim({ tenantId, key, staleBefore: later() }), { state: 'unknown' }, 'a release cannot drop a claim whose order was sent')
  })

  t.test('a stale claim whose order was never sent is released and taken over', async (t) => {
    const { id: tenantId } = await newTenant(store, { dailyBudget: '1' })
    const key = newKey()
    await claim({ tenantId, key })
    const r = await reserve(tenantId, { idempotencyKey: key })
    t.same(await claim({ tenantId, key, staleBefore: later() }), { state: 'claimed' })
    t.match(await store.getOrder(tenantId, r.id), { state: 'failed' }, 'its reservation is released')
    t.equal(await store.markSending(r.localId), false, 'the process that reserved it can no longer send it')
    t.equal((await store.spend(tenantId)).today, '0')
  })

  t.test('a stale claim without an order: taken over for ledger work, unknown for other work', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const orders = newKey()
    await claim({ tenantId, key: orders })
    t.same(await claim({ tenantId, key: orders, staleBefore: later() }), { state: 'claimed' })
    const refill = newKey()
    await claim({ tenantId, key: refill, ledger: false, route: 'POST /orders/1/refill' })
    t.same(await claim({ tenantId, key: refill, ledger: false, route: 'POST /orders/1/refill', staleBefore: later() }), { state: 'unknown' })
  })

  t.test('a claim whose answer was never stored replays from its placed order', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const key = newKey()
    await claim({ tenantId, key })
    const r = await reserve(tenantId, { idempotencyKey: key })
    await store.markSending(r.localId)
    await store.markPlaced(r.localId, PANEL, 91_004)
    t.match(await claim({ tenantId, key }), { state: 'placed', order: { id: r.id, panelOrderId: 91_004 } })
  })

  t.test('20 concurrent stale retries: the reservation is released once and exactly one takes the claim over', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const key = newKey()
    const crashed = new Date(Date.now() - 120_000)
    await claim({ tenantId, key, now: crashed })
    await reserve(tenantId, { idempotencyKey: key, now: crashed })
    // Stale is older than a minute here: the claim the winner takes over is fresh again.
    const results = await Promise.all(Array.from({ length: 20 }, async () => await claim({ tenantId, key, staleBefore: earlier() })))
    t.equal(results.filter((r) => r.state === 'claimed').length, 1)
    t.equal(results.filter((r) => r.state !== 'claimed' && r.state !== 'in_flight').length, 0)
  })

  t.test('an operator resolves unknown orders: placed with the panel id, or not placed (budget released, key reusable)', async (t) => {
    const { id: tenantId } = await newTenant(store, { dailyBudget: '10' })
    const placedKey = newKey()
    await claim({ tenantId, key: placedKey })
    const a = await reserve(tenantId, { estimatedCharge: '3', idempotencyKey: placedKey })
    const b = await reserve(tenantId, { estimatedCharge: '3' })
    for (const r of [a, b]) {
      await store.markSending(r.localId)
      await store.markUnknown(r.localId)
    }
    const live = await reserve(tenantId, { estimatedCharge: '1' })
    await store.markSending(live.localId)
    await store.markPlaced(live.localId, PANEL, 91_015)
    t.match(await store.resolveOrder(a.id, { outcome: 'placed', panelOrderId: 91_015 }), { ok: false, reason: 'panel_id_taken' }, 'a live order keeps its panel id')
    t.match(await store.getOrder(tenantId, live.id), { panelSuperseded: false })
    t.match(await store.resolveOrder(a.id, { outcome: 'placed', panelOrderId: 91_005 }), { ok: true, order: { state: 'placed', panelOrderId: 91_005, panel: PANEL } })
    t.match(await claim({ tenantId, key: placedKey }), { state: 'placed', order: { id: a.id } }, 'its key now replays the placed order')
    t.match(await store.resolveOrder(b.id, { outcome: 'not_placed' }), { ok: true, order: { state: 'failed' } })
    t.equal((await store.spend(tenantId)).today, '4')
    t.match(await store.resolveOrder(b.id, { outcome: 'not_placed' }), { ok: false, reason: 'not_unknown' })
    t.match(await store.resolveOrder(2 ** 48 + 7, { outcome: 'not_placed' }), { ok: false, reason: 'not_found' })
    t.same((await store.listOrdersInState('unknown', { limit: 1000 })).filter((o) => o.tenantId === tenantId), [])
  })

  t.test('refills get gateway ids and point at their order', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const r = await reserve(tenantId)
    await store.markSending(r.localId)
    await store.markPlaced(r.localId, PANEL, 91_006)
    const one = await store.recordRefill({ tenantId, orderLocalId: r.localId, panel: PANEL, panelRefillId: 7001 })
    const two = await store.recordRefill({ tenantId, orderLocalId: r.localId, panel: PANEL, panelRefillId: 7001 })
    t.not(one.id, two.id, 'a repeated panel refill id is a new refill')
    t.match(one, { orderId: r.id, panelRefillId: 7001 })
    t.same([...(await store.getRefills(tenantId, [one.id, two.id])).keys()].sort(), [one.id, two.id].sort())
    t.equal((await store.getRefills(tenantId + 1, [one.id])).size, 0)
  })

  t.test('a large answer (a batch of 1000 items) is stored compressed and replayed whole', async (t) => {
    const { id: tenantId } = await newTenant(store)
    const key = newKey()
    await claim({ tenantId, key, ledger: false, route: 'POST /orders/cancel' })
    const body = { items: Array.from({ length: 1000 }, (_, i) => ({ id: 100_000_000_000 + i, error: { code: 'cancel_not_allowed', status: 422, detail: `The service of order ${100_000_000_000 + i} does not allow cancels` } })) }
    await store.completeIdempotency({ tenantId, key, status: 200, body, headers: {} })
    t.same(await claim({ tenantId, key, ledger: false, route: 'POST /orders/cancel' }), { state: 'done', status: 200, body, headers: {} })
    const row = await store.db.selectFrom('idempotency_keys').select(['body', 'body_gzip']).where('tenant_id', '=', tenantId).where('key', '=', key).executeTakeFirstOrThrow()
    const raw = Buffer.byteLength(JSON.stringify(body))
    t.equal(row.body, null)
    t.ok(row.body_gzip !== null && row.body_gzip.length < raw * 0.15, `${row.body_gzip?.length ?? 0} bytes stored for ${raw}`)
  })
})
