import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

const base = { PANEL_URL: 'http://127.0.0.1:1/api/v2', PANEL_KEY: 'k' }

t.test('database timeouts default to 5 s connect, 10 s statement, 30 s idle, and are configurable', async (t) => {
  t.same(loadConfig(base).store.timeouts, { connectMs: 5000, statementMs: 10000, idleMs: 30000 })
  t.same(loadConfig({ ...base, DATABASE_CONNECT_TIMEOUT_MS: '500', DATABASE_STATEMENT_TIMEOUT_MS: '750', DATABASE_IDLE_TIMEOUT_MS: '1000' }).store.timeouts,
    { connectMs: 500, statementMs: 750, idleMs: 1000 })
  t.throws(() => loadConfig({ ...base, DATABASE_STATEMENT_TIMEOUT_MS: '0' }), /^DATABASE_STATEMENT_TIMEOUT_MS must be a whole number/)
})

t.test('the shutdown grace outlasts the panel timeout by default, and may not be shorter than it', async (t) => {
  t.equal(loadConfig(base).server.shutdownGraceMs, 30000, 'PANEL_QUEUE_TIMEOUT_MS 5000 + PANEL_TIMEOUT_MS 15000 + 10000')
  t.equal(loadConfig({ ...base, PANEL_TIMEOUT_MS: '3000' }).server.shutdownGraceMs, 18000)
  t.equal(loadConfig({ ...base, PANEL_QUEUE_TIMEOUT_MS: '0' }).server.shutdownGraceMs, 25000)
  t.equal(loadConfig({ ...base, SHUTDOWN_GRACE_MS: '15000' }).server.shutdownGraceMs, 15000, 'equal to the panel timeout is allowed')
  t.throws(() => loadConfig({ ...base, SHUTDOWN_GRACE_MS: '10000' }),
    new ConfigError('SHUTDOWN_GRACE_MS must be at least PANEL_TIMEOUT_MS (15000), or orders still at the panel are cut off (got 10000)'))
})
