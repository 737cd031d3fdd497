import t from 'tap'
import type { ClaimIdempotency } from '../../src/store/types.js'
import { eachEngine, newTenant } from './helper.js'

let keyCounter = 0
const newKey = (): string => `idem-${process.pid}-${++keyCounter}`

await eachEngine(t, async (t, { name, store, open }) => {
  const claim = async (r: Partial<ClaimIdempotency> & { tenantId: number, key: string }) =>
    await store.claimIdempotency({ fingerprint: 'fp-1', route: 'POST /orders', ttlSeconds: 3600, ...r })

  t.test('the first claim wins; repeats are in flight until completed, then replay the answer', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    t.same(await claim({ tenantId: id, key }), { state: 'claimed' })
    t.same(await claim({ tenantId: id, key }), { state: 'in_flight' })
    const body = { id: 123, status: 'pending', charge: '0.27819' }
    const headers = { location: '/orders/123', 'content-type': 'application/json' }
    await store.completeIdempotency({ tenantId: id, key, status: 201, body, headers })
    t.same(await claim({ tenantId: id, key }), { state: 'done', status: 201, body, headers })
  })

  t.test('done replays any JSON body, including a bare string and null', async (t) => {
    const { id } = await newTenant(store)
    for (const body of ['just text', null, 42, [1, 'two'], { nested: { deep: [true] } }]) {
      const key = newKey()
      await claim({ tenantId: id, key })
      await store.completeIdempotency({ tenantId: id, key, status: 200, body, headers: {} })
      t.same(await claim({ tenantId: id, key }), { state: 'done', status: 200, body, headers: {} }, JSON.stringify(body))
    }
  })

  t.test('a claim left in flight since before staleBefore (its process died) reports unknown', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    const start = new Date('2026-01-01T00:00:00Z')
    const at = (ms: number): Date => new Date(start.getTime() + ms)
    await claim({ tenantId: id, key, now: start })
    t.same(await claim({ tenantId: id, key, staleBefore: start, now: at(599_000) }), { state: 'in_flight' }, 'not older than staleBefore')
    t.same(await claim({ tenantId: id, key, now: at(600_000) }), { state: 'in_flight' }, 'without staleBefore a claim stays in flight')
    t.same(await claim({ tenantId: id, key, staleBefore: at(1), now: at(600_000) }), { state: 'unknown' })
  })

  t.test('a stale claim of work that records its order (ledger) and reserved none is taken over', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    const start = new Date('2026-01-01T00:00:00Z')
    const at = (ms: number): Date => new Date(start.getTime() + ms)
    await claim({ tenantId: id, key, now: start })
    t.same(await claim({ tenantId: id, key, ledger: true, staleBefore: start, now: at(599_000) }), { state: 'in_flight' }, 'not stale yet')
    t.same(await claim({ tenantId: id, key, ledger: true, staleBefore: at(1), now: at(600_000) }), { state: 'claimed' })
    t.same(await claim({ tenantId: id, key, ledger: true, staleBefore: at(1), now: at(600_001) }), { state: 'in_flight' }, 'the new claim is fresh')
  })

  t.test('another fingerprint or route with the same key is a mismatch', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    await claim({ tenantId: id, key })
    t.same(await claim({ tenantId: id, key, fingerprint: 'fp-2' }), { state: 'mismatch' })
    t.same(await claim({ tenantId: id, key, route: 'POST /orders/refill' }), { state: 'mismatch' })
    await store.completeIdempotency({ tenantId: id, key, status: 201, body: {}, headers: {} })
    t.same(await claim({ tenantId: id, key, fingerprint: 'fp-2' }), { state: 'mismatch' }, 'also once done')
  })

  t.test('keys are scoped per tenant', async (t) => {
    const a = await newTenant(store)
    const b = await newTenant(store)
    const key = newKey()
    t.same(await claim({ tenantId: a.id, key }), { state: 'claimed' })
    t.same(await claim({ tenantId: b.id, key, fingerprint: 'other' }), { state: 'claimed' })
    await store.completeIdempotency({ tenantId: b.id, key, status: 201, body: { b: true }, headers: {} })
    t.same(await claim({ tenantId: a.id, key }), { state: 'in_flight' }, 'b completing does not touch a')
  })

  t.test('an expired record counts as absent', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    const t0 = new Date('2032-01-01T00:00:00.000Z')
    const later = (s: number): Date => new Date(t0.getTime() + s * 1000)
    t.same(await claim({ tenantId: id, key, ttlSeconds: 60, now: t0 }), { state: 'claimed' })
    t.same(await claim({ tenantId: id, key, ttlSeconds: 60, now: later(59) }), { state: 'in_flight' })
    t.same(await claim({ tenantId: id, key, ttlSeconds: 60, now: later(60), fingerprint: 'new' }), { state: 'claimed' }, 'replaced, even with another fingerprint')
    await store.completeIdempotency({ tenantId: id, key, status: 201, body: { v: 2 }, headers: {} })
    t.same(await claim({ tenantId: id, key, now: later(61), fingerprint: 'new' }), { state: 'done', status: 201, body: { v: 2 }, headers: {} })
    t.same(await claim({ tenantId: id, key, now: later(121), fingerprint: 'new' }), { state: 'claimed' }, 'a done record expires too')
  })

  t.test('releaseIdempotency forgets an in-flight claim but never a completed one', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    await claim({ tenantId: id, key })
    await store.releaseIdempotency(id, key)
    t.same(await claim({ tenantId: id, key, fingerprint: 'retry' }), { state: 'claimed' })
    await store.completeIdempotency({ tenantId: id, key, status: 201, body: {}, headers: {} })
    await store.releaseIdempotency(id, key)
    t.match(await claim({ tenantId: id, key, fingerprint: 'retry' }), { state: 'done' })
    await t.resolves(store.releaseIdempotency(id, newKey()), 'an unknown key is a no-op')
  })

  t.test('markIdempotencyUnknown makes retries answer unknown', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    await claim({ tenantId: id, key })
    await store.markIdempotencyUnknown(id, key)
    t.same(await claim({ tenantId: id, key }), { state: 'unknown' })
    t.same(await claim({ tenantId: id, key, fingerprint: 'fp-2' }), { state: 'mismatch' })
    await store.releaseIdempotency(id, key)
    t.same(await claim({ tenantId: id, key }), { state: 'unknown' }, 'release does not forget an unknown outcome')
  })

  t.test('20 concurrent claims: exactly one is claimed, the rest in flight', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    const results = await Promise.all(Array.from({ length: 20 }, async () => await claim({ tenantId: id, key })))
    t.equal(results.filter((r) => r.state === 'claimed').length, 1)
    t.equal(results.filter((r) => r.state === 'in_flight').length, 19)
  })

  t.test('20 concurrent claims of an expired record: exactly one takes it over', async (t) => {
    const { id } = await newTenant(store)
    const key = newKey()
    const t0 = new Date('2033-01-01T00:00:00.000Z')
    await claim({ tenantId: id, key, ttlSeconds: 1, now: t0 })
    const now = new Date(t0.getTime() + 5000)
    const results = await Promise.all(Array.from({ length: 20 }, async () => await claim({ tenantId: id, key, now })))
    t.equal(results.filter((r) => r.state === 'claimed').length, 1)
    t.equal(results.filter((r) => r.state === 'in_flight').length, 19)
  })

  if (name === 'postgres') {
    t.test('20 concurrent claims through two instances: exactly one is claimed', async (t) => {
      const other = await open()
      const { id } = await newTenant(store)
      const key = newKey()
      const results = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
        await (i % 2 === 0 ? store : other).claimIdempotency({ tenantId: id, key, fingerprint: 'fp', route: 'r', ttlSeconds: 60 })))
      t.equal(results.filter((r) => r.state === 'claimed').length, 1)
    })
  }

  t.test('purgeIdempotency deletes expired records only', async (t) => {
    const { id } = await newTenant(store)
    const t0 = new Date('2034-01-01T00:00:00.000Z')
    const old = newKey()
    const live = newKey()
    await claim({ tenantId: id, key: old, ttlSeconds: 10, now: t0 })
    await claim({ tenantId: id, key: live, ttlSeconds: 1000, now: t0 })
    const purged = await store.purgeIdempotency(new Date(t0.getTime() + 20_000))
    t.ok(purged >= 1)
    t.same(await claim({ tenantId: id, key: live, now: new Date(t0.getTime() + 20_000) }), { state: 'in_flight' })
  })
})
