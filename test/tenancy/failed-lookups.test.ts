import t from 'tap'
import { generateKey } from '../../src/tenancy/keys.js'
import { testClock } from '../fixtures/time.js'
import { ADMIN_TOKEN, gateway, type Gateway } from '../helper.js'

const LIMIT = 3

/** Key lookups that reached the store, whatever they found (smm_auth_key_lookups_total). */
async function storeLookups (gw: Gateway): Promise<number> {
  return (await gw.app.metrics.keyLookups.get()).values.reduce((sum, { value }) => sum + value, 0)
}

t.test('past AUTH_FAILURES_PER_MINUTE keys that are not valid, an address is refused with 429 before the store; cached valid keys and other addresses go on; a minute later it may look keys up again', async (t) => {
  const clock = testClock()
  const gw = await gateway(t, {
    clock,
    // The per-IP limit of callers without a valid key counts after the lookup; set high so only the failure limit answers here.
    env: { AUTH_FAILURES_PER_MINUTE: String(LIMIT), RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1000', TRUST_PROXY: '1' }
  })
  const other = await gw.addTenant({ name: 'other' })
  const from = async (client: string, key: string) =>
    await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client } })
  const attacker = '203.0.113.7'
  const neighbour = '198.51.100.9'

  t.equal((await from(attacker, gw.key)).statusCode, 200, 'the first tenant\'s key, cached as valid from now on')
  for (let i = 0; i < LIMIT; i++) t.equal((await from(attacker, generateKey().key)).statusCode, 401, `unknown key ${i + 1}`)
  const looked = await storeLookups(gw)
  t.equal(looked, 1 + LIMIT, 'each unknown key was looked up')

  const refused = await from(attacker, generateKey().key)
  t.equal(refused.statusCode, 429)
  t.equal(refused.json().code, 'rate_limited')
  const retryAfter = Number(refused.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After within the minute (${String(refused.headers['retry-after'])})`)
  t.equal((await from(attacker, other.key)).statusCode, 429, 'a valid key not yet cached is refused too: finding out would take a lookup')
  t.equal(await storeLookups(gw), looked, 'no store lookup for either')

  t.equal((await from(attacker, gw.key)).statusCode, 200, 'a key cached as valid still works from that address')
  t.equal((await from(neighbour, other.key)).statusCode, 200, 'another address looks keys up')
  t.equal((await from(neighbour, generateKey().key)).statusCode, 401, 'and is told an unknown key is not valid')
  t.equal(await storeLookups(gw), looked + 2)

  clock.advance(60_000)
  t.equal((await from(attacker, generateKey().key)).statusCode, 401, 'a minute on, the address may look a key up again')
  t.equal(await storeLookups(gw), looked + 3)
})

t.test('smm_auth_key_lookups_total counts the lookups that reached the store by what they found', async (t) => {
  const gw = await gateway(t)
  const revoked = await gw.addTenant({ name: 'revoked' })
  const [key] = await gw.app.store.listKeys(revoked.tenant.id)
  t.equal((await gw.app.inject({ method: 'DELETE', url: `/admin/keys/${key!.id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode, 204)
  t.equal((await gw.request({ url: '/me' })).statusCode, 200)
  t.equal((await gw.request({ url: '/me' })).statusCode, 200, 'from the cache')
  t.equal((await revoked.request({ url: '/me' })).statusCode, 401)
  t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${generateKey().key}` } })).statusCode, 401)
  const wrongSecret = `${gw.key.slice(0, 'sgw_12345678_'.length)}${'A'.repeat(43)}`
  t.equal((await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${wrongSecret}` } })).statusCode, 401)
  const counted = Object.fromEntries((await gw.app.metrics.keyLookups.get()).values.map(({ labels, value }) => [labels.result, value]))
  t.same(counted, { valid: 1, revoked: 1, unknown: 1, wrong_secret: 1 })
})

t.test('IPv6 callers are counted by their /64: fresh addresses in one network share its allowance; another network has its own', async (t) => {
  const gw = await gateway(t, { env: { AUTH_FAILURES_PER_MINUTE: String(LIMIT), RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1000', TRUST_PROXY: '1' } })
  const from = async (client: string) =>
    await gw.app.inject({ url: '/me', headers: { authorization: `Bearer ${generateKey().key}`, 'x-forwarded-for': client } })
  for (let i = 1; i <= LIMIT; i++) t.equal((await from(`2001:db8:1:2::${i}`)).statusCode, 401, `address ${i} of the network`)
  t.equal((await from('2001:db8:1:2:ffff:ffff:ffff:ffff')).statusCode, 429, 'one more address of the same /64 is refused')
  t.equal((await from('2001:db8:1:3::1')).statusCode, 401, 'the next /64 is another client')
  t.equal((await from('::ffff:192.0.2.1')).statusCode, 401, 'an IPv4-mapped address counts as its IPv4 address')
})
