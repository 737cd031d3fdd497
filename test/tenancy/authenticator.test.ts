import t from 'tap'
import { openStore } from '../../src/store/open.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import type { Store } from '../../src/store/types.js'
import { createTenant, issueKey } from '../../src/tenancy/admin.js'
import { Authenticator, type AuthenticatorOptions, type Invalidation } from '../../src/tenancy/authenticator.js'
import { GatewayError } from '../../src/problems/errors.js'
import { generateKey, hashKey, keyPrefix, sameHash } from '../../src/tenancy/keys.js'
import { fakeClock } from '../fixtures/fakes.js'

const TTL = 30_000
// Authenticator writes a key's last use at most this often.
const TOUCH_INTERVAL = 60_000

let store: KyselyStore
t.before(async () => { store = await openStore({ url: 'sqlite::memory:' }) })
t.teardown(async () => { await store.close() })

let tenants = 0

/** The real store, with its calls counted and the fire-and-forget touches kept to await. */
function counted (inner: Store) {
  const calls: Record<string, number> = {}
  const touches: Array<Promise<void>> = []
  const proxy = new Proxy(inner, {
    get (target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function' || typeof prop !== 'string') return value
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (prop === 'touchKey') touches.push(result as Promise<void>)
        return result
      }
    }
  })
  return { store: proxy, lookups: () => calls.findKeyByPrefix ?? 0, calls, settled: async () => { await Promise.all(touches) } }
}

// Epoch milliseconds a day ahead, so keys that expire "soon" on the fake clock are in the future for issueKey too.
const START = Math.ceil(Date.now() / 1000) * 1000 + 86_400_000

function setUp (options: Partial<Omit<AuthenticatorOptions, 'clock'>> = {}, on: Store = store) {
  const clock = fakeClock(START)
  const spy = counted(on)
  const auth = new Authenticator(spy.store, { ...options, ttlMs: options.ttlMs ?? TTL, clock })
  return { auth, clock, ...spy }
}

async function tenantWithKey (extra: { expiresAt?: Date } = {}) {
  const { tenant, key } = await createTenant(store, { name: `auth-${++tenants}`, scopes: ['orders:read'] })
  if (extra.expiresAt === undefined) return { tenant, key }
  return { tenant, key: await issueKey(store, tenant.id, extra.expiresAt) }
}

t.test('a valid key resolves to its tenant and key id', async (t) => {
  const { auth } = setUp()
  const { tenant, key } = await tenantWithKey()
  const principal = await auth.authenticate(key.key)
  t.equal(principal?.keyId, key.id)
  t.equal(principal?.tenant.id, tenant.id)
  t.equal(principal?.tenant.name, tenant.name)
  t.same(principal?.tenant.scopes, ['orders:read'])
})

t.test('a second lookup within the TTL is answered from the cache, without a query', async (t) => {
  const { auth, clock, lookups, calls } = setUp()
  const { key } = await tenantWithKey()
  await auth.authenticate(key.key)
  clock.advance(TTL)
  t.equal((await auth.authenticate(key.key))?.keyId, key.id)
  t.equal(lookups(), 1, 'one key lookup')
  t.equal(calls.getTenant, 1, 'one tenant lookup')
})

t.test('a key revoked behind the cache is still let in for the TTL, then refused', async (t) => {
  const { auth, clock, lookups } = setUp()
  const { key } = await tenantWithKey()
  await auth.authenticate(key.key)
  await store.revokeKey(key.id)
  clock.advance(TTL)
  t.equal((await auth.authenticate(key.key))?.keyId, key.id, 'the TTL bounds how long a missed revocation goes unseen')
  clock.advance(1)
  t.equal(await auth.authenticate(key.key), undefined, 'past the TTL the key is looked up again')
  t.equal(lookups(), 2)
})

t.test('a revoked key is refused on the next lookup after invalidation', async (t) => {
  const { auth, lookups } = setUp()
  const { key } = await tenantWithKey()
  t.ok(await auth.authenticate(key.key))
  await store.revokeKey(key.id)
  auth.invalidateKey(key.id)
  t.equal(await auth.authenticate(key.key), undefined)
  t.equal(lookups(), 2)
})

