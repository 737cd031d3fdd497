import { readFile } from 'node:fs/promises'
import t from 'tap'
import { Value } from 'typebox/value'
import { ConfigError, ConfigSchema, configLeaves, configVariables, loadConfig } from '../src/config.js'

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

// The loader itself: one walk over the schema reads every leaf.

t.test('an unset or blank variable takes its default; a set one is trimmed and read', async (t) => {
  const config = loadConfig(base)
  t.equal(config.panel.timeoutMs, 15000)
  t.equal(config.catalog.ttlSeconds, 300)
  t.equal(config.server.host, '127.0.0.1')
  t.equal(config.server.logLevel, 'info')
  t.equal(config.auth.adminToken, undefined, 'a leaf without a default stays unset')
  t.equal(loadConfig({ ...base, PANEL_TIMEOUT_MS: '   ' }).panel.timeoutMs, 15000, 'blank counts as unset')
  t.equal(loadConfig({ ...base, PANEL_TIMEOUT_MS: ' 2500 ' }).panel.timeoutMs, 2500)
  t.equal(loadConfig({ ...base, HOST: ' 0.0.0.0 ' }).server.host, '0.0.0.0')
  t.equal(loadConfig({ ...base, BREAKER_COOLDOWN_MS: '250' }).panel.breaker.cooldownMs, 250, 'nested slices too')
  t.not(loadConfig(base).server.corsOrigins, loadConfig(base).server.corsOrigins, 'a default array is a fresh copy each time')
})

t.test('a whole number must be digits within its bounds, both ends included', async (t) => {
  t.equal(loadConfig({ ...base, PANEL_CONNECTIONS: '1' }).panel.connections, 1)
  t.equal(loadConfig({ ...base, PANEL_CONNECTIONS: '512' }).panel.connections, 512)
  t.equal(loadConfig({ ...base, PANEL_CONNECTIONS: '007' }).panel.connections, 7)
  t.throws(() => loadConfig({ ...base, PANEL_CONNECTIONS: '513' }), new ConfigError('PANEL_CONNECTIONS must be a whole number from 1 to 512 (got "513")'))
  t.throws(() => loadConfig({ ...base, PANEL_CONNECTIONS: '0' }), new ConfigError('PANEL_CONNECTIONS must be a whole number from 1 to 512 (got "0")'))
  for (const bad of ['-1', '1.5', '1e3', '0x10', 'ten', '16 connections']) {
    t.throws(() => loadConfig({ ...base, PANEL_CONNECTIONS: bad }), new ConfigError(`PANEL_CONNECTIONS must be a whole number from 1 to 512 (got "${bad}")`), bad)
  }
  t.throws(() => loadConfig({ ...base, PORT: '65536' }), new ConfigError('PORT must be a whole number from 0 to 65535 (got "65536")'))
  t.equal(loadConfig({ ...base, PORT: '0' }).server.port, 0)
})

t.test('an enum takes only its values, and its refusal names them', async (t) => {
  t.equal(loadConfig({ ...base, LOG_LEVEL: 'debug' }).server.logLevel, 'debug')
  t.throws(() => loadConfig({ ...base, LOG_LEVEL: 'verbose' }), new ConfigError('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'))
  t.throws(() => loadConfig({ ...base, LOG_LEVEL: 'INFO' }), ConfigError, 'case counts')
  t.equal(loadConfig({ ...base, RATE_LIMIT_ON_REDIS_ERROR: 'closed' }).rateLimit.onRedisError, 'closed')
  t.throws(() => loadConfig({ ...base, RATE_LIMIT_ON_REDIS_ERROR: 'shut' }), new ConfigError('RATE_LIMIT_ON_REDIS_ERROR must be open or closed'))
})

