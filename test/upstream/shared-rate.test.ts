import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { redisRateGate } from '../../src/upstream/shared-rate.js'
import { REDIS_URL, REQUIRE_SERVICES, cleanRedis, redisUnreachable } from '../scale/helper.js'

const unreachable = await redisUnreachable()

function recorder (): { log: { warn: (...args: unknown[]) => void, info: (...args: unknown[]) => void }, lines: string[] } {
  const lines: string[] = []
  const push = (...args: unknown[]): void => { lines.push(JSON.stringify(args)) }
  return { log: { warn: push, info: push }, lines }
}

t.test('the shared gate on a real Redis', { skip: unreachable !== undefined && !REQUIRE_SERVICES ? `skipped: ${unreachable ?? ''}` : false }, async (t) => {
  if (unreachable !== undefined) {
    t.fail(`${unreachable}; REQUIRE_SERVICES=1 needs it`)
    return
  }
  const prefix = `shared-rate-${randomBytes(4).toString('hex')}:`
  cleanRedis(t, prefix)
  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })

  t.test('two gates on one key share the rate; a call that cannot start before its deadline is refused as overloaded', async (t) => {
    const { log } = recorder()
    const gates = [0, 1].map(() => redisRateGate({ redis, keyPrefix: prefix, maxPerSecond: 3, log }))
    const soon = performance.now() + 200
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, async (_, i) => { await gates[i % 2]?.wait(soon) }))
    t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3, 'three start in this second, from either gate')
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    t.equal(refused.length, 2)
    t.match(refused[0]?.reason, { code: 'upstream_overloaded' })

    const started = performance.now()
    await gates[0]?.wait(performance.now() + 5000)
    t.ok(performance.now() - started >= 300, 'a call with time to spare waits for the window to move on')
  })
})

t.test('without Redis the gate opens (each instance still limits itself) and says so once', async (t) => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  t.teardown(() => { redis.disconnect() })
  const { log, lines } = recorder()
  const gate = redisRateGate({ redis, keyPrefix: 'x:', maxPerSecond: 1, log })
  for (let i = 0; i < 3; i++) await gate.wait(performance.now() + 1000)
  t.equal(lines.length, 1, 'one warning for the outage')
  t.match(lines[0], /Redis unreachable/)
})