t.test('invalidating one key keeps the other keys of the tenant cached', async (t) => {
  const { auth, lookups } = setUp()
  const { tenant, key: first } = await tenantWithKey()
  const second = await issueKey(store, tenant.id)
  await auth.authenticate(first.key)
  await auth.authenticate(second.key)
  auth.invalidateKey(first.id)
  t.equal((await auth.authenticate(second.key))?.keyId, second.id)
  t.equal(lookups(), 2, 'the second key was not looked up again')
  t.equal((await auth.authenticate(first.key))?.keyId, first.id)
  t.equal(lookups(), 3, 'the first one was')
})

t.test('a disabled tenant is refused after invalidation by tenant, and let in again once enabled', async (t) => {
  const { auth, lookups } = setUp()
  const { tenant, key } = await tenantWithKey()
  const other = await tenantWithKey()
  await auth.authenticate(key.key)
  await auth.authenticate(other.key.key)
  await store.updateTenant(tenant.id, { disabled: true })
  auth.invalidateTenant(tenant.id)
  t.equal(await auth.authenticate(key.key), undefined, 'disabled')
  t.equal(await auth.authenticate(key.key), undefined, 'the refusal is cached')
  t.equal(lookups(), 3)
  t.equal((await auth.authenticate(other.key.key))?.tenant.id, other.tenant.id, 'another tenant stays cached')
  t.equal(lookups(), 3)
  await store.updateTenant(tenant.id, { disabled: false })
  auth.invalidateTenant(tenant.id)
  t.equal((await auth.authenticate(key.key))?.tenant.id, tenant.id, 'the refused entry knew its tenant, so enabling it cleared it')
  t.equal(lookups(), 4)
})

t.test('a changed tenant is seen on the next lookup after invalidation by tenant', async (t) => {
  const { auth } = setUp()
  const { tenant, key } = await tenantWithKey()
  t.equal((await auth.authenticate(key.key))?.tenant.dailyBudget, null)
  await store.updateTenant(tenant.id, { dailyBudget: '12.5' })
  t.equal((await auth.authenticate(key.key))?.tenant.dailyBudget, null, 'cached: not yet')
  auth.invalidateTenant(tenant.id)
  t.equal((await auth.authenticate(key.key))?.tenant.dailyBudget, '12.5')
})

t.test('an expired key is refused from the millisecond it expires, even from the cache', async (t) => {
  const { auth, clock, lookups } = setUp({ ttlMs: 3_600_000 })
  const { key } = await tenantWithKey({ expiresAt: new Date(START + 5000) })
  t.equal((await auth.authenticate(key.key))?.keyId, key.id)
  clock.advance(4999)
  t.equal((await auth.authenticate(key.key))?.keyId, key.id, '1 ms before')
  clock.advance(1)
  t.equal(await auth.authenticate(key.key), undefined, 'at expiresAt')
  t.equal(lookups(), 1, 'decided from the cached entry')
})

t.test('a wrong key with a right prefix is refused, and does not spoil the right key', async (t) => {
  const { auth, lookups } = setUp()
  const { key } = await tenantWithKey()
  const forged = `${key.prefix}_${'A'.repeat(43)}`
  t.equal(keyPrefix(forged), key.prefix, 'well formed, same prefix')
  t.equal(await auth.authenticate(forged), undefined)
  t.equal(lookups(), 1, 'the prefix found the row; the hash refused it')
  t.equal((await auth.authenticate(key.key))?.keyId, key.id, 'the right key is cached apart, by its own hash')
  t.equal(await auth.authenticate(forged), undefined, 'the refusal is cached too')
  t.equal(lookups(), 2)
})