t.test('a checked string refuses with its own line', async (t) => {
  t.throws(() => loadConfig({ ...base, DATABASE_URL: 'mysql://db/gw' }), new ConfigError('DATABASE_URL must be sqlite:<file> or postgres://…'))
  t.equal(loadConfig({ ...base, DATABASE_URL: 'postgresql://db/gw' }).store.url, 'postgresql://db/gw')
  t.throws(() => loadConfig({ ...base, REDIS_URL: 'http://redis:6379' }), new ConfigError('REDIS_URL must be a redis:// or rediss:// URL'))
  t.equal(loadConfig({ ...base, REDIS_URL: 'rediss://redis:6380' }).redis.url, 'rediss://redis:6380')
  t.throws(() => loadConfig({ ...base, REDIS_KEY_PREFIX: 'x'.repeat(101) }), new ConfigError('REDIS_KEY_PREFIX must be 1–100 visible ASCII characters'))
  t.throws(() => loadConfig({ ...base, REDIS_KEY_PREFIX: 'préfixe:' }), new ConfigError('REDIS_KEY_PREFIX must be 1–100 visible ASCII characters'))
  t.throws(() => loadConfig({ ...base, ADMIN_TOKEN: 'x'.repeat(15) }), new ConfigError('ADMIN_TOKEN must be at least 16 characters long'))
  t.equal(loadConfig({ ...base, ADMIN_TOKEN: 'x'.repeat(16) }).auth.adminToken, 'x'.repeat(16))
  const schemaLine = new ConfigError('DATABASE_SCHEMA must be a lower-case PostgreSQL name (letters, digits, _) and needs a postgres:// DATABASE_URL')
  t.throws(() => loadConfig({ ...base, DATABASE_URL: 'postgres://db/gw', DATABASE_SCHEMA: 'Gateway' }), schemaLine)
  t.throws(() => loadConfig({ ...base, DATABASE_SCHEMA: 'gateway' }), schemaLine, 'a valid name on SQLite')
})

t.test('the rules after the generic pass: the panel, and defaults derived from other fields', async (t) => {
  t.throws(() => loadConfig({}), new ConfigError('PANEL_URL is not set: point it at your panel\'s API v2 endpoint, or try the gateway with `npm run demo`'))
  t.throws(() => loadConfig({ PANEL_URL: base.PANEL_URL }), new ConfigError('PANEL_KEY is not set: it is the API key of your panel account'))
  t.same(loadConfig({}, { requirePanel: false }).panel, loadConfig({ ...base, PANEL_URL: '', PANEL_KEY: '' }, { requirePanel: false }).panel)
  t.equal(loadConfig({}, { requirePanel: false }).panel.url, '')
  t.equal(loadConfig({ ...base, PANEL_URL: 'https://panel.example' }).panel.url, 'https://panel.example/', 'normalised by URL')
  t.throws(() => loadConfig({ ...base, PANEL_URL: 'ftp://panel.example' }), new ConfigError('PANEL_URL must be an http(s) URL such as https://panel.example/api/v2'))
  t.throws(() => loadConfig({ ...base, PANEL_URL: 'https://me:secret@panel.example/api/v2' }), new ConfigError('PANEL_URL must not carry credentials; put the panel key in PANEL_KEY'))
  t.equal(loadConfig(base).panel.limiter.maxConcurrency, 16, 'PANEL_MAX_CONCURRENCY defaults to PANEL_CONNECTIONS')
  t.equal(loadConfig({ ...base, PANEL_CONNECTIONS: '40' }).panel.limiter.maxConcurrency, 40)
  t.equal(loadConfig({ ...base, PANEL_CONNECTIONS: '40', PANEL_MAX_CONCURRENCY: '8' }).panel.limiter.maxConcurrency, 8)
  t.throws(() => loadConfig({ ...base, PANEL_MAX_CONCURRENCY: '4097' }), new ConfigError('PANEL_MAX_CONCURRENCY must be a whole number from 1 to 4096 (got "4097")'))
})

t.test('a loaded config satisfies its own schema, derived fields included', async (t) => {
  t.ok(Value.Check(ConfigSchema, loadConfig(base)), 'the defaults')
  t.ok(Value.Check(ConfigSchema, loadConfig({}, { requirePanel: false })), 'no panel')
  t.ok(Value.Check(ConfigSchema, loadConfig({ ...base, DATABASE_URL: 'postgres://db/gw', DATABASE_SCHEMA: 'gw', REDIS_URL: 'redis://r:6379', ADMIN_TOKEN: 'x'.repeat(16), TRUST_PROXY: '10.0.0.0/8', CORS_ORIGINS: 'https://app.example', PANEL_TIMEOUT_MS: '300000', PANEL_QUEUE_TIMEOUT_MS: '300000' })), 'every leaf set')
})

