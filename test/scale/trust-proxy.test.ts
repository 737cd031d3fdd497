import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { gateway } from '../helper.js'

const stranger = { authorization: 'Bearer sgw_AAAAAAAA_' + 'A'.repeat(43) }

async function codesFrom (t: Parameters<typeof gateway>[0], env: Record<string, string>): Promise<number[]> {
  const gw = await gateway(t, { env: { RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1', ...env } })
  const codes: number[] = []
  for (const client of ['203.0.113.1', '203.0.113.2']) {
    codes.push((await gw.app.inject({ url: '/services', headers: { ...stranger, 'x-forwarded-for': client } })).statusCode)
  }
  return codes
}

t.test('behind a load balancer, TRUST_PROXY=1 counts callers without a key by their own address', async (t) => {
  t.same(await codesFrom(t, { TRUST_PROXY: '1' }), [401, 401], 'two clients, one request each')
})

t.test('without TRUST_PROXY every caller behind the proxy shares the proxy\'s address', async (t) => {
  t.same(await codesFrom(t, {}), [401, 429], 'X-Forwarded-For is not believed')
})

t.test('TRUST_PROXY takes true, false, hops or addresses', async (t) => {
  const base = { PANEL_URL: 'http://127.0.0.1:1/api/v2', PANEL_KEY: 'k' }
  t.equal(loadConfig(base).server.trustProxy, false)
  t.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).server.trustProxy, true)
  t.equal(loadConfig({ ...base, TRUST_PROXY: '2' }).server.trustProxy, 2)
  t.same(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).server.trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  t.throws(() => loadConfig({ ...base, TRUST_PROXY: 'the balancer' }), ConfigError)
})