t.test('hashes are compared in constant time, and a stored hash of another length is refused, not thrown', async (t) => {
  const a = hashKey('sgw_aaaaaaaa_' + 'x'.repeat(43))
  t.equal(sameHash(a, a), true)
  t.equal(sameHash(a, a.slice(0, -1) + (a.endsWith('0') ? '1' : '0')), false, 'the last nibble differs')
  t.equal(sameHash(a, a.slice(0, 32)), false, 'shorter: timingSafeEqual would throw, the length check answers first')
  const { auth } = setUp()
  const { tenant } = await tenantWithKey()
  const generated = generateKey()
  await store.createKey({ tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash.slice(0, 20) })
  t.equal(await auth.authenticate(generated.key), undefined)
})

t.test('a malformed key is refused without a query; an unknown one with a query, then from the cache', async (t) => {
  const { auth, lookups } = setUp()
  for (const junk of ['', 'nope', 'sgw_short_x', `sgw_${'a'.repeat(8)}_${'b'.repeat(42)}`, `Bearer sgw_${'a'.repeat(8)}_${'b'.repeat(43)}`]) {
    t.equal(await auth.authenticate(junk), undefined, JSON.stringify(junk))
  }
  t.equal(lookups(), 0)
  const unknown = generateKey().key
  t.equal(await auth.authenticate(unknown), undefined)
  t.equal(await auth.authenticate(unknown), undefined)
  t.equal(lookups(), 1)
})

t.test('a key\'s last use is written on first use, then at most once a minute', async (t) => {
  const { auth, clock, calls, settled } = setUp({ ttlMs: 10 * TOUCH_INTERVAL })
  const { key } = await tenantWithKey()
  await auth.authenticate(key.key)
  await settled()
  t.same((await store.getKey(key.id))?.lastUsedAt, new Date(START))
  clock.advance(TOUCH_INTERVAL - 1)
  await auth.authenticate(key.key)
  t.equal(calls.touchKey, 1, 'not within the minute')
  clock.advance(1)
  await auth.authenticate(key.key)
  await settled()
  t.equal(calls.touchKey, 2)
  t.same((await store.getKey(key.id))?.lastUsedAt, new Date(START + TOUCH_INTERVAL))
})

t.test('invalidations made here are published; ones received are applied and not sent on', async (t) => {
  const { auth, lookups } = setUp()
  const published: Invalidation[] = []
  auth.broadcastTo({ publish: (invalidation) => { published.push(invalidation) } })
  const { tenant, key } = await tenantWithKey()
  auth.invalidateKey(41)
  auth.invalidateTenant(42)
  t.same(published, [{ key: 41 }, { tenant: 42 }])
  await auth.authenticate(key.key)
  auth.receive({ tenant: tenant.id })
  await auth.authenticate(key.key)
  t.equal(lookups(), 2, 'the received invalidation dropped the entry')
  auth.receive({ key: key.id })
  await auth.authenticate(key.key)
  t.equal(lookups(), 3)
  t.same(published, [{ key: 41 }, { tenant: 42 }], 'nothing received was published')
  auth.broadcastTo(undefined)
  auth.invalidateKey(43)
  t.equal(published.length, 2, 'no channel, nothing published')
})

t.test('past max entries the least recently used key is looked up again; clear drops them all', async (t) => {
  const { auth, lookups } = setUp({ max: 2 })
  const keys = await Promise.all([tenantWithKey(), tenantWithKey(), tenantWithKey()])
  for (const { key } of keys) await auth.authenticate(key.key)
  t.equal(lookups(), 3)
  await auth.authenticate(keys[2]!.key.key)
  await auth.authenticate(keys[1]!.key.key)
  t.equal(lookups(), 3, 'the two newest are cached')
  await auth.authenticate(keys[0]!.key.key)
  t.equal(lookups(), 4, 'the oldest was evicted')
  auth.clear()
  await auth.authenticate(keys[0]!.key.key)
  t.equal(lookups(), 5)
})