// Every variable the gateway has ever read, and no other.
const VARIABLES = [
  'ADMIN_TOKEN', 'AUTH_CACHE_SECONDS', 'AUTH_FAILURES_PER_MINUTE', 'BALANCE_CHECK_INTERVAL_MS', 'BALANCE_LOW_RUNWAY_HOURS', 'BALANCE_LOW_THRESHOLD',
  'BODY_LIMIT_BYTES', 'BREAKER_COOLDOWN_MS', 'BREAKER_FAILURES', 'CATALOG_WATCH_INTERVAL_MS', 'CORS_ORIGINS',
  'DATABASE_CONNECT_TIMEOUT_MS', 'DATABASE_IDLE_TIMEOUT_MS', 'DATABASE_SCHEMA', 'DATABASE_STATEMENT_TIMEOUT_MS', 'DATABASE_URL', 'EVENTS_RETENTION_DAYS',
  'HEADERS_TIMEOUT_MS', 'HOST', 'KEEP_ALIVE_TIMEOUT_MS', 'LEDGER_STALE_MARGIN_MS', 'LEDGER_SWEEP_INTERVAL_MS', 'LOG_LEVEL', 'MAX_CONNECTIONS',
  'MAX_EVENT_LOOP_DELAY_MS', 'METRICS_HOST', 'METRICS_PORT', 'METRICS_TOKEN',
  'PANEL_CONNECTIONS', 'PANEL_KEY', 'PANEL_MAX_CONCURRENCY', 'PANEL_MAX_RPS', 'PANEL_QUEUE_LIMIT', 'PANEL_QUEUE_TIMEOUT_MS',
  'PANEL_TIMEOUT_MS', 'PANEL_URL', 'PORT', 'RATE_LIMIT_ON_REDIS_ERROR', 'RATE_LIMIT_PER_MINUTE', 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE',
  'REDIS_KEY_PREFIX', 'REDIS_URL', 'REQUEST_TIMEOUT_MS', 'SERVICES_STALE_SECONDS', 'SERVICES_TTL_SECONDS', 'SHUTDOWN_GRACE_MS', 'STATUS_BATCH_WINDOW_MS',
  'TRACKER_BATCH', 'TRACKER_MAX_INTERVAL_MS', 'TRACKER_MIN_INTERVAL_MS', 'TRACKER_TICK_MS', 'TRUST_PROXY',
  'WEBHOOK_ALLOWED_TARGETS', 'WEBHOOK_CONCURRENCY', 'WEBHOOK_DISABLE_AFTER_MS', 'WEBHOOK_SECRET_OVERLAP_MS', 'WEBHOOK_TIMEOUT_MS'
]

t.test('the variable list: each leaf names one, none twice, and the loader reads each', async (t) => {
  const names = configVariables()
  t.same([...names].sort(), VARIABLES)
  t.equal(new Set(names).size, names.length, 'no variable named by two leaves')
  t.same(configLeaves().map((leaf) => leaf.path.join('.')).filter((path) => path.split('.').length < 2), [], 'every leaf sits in a slice')
  const plain = JSON.stringify(loadConfig(base))
  for (const name of names) {
    let outcome: string
    try {
      outcome = JSON.stringify(loadConfig({ ...base, [name]: 'not a value ☃' })) === plain ? 'ignored' : 'read'
    } catch (error) {
      outcome = error instanceof ConfigError && error.message.startsWith(`${name} `) ? 'read' : `threw ${String(error)}`
    }
    t.equal(outcome, 'read', `${name} is read (refused with a line naming it, or taken)`)
  }
})

function envFile (text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
}

t.test('every variable is documented in the README and .env.example, with the default the schema gives it', async (t) => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const example = envFile(await readFile(new URL('../.env.example', import.meta.url), 'utf8'))
  const rows = readme.split('\n').filter((line) => line.startsWith('| `'))
  for (const leaf of configLeaves()) {
    const row = rows.find((line) => (line.split('|')[1] ?? '').includes(`\`${leaf.env}\``))
    t.ok(row, `the README's configuration table has ${leaf.env}`)
    t.ok(leaf.env in example, `.env.example has ${leaf.env}`)
    if (typeof leaf.default === 'number' || typeof leaf.default === 'boolean' || (typeof leaf.default === 'string' && leaf.default !== '')) {
      t.match(row?.split('|').at(-2) ?? '', `\`${String(leaf.default)}\``, `the README gives ${leaf.env}'s default`)
    }
  }
  // .env.example as it stands (its panel aside) is the default configuration, derived fields included.
  const env = { ...example, PANEL_URL: base.PANEL_URL, PANEL_KEY: base.PANEL_KEY }
  t.same(loadConfig(env), loadConfig(base), '.env.example sets every variable to its default')
})
