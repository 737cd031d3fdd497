// The one place the environment is read. Every variable is parsed and checked
// here; a bad one stops start-up with one line naming it.

export interface Config {
  panelUrl: string
  panelKey: string
  panelTimeoutMs: number
  panelConnections: number
  /** Consecutive panel failures that open the circuit, and how long it stays open (ms). */
  breakerFailures: number
  breakerCooldownMs: number
  /** Panel calls in flight and started per second across all tenants (shared fairly), and waiting per tenant. */
  panelMaxConcurrency: number
  panelMaxRps: number
  panelQueueLimit: number
  /** How long a call may wait for its turn at the panel before `upstream_overloaded` (ms); PANEL_TIMEOUT_MS starts after. */
  panelQueueTimeoutMs: number
  host: string
  port: number
  adminToken: string | undefined
  databaseUrl: string
  redisUrl: string | undefined
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  redisKeyPrefix: string
  rateLimitOnRedisError: 'open' | 'closed'
  /** PostgreSQL schema (created if missing); undefined: the connection's search_path. */
  databaseSchema: string | undefined
  /** PostgreSQL only: bounds on connecting, on one statement, and on an unused pooled connection (ms). */
  databaseTimeouts: DatabaseTimeouts
  /** How long a SIGTERM waits for requests in flight before the process is stopped (ms). */
  shutdownGraceMs: number
  /** Which proxies' X-Forwarded-For to believe (Fastify's trustProxy): per-IP limits behind a load balancer. */
  trustProxy: boolean | number | string[]
  logLevel: string
  servicesTtlSeconds: number
  servicesStaleSeconds: number
  statusBatchWindowMs: number
  /** How often orders left mid-call by a dead process are resolved and old idempotency records purged (ms); 0: never. */
  ledgerSweepIntervalMs: number
  /** Past PANEL_TIMEOUT_MS, how long an order may stay `sending` (or a claim in flight) before its process counts as dead (ms). */
  ledgerStaleMarginMs: number
  rateLimitPerMinute: number
  unauthenticatedRateLimitPerMinute: number
  authCacheSeconds: number
  bodyLimitBytes: number
  metricsToken: string | undefined
  maxEventLoopDelayMs: number
  /** Browser origins allowed to call the API cross-origin (exact match); empty: CORS off. */
  corsOrigins: string[]
}

export interface DatabaseTimeouts {
  connectMs: number
  statementMs: number
  idleMs: number
}

export const DATABASE_TIMEOUT_DEFAULTS: DatabaseTimeouts = { connectMs: 5000, statementMs: 10000, idleMs: 30000 }

// Past the panel call a request still waits for the store's writes, and its
// answer must leave before the process does.
const SHUTDOWN_MARGIN_MS = 10_000

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function str (env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function int (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`)
  }
  return Number(raw)
}

function httpUrl (name: string, raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL such as https://panel.example/api/v2`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL such as https://panel.example/api/v2`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`${name} must not carry credentials; put the panel key in PANEL_KEY`)
  }
  return url.toString()
}

function trustProxy (env: Env): boolean | number | string[] {
  const raw = str(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  if (/^\d{1,2}$/.test(raw)) return Number(raw)
  const addresses = raw.split(',').map((a) => a.trim())
  if (addresses.every((a) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(a))) return addresses
  throw new ConfigError('TRUST_PROXY must be true, false, a number of proxy hops, or comma-separated proxy addresses/CIDRs')
}

function corsOrigins (env: Env): string[] {
  const raw = str(env, 'CORS_ORIGINS')
  if (raw === undefined) return []
  return raw.split(',').map((o) => o.trim()).filter((o) => o !== '').map((origin) => {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    // Browsers send the origin serialised exactly so; anything else could never match.
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`CORS_ORIGINS must be comma-separated origins such as https://app.example or http://localhost:5173 (no path, no trailing slash; got "${origin}")`)
    }
    return origin
  })
}

export interface LoadOptions {
  /** `npm start` needs a panel; tests and the demo pass their own. */
  requirePanel?: boolean
}