t.test('a flood of random well-formed keys never evicts a valid key: unknown keys are cached apart', async (t) => {
  const { auth, lookups } = setUp({ max: 2, negativeMax: 10 })
  const { key } = await tenantWithKey()
  await auth.authenticate(key.key)
  const flood = Array.from({ length: 50 }, () => generateKey().key)
  for (const junk of flood) t.equal(await auth.authenticate(junk), undefined)
  t.equal(lookups(), 51)
  t.equal((await auth.authenticate(key.key))?.keyId, key.id)
  t.equal(lookups(), 51, 'the valid key was answered from its cache, no new lookup')
  await auth.authenticate(flood[49]!)
  t.equal(lookups(), 51, 'the newest unknown key is remembered')
  await auth.authenticate(flood[0]!)
  t.equal(lookups(), 52, 'the oldest was forgotten: the unknown keys\' cache is bounded too')
})

t.test('an unknown key is remembered for 5 s, not the whole AUTH_CACHE_SECONDS', async (t) => {
  const { auth, clock, lookups } = setUp()
  const unknown = generateKey().key
  await auth.authenticate(unknown)
  clock.advance(5000)
  await auth.authenticate(unknown)
  t.equal(lookups(), 1)
  clock.advance(1)
  await auth.authenticate(unknown)
  t.equal(lookups(), 2)
  const short = setUp({ ttlMs: 1000 })
  await short.auth.authenticate(unknown)
  short.clock.advance(1001)
  await short.auth.authenticate(unknown)
  t.equal(short.lookups(), 2, 'nor longer than the cache of valid keys')
})

t.test('a key whose hash was cached as unknown works at once when admitted (as issueKey does with the app\'s authenticator)', async (t) => {
  const { auth, lookups } = setUp()
  const { tenant } = await tenantWithKey()
  const generated = generateKey()
  t.equal(await auth.authenticate(generated.key), undefined, 'presented before it exists')
  await store.createKey({ tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash })
  t.equal(await auth.authenticate(generated.key), undefined, 'still remembered as unknown')
  t.equal(lookups(), 1)
  auth.admit(generated.key)
  t.equal((await auth.authenticate(generated.key))?.tenant.id, tenant.id)
  t.equal(lookups(), 2)
  const issued = await issueKey(store, tenant.id, null, undefined, auth)
  t.equal((await auth.authenticate(issued.key))?.keyId, issued.id, 'an issued key works at once')
})

const CLIENT = '203.0.113.7'

t.test('past failedLookupsPerMinute keys that are not valid, a client is refused before the store; a key cached as valid goes on', async (t) => {
  const { auth, clock, lookups } = setUp({ failedLookupsPerMinute: 2, ttlMs: 120_000 })
  const { key } = await tenantWithKey()
  const other = await tenantWithKey()
  await auth.authenticate(key.key, CLIENT)
  const forged = `${key.prefix}_${'A'.repeat(43)}`
  t.equal(await auth.authenticate(generateKey().key, CLIENT), undefined, 'unknown')
  t.equal(await auth.authenticate(forged, CLIENT), undefined, 'wrong secret')
  t.equal(lookups(), 3)
  clock.advance(59_000)
  await t.rejects(auth.authenticate(generateKey().key, CLIENT), { code: 'rate_limited', retryAfter: 1 })
  await t.rejects(auth.authenticate(forged, CLIENT), { code: 'rate_limited' }, 'a key remembered as unknown too')
  await t.rejects(auth.authenticate(other.key.key, CLIENT), { code: 'rate_limited' }, 'and a valid key not cached')
  t.equal(lookups(), 3, 'none reached the store')
  t.equal((await auth.authenticate(key.key, CLIENT))?.keyId, key.id, 'the cached valid key')
  t.equal((await auth.authenticate(other.key.key, '198.51.100.9'))?.keyId, other.key.id, 'another client')
  t.equal((await auth.authenticate(other.key.key))?.keyId, other.key.id, 'no client, no limit')
  clock.advance(1000)
  t.equal(await auth.authenticate(generateKey().key, CLIENT), undefined, 'a minute after the first failure, a new window')
})

