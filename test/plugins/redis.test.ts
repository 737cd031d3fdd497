import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { decodeInvalidation } from '../../src/tenancy/invalidations.js'
import { ConfigError, loadConfig } from '../../src/config.js'
import { redisTarget } from '../../src/plugins/redis.js'
import { gateway } from '../helper.js'
import { runCli, type CliResult } from '../fixtures/cli-run.js'
import { REDIS_URL, REQUIRE_SERVICES, cleanRedis, redisUnreachable } from '../scale/helper.js'

t.test('redisTarget keeps host, port and database but never the credentials', async (t) => {
  t.equal(redisTarget('redis://user:s3cret@cache.internal:6380/2'), 'redis://cache.internal:6380/2')
  t.equal(redisTarget('rediss://:s3cret@cache.internal'), 'rediss://cache.internal')
  t.equal(redisTarget('not a url'), 'REDIS_URL')
})

t.test('invalidation messages: a key or a tenant with its sender; anything else is ignored', async (t) => {
  t.same(decodeInvalidation('{"from":"a","key":7}'), { from: 'a', invalidation: { key: 7 } })
  t.same(decodeInvalidation('{"from":"cli","tenant":3}'), { from: 'cli', invalidation: { tenant: 3 } })
  for (const junk of ['', 'null', '[]', '{"key":7}', '{"from":"a","key":-1}', '{"from":"a","key":"7"}', '{"from":"a"}', '{"from":"a","tenant":1.5}']) {
    t.equal(decodeInvalidation(junk), undefined, junk)
  }
})

t.test('scale-out variables are checked at start-up', async (t) => {
  const base = { PANEL_URL: 'http://127.0.0.1:1/api/v2', PANEL_KEY: 'k' }
  const config = loadConfig(base)
  t.equal(config.rateLimit.onRedisError, 'open')
  t.equal(config.redis.keyPrefix, 'smm-gateway:')
  t.equal(config.store.schema, undefined)
  t.throws(() => loadConfig({ ...base, RATE_LIMIT_ON_REDIS_ERROR: 'maybe' }), new ConfigError('RATE_LIMIT_ON_REDIS_ERROR must be open or closed'))
  t.throws(() => loadConfig({ ...base, REDIS_KEY_PREFIX: 'has space' }), ConfigError)
  t.throws(() => loadConfig({ ...base, DATABASE_SCHEMA: 'gateway' }), /DATABASE_SCHEMA .* needs a postgres:\/\/ DATABASE_URL/)
  t.throws(() => loadConfig({ ...base, DATABASE_URL: 'postgres://db/gw', DATABASE_SCHEMA: 'Bad-Name' }), /DATABASE_SCHEMA/)
  t.equal(loadConfig({ ...base, DATABASE_URL: 'postgres://db/gw', DATABASE_SCHEMA: 'gateway_1' }).store.schema, 'gateway_1')
})

t.test('with Redis unreachable, RATE_LIMIT_ON_REDIS_ERROR=closed answers 503 rate_limit_unavailable and the app still closes promptly', async (t) => {
  const gw = await gateway(t, { env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_ON_REDIS_ERROR: 'closed' } })
  const res = await gw.request({ url: '/me' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(res.json(), { code: 'rate_limit_unavailable', status: 503 })
  t.equal(res.headers['retry-after'], '1')
  t.equal((await gw.app.inject({ url: '/health' })).statusCode, 200, '/health is not rate limited')
  const ready = await gw.app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503, 'not ready: every limited request would be refused')
  t.match(ready.json(), { status: 'not_ready', checks: { redis: { ok: false }, store: { ok: true }, upstream: { ok: true } } })
  const start = Date.now()
  await gw.app.close()
  t.ok(Date.now() - start < 2000, 'closed without waiting for Redis')
})

t.test('with Redis unreachable, RATE_LIMIT_ON_REDIS_ERROR=open lets requests through and logs the outage once', async (t) => {
  const gw = await gateway(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' }, tenant: { rateLimitPerMinute: 2 } })
  for (let i = 0; i < 4; i++) t.equal((await gw.request({ url: '/me' })).statusCode, 200)
  const lines = gw.logs.join('').split('\n').filter((l) => l.includes('rate limits unchecked'))
  t.equal(lines.length, 1, 'one line per outage window, not one per request')
  const ready = await gw.app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 200, 'failing open, Redis is no part of readiness')
  t.notOk('redis' in ready.json().checks)
})

const unreachable = await redisUnreachable()

t.test('with REDIS_URL the rate-limit counters live in Redis under REDIS_KEY_PREFIX', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }
  const prefix = `test-redis-${process.pid}-${randomBytes(4).toString('hex')}:`
  cleanRedis(t, prefix)
  const gw = await gateway(t, { env: { REDIS_URL, REDIS_KEY_PREFIX: prefix }, tenant: { rateLimitPerMinute: 3 } })
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await gw.request({ url: '/me' })).statusCode)
  t.same(codes, [200, 200, 200, 429])

  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  const key = `${prefix}rate-limit:tenant:${gw.tenant.id}`
  t.equal(await redis.get(key), '4', 'counted in Redis')
  const ttl = await redis.pttl(key)
  t.ok(ttl > 0 && ttl <= 60_000, `expires with the window (${ttl} ms)`)
  t.ok(gw.app.redis !== undefined, 'app.redis is the shared connection')
})

t.test('failing closed, /ready includes a Redis that answers', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }
  const prefix = `test-redis-${process.pid}-${randomBytes(4).toString('hex')}:`
  cleanRedis(t, prefix)
  const gw = await gateway(t, { env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_ON_REDIS_ERROR: 'closed' } })
  const ready = await gw.app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', checks: { redis: { ok: true }, store: { ok: true } } })
})

t.test('the CLI still revokes when Redis is unreachable, and warns that gateways see it within AUTH_CACHE_SECONDS', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-cli-redis-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`, REDIS_URL: 'redis://:cli-secret@127.0.0.1:1' }
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, env)
    if (result.code !== 0) throw new Error(`exit code ${result.code}: ${result.stderr}`)
    return result
  }
  const created = JSON.parse((await cli('tenants', 'create', '--name', 'ops')).stdout)
  const revoked = await cli('keys', 'revoke', String(created.keyId))
  t.match(JSON.parse(revoked.stdout), { id: created.keyId, revokedAt: String })
  t.match(revoked.stderr, /Redis unreachable; running gateways see the change within AUTH_CACHE_SECONDS/)
  t.notMatch(revoked.stderr, 'cli-secret')
})