export function loadConfig (env: Env = process.env, options: LoadOptions = {}): Config {
  const { requirePanel = true } = options
  const panelUrl = str(env, 'PANEL_URL')
  const panelKey = str(env, 'PANEL_KEY')
  if (requirePanel && panelUrl === undefined) {
    throw new ConfigError('PANEL_URL is not set: point it at your panel\'s API v2 endpoint, or try the gateway with `npm run demo`')
  }
  if (requirePanel && panelKey === undefined) {
    throw new ConfigError('PANEL_KEY is not set: it is the API key of your panel account')
  }
  const adminToken = str(env, 'ADMIN_TOKEN')
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters long')
  }
  const databaseUrl = str(env, 'DATABASE_URL') ?? 'sqlite:./data/gateway.db'
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be sqlite:<file> or postgres://…')
  }
  const redisUrl = str(env, 'REDIS_URL')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL')
  }
  const redisKeyPrefix = str(env, 'REDIS_KEY_PREFIX') ?? 'smm-gateway:'
  if (!/^[\x21-\x7e]{1,100}$/.test(redisKeyPrefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX must be 1–100 visible ASCII characters')
  }
  const rateLimitOnRedisError = str(env, 'RATE_LIMIT_ON_REDIS_ERROR') ?? 'open'
  if (rateLimitOnRedisError !== 'open' && rateLimitOnRedisError !== 'closed') {
    throw new ConfigError('RATE_LIMIT_ON_REDIS_ERROR must be open or closed')
  }
  const databaseSchema = str(env, 'DATABASE_SCHEMA')
  if (databaseSchema !== undefined && (!databaseUrl.startsWith('postgres') || !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema))) {
    throw new ConfigError('DATABASE_SCHEMA must be a lower-case PostgreSQL name (letters, digits, _) and needs a postgres:// DATABASE_URL')
  }
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)
  }
  const panelTimeoutMs = int(env, 'PANEL_TIMEOUT_MS', 15000, 100, 300000)
  const panelQueueTimeoutMs = int(env, 'PANEL_QUEUE_TIMEOUT_MS', 5000, 0, 300000)
  const shutdownGraceMs = int(env, 'SHUTDOWN_GRACE_MS', panelQueueTimeoutMs + panelTimeoutMs + SHUTDOWN_MARGIN_MS, 0, 3600000)
  if (shutdownGraceMs < panelTimeoutMs) {
    throw new ConfigError(`SHUTDOWN_GRACE_MS must be at least PANEL_TIMEOUT_MS (${panelTimeoutMs}), or orders still at the panel are cut off (got ${shutdownGraceMs})`)
  }
  return {
    panelUrl: panelUrl === undefined ? '' : httpUrl('PANEL_URL', panelUrl),
    panelKey: panelKey ?? '',
    panelTimeoutMs,
    panelConnections: int(env, 'PANEL_CONNECTIONS', 16, 1, 512),
    breakerFailures: int(env, 'BREAKER_FAILURES', 5, 1, 1000000),
    breakerCooldownMs: int(env, 'BREAKER_COOLDOWN_MS', 10000, 10, 600000),
    panelMaxConcurrency: int(env, 'PANEL_MAX_CONCURRENCY', int(env, 'PANEL_CONNECTIONS', 16, 1, 512), 1, 4096),
    panelMaxRps: int(env, 'PANEL_MAX_RPS', 50, 1, 100000),
    panelQueueLimit: int(env, 'PANEL_QUEUE_LIMIT', 1000, 0, 1000000),
    panelQueueTimeoutMs,
    host: str(env, 'HOST') ?? '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    adminToken,
    databaseUrl,
    redisUrl,
    redisKeyPrefix,
    rateLimitOnRedisError,
    databaseSchema,
    databaseTimeouts: {
      connectMs: int(env, 'DATABASE_CONNECT_TIMEOUT_MS', DATABASE_TIMEOUT_DEFAULTS.connectMs, 100, 600000),
      statementMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', DATABASE_TIMEOUT_DEFAULTS.statementMs, 100, 3600000),
      idleMs: int(env, 'DATABASE_IDLE_TIMEOUT_MS', DATABASE_TIMEOUT_DEFAULTS.idleMs, 100, 3600000)
    },
    shutdownGraceMs,
    trustProxy: trustProxy(env),
    logLevel,
    servicesTtlSeconds: int(env, 'SERVICES_TTL_SECONDS', 300, 0, 86400),
    servicesStaleSeconds: int(env, 'SERVICES_STALE_SECONDS', 3600, 0, 7 * 86400),
    statusBatchWindowMs: int(env, 'STATUS_BATCH_WINDOW_MS', 5, 0, 1000),
    ledgerSweepIntervalMs: int(env, 'LEDGER_SWEEP_INTERVAL_MS', 30000, 0, 3600000),
    ledgerStaleMarginMs: int(env, 'LEDGER_STALE_MARGIN_MS', 10000, 100, 600000),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1000000),
    unauthenticatedRateLimitPerMinute: int(env, 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 60, 1, 1000000),
    authCacheSeconds: int(env, 'AUTH_CACHE_SECONDS', 30, 0, 3600),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 262144, 1024, 10485760),
    metricsToken: str(env, 'METRICS_TOKEN'),
    maxEventLoopDelayMs: int(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 10, 60000),
    corsOrigins: corsOrigins(env)
  }
}