t.test('valid keys are not counted as failures, and concurrent lookups cannot overshoot the limit', async (t) => {
  const { auth, lookups } = setUp({ failedLookupsPerMinute: 3 })
  const keys = await Promise.all(Array.from({ length: 5 }, async () => (await tenantWithKey()).key))
  for (const key of keys) t.ok(await auth.authenticate(key.key, CLIENT))
  const answers = await Promise.allSettled(Array.from({ length: 10 }, async () => await auth.authenticate(generateKey().key, CLIENT)))
  t.equal(answers.filter((a) => a.status === 'fulfilled').length, 3, 'three unknown keys were answered')
  t.ok(answers.every((a) => a.status === 'fulfilled' || (a.reason instanceof GatewayError && a.reason.code === 'rate_limited')), 'the others refused')
  t.equal(lookups(), 5 + 3, 'only three reached the store')
})

t.test('a key found valid before is looked up again once its entry expires, even from an address past its limit: sharing an address with an attacker locks no app out', async (t) => {
  const { auth, clock, lookups } = setUp({ failedLookupsPerMinute: 2, ttlMs: 1000 })
  const { key } = await tenantWithKey()
  const fresh = await tenantWithKey()
  t.equal((await auth.authenticate(key.key, CLIENT))?.keyId, key.id)
  for (let i = 0; i < 2; i++) t.equal(await auth.authenticate(generateKey().key, CLIENT), undefined)
  await t.rejects(auth.authenticate(generateKey().key, CLIENT), { code: 'rate_limited' })
  clock.advance(1500)
  t.equal((await auth.authenticate(key.key, CLIENT))?.keyId, key.id, 'the app\'s key, its cache entry expired, works from the same address')
  t.equal(lookups(), 4, 'after a lookup of its own')
  await t.rejects(auth.authenticate(fresh.key.key, CLIENT), { code: 'rate_limited' }, 'a key never seen from anywhere still waits for the window')
})

t.test('a burst presenting one key makes one store query: a valid key is never refused for it, an unknown one counts each time', async (t) => {
  const { auth, lookups } = setUp({ failedLookupsPerMinute: 3 })
  const { key } = await tenantWithKey()
  const valid = await Promise.all(Array.from({ length: 50 }, async () => await auth.authenticate(key.key, CLIENT)))
  t.ok(valid.every((principal) => principal?.keyId === key.id), 'all 50 authenticated, none refused as a pending failure')
  t.equal(lookups(), 1, 'one query for the 50')
  const unknown = generateKey().key
  const answers = await Promise.all(Array.from({ length: 10 }, async () => await auth.authenticate(unknown, CLIENT)))
  t.ok(answers.every((principal) => principal === undefined), 'the unknown key is refused to each')
  t.equal(lookups(), 2, 'with one query')
  await t.rejects(auth.authenticate(generateKey().key, CLIENT), { code: 'rate_limited' }, 'and each presentation counted: the client is past its limit')
})

t.test('a failing store is not counted against the client', async (t) => {
  const broken = await openStore({ url: 'sqlite::memory:' })
  await broken.close()
  const { auth } = setUp({ failedLookupsPerMinute: 1 }, broken)
  for (let i = 0; i < 3; i++) {
    const error = await auth.authenticate(generateKey().key, CLIENT).then(() => undefined, (err: unknown) => err)
    t.ok(error !== undefined && !(error instanceof GatewayError && error.code === 'rate_limited'), `lookup ${i + 1} failed with the store`)
  }
})

t.test('every lookup that reaches the store is reported with what it found', async (t) => {
  const results: string[] = []
  const { auth } = setUp({ onLookup: (result) => { results.push(result) } })
  const { tenant, key } = await tenantWithKey()
  const revoked = await issueKey(store, tenant.id)
  await store.revokeKey(revoked.id)
  const disabled = await tenantWithKey()
  await store.updateTenant(disabled.tenant.id, { disabled: true })
  await auth.authenticate(key.key)
  await auth.authenticate(key.key)
  await auth.authenticate(generateKey().key)
  await auth.authenticate(`${key.prefix}_${'A'.repeat(43)}`)
  await auth.authenticate(revoked.key)
  await auth.authenticate(disabled.key.key)
  await auth.authenticate('junk')
  t.same(results, ['valid', 'unknown', 'wrong_secret', 'revoked', 'disabled'])
})
