// The one place the environment is read. The configuration is declared once,
// below, as TypeBox schemas in slices that plugins take whole; each leaf names
// its variable, default and bounds, and one loader walks the schema to read
// them all. A bad variable stops start-up with one line naming it.
import { Type, IsEnum, IsInteger, IsObject, IsString, type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = Record<string, string | undefined>

/**
 * What a leaf of the configuration says besides its type (TypeBox keeps such
 * keywords): `env` marks it a leaf. A leaf without `default` is unset when its
 * variable is, unless a rule in `loadConfig` derives it.
 */
interface Leaf {
  /** The variable the leaf is read from. */
  env: string
  default?: unknown
  /** Whole numbers: the accepted range (inclusive). */
  minimum?: number
  maximum?: number
  /** Strings: what a value must match, and its least length (in UTF-16 units, as String.length counts). */
  pattern?: string
  minLength?: number
  /** Strings: the end of the one line that refuses a value, `<env> must be <mustBe>`. */
  mustBe?: string
  /** Reads a set value in place of the generic coercion, throwing ConfigError itself. */
  parse?: (raw: string, name: string) => unknown
}

// ---------------------------------------------------------------------------
// The schema: one slice per plugin or concern.

export const ServerSchema = Type.Object({
  host: Type.String({ env: 'HOST', default: '127.0.0.1' }),
  port: Type.Integer({ env: 'PORT', default: 3000, minimum: 0, maximum: 65535 }),
  bodyLimitBytes: Type.Integer({ env: 'BODY_LIMIT_BYTES', default: 262144, minimum: 1024, maximum: 10485760 }),
  /** Which proxies' X-Forwarded-For to believe (Fastify's trustProxy): per-IP limits behind a load balancer. */
  trustProxy: Type.Union([Type.Boolean(), Type.Integer(), Type.Array(Type.String())], { env: 'TRUST_PROXY', default: false, parse: trustProxy }),
  /** Browser origins allowed to call the API cross-origin (exact match); empty: CORS off. */
  corsOrigins: Type.Array(Type.String(), { env: 'CORS_ORIGINS', default: [], parse: corsOrigins }),
  /** How long a SIGTERM waits for requests in flight before the process is stopped (ms); default derived from the panel's bounds. */
  shutdownGraceMs: Type.Integer({ env: 'SHUTDOWN_GRACE_MS', minimum: 0, maximum: 3600000 }),
  /** A request's headers and body must have arrived within this (ms), or it is cut with 408 and its connection closed. */
  requestTimeoutMs: Type.Integer({ env: 'REQUEST_TIMEOUT_MS', default: 30000, minimum: 1000, maximum: 600000 }),
  /** A request's headers must have arrived within this (ms); at most REQUEST_TIMEOUT_MS. */
  headersTimeoutMs: Type.Integer({ env: 'HEADERS_TIMEOUT_MS', default: 10000, minimum: 1000, maximum: 600000 }),
  /** How long an idle kept-alive connection stays open (ms); above a load balancer's own idle timeout (nginx and AWS ALB: 60 s). */
  keepAliveTimeoutMs: Type.Integer({ env: 'KEEP_ALIVE_TIMEOUT_MS', default: 65000, minimum: 1000, maximum: 600000 }),
  /** Open client connections at once; further ones are closed as they arrive. */
  maxConnections: Type.Integer({ env: 'MAX_CONNECTIONS', default: 2048, minimum: 1, maximum: 1000000 }),
  logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { env: 'LOG_LEVEL', default: 'info' })
})

export const PanelSchema = Type.Object({
  /** The panel's API v2 endpoint; '' only when the panel is not required (tests, the CLI). */
  url: Type.String({ env: 'PANEL_URL', default: '', parse: httpUrl }),
  key: Type.String({ env: 'PANEL_KEY', default: '' }),
  timeoutMs: Type.Integer({ env: 'PANEL_TIMEOUT_MS', default: 15000, minimum: 100, maximum: 300000 }),
  /** How long a call may wait for its turn at the panel before `upstream_overloaded` (ms); PANEL_TIMEOUT_MS starts after. */
  queueTimeoutMs: Type.Integer({ env: 'PANEL_QUEUE_TIMEOUT_MS', default: 5000, minimum: 0, maximum: 300000 }),
  connections: Type.Integer({ env: 'PANEL_CONNECTIONS', default: 16, minimum: 1, maximum: 512 }),
  /** Consecutive panel failures that open the circuit, and how long it stays open (ms). */
  breaker: Type.Object({
    failureThreshold: Type.Integer({ env: 'BREAKER_FAILURES', default: 5, minimum: 1, maximum: 1000000 }),
    cooldownMs: Type.Integer({ env: 'BREAKER_COOLDOWN_MS', default: 10000, minimum: 10, maximum: 600000 })
  }),
  /** Panel calls in flight and started per second across all tenants (shared fairly), and waiting per tenant. */
  limiter: Type.Object({
    /** Default: `connections`. */
    maxConcurrency: Type.Integer({ env: 'PANEL_MAX_CONCURRENCY', minimum: 1, maximum: 4096 }),
    maxPerSecond: Type.Integer({ env: 'PANEL_MAX_RPS', default: 50, minimum: 1, maximum: 100000 }),
    queueLimit: Type.Integer({ env: 'PANEL_QUEUE_LIMIT', default: 1000, minimum: 0, maximum: 1000000 })
  })
})

/** PostgreSQL only: bounds on connecting, on one statement, and on an unused pooled connection (ms). */
export const DatabaseTimeoutsSchema = Type.Object({
  connectMs: Type.Integer({ env: 'DATABASE_CONNECT_TIMEOUT_MS', default: 5000, minimum: 100, maximum: 600000 }),
  statementMs: Type.Integer({ env: 'DATABASE_STATEMENT_TIMEOUT_MS', default: 10000, minimum: 100, maximum: 3600000 }),
  idleMs: Type.Integer({ env: 'DATABASE_IDLE_TIMEOUT_MS', default: 30000, minimum: 100, maximum: 3600000 })
})

const SCHEMA_MUST_BE = 'a lower-case PostgreSQL name (letters, digits, _) and needs a postgres:// DATABASE_URL'

export const StoreSchema = Type.Object({
  url: Type.String({ env: 'DATABASE_URL', default: 'sqlite:./data/gateway.db', pattern: '^(sqlite:|postgres(ql)?://)', mustBe: 'sqlite:<file> or postgres://…' }),
  /** PostgreSQL schema (created if missing); unset: the connection's search_path. */
  schema: Type.Optional(Type.String({ env: 'DATABASE_SCHEMA', pattern: '^[a-z_][a-z0-9_]{0,62}$', mustBe: SCHEMA_MUST_BE })),
  timeouts: DatabaseTimeoutsSchema
})

export const RedisSchema = Type.Object({
  /** Unset: every counter and cache stays in-process. */
  url: Type.Optional(Type.String({ env: 'REDIS_URL', pattern: '^rediss?://', mustBe: 'a redis:// or rediss:// URL' })),
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  keyPrefix: Type.String({ env: 'REDIS_KEY_PREFIX', default: 'smm-gateway:', pattern: '^[\\x21-\\x7e]{1,100}$', mustBe: '1–100 visible ASCII characters' })
})

export const AuthSchema = Type.Object({
  /** Unset: the admin routes are off. */
  adminToken: Type.Optional(Type.String({ env: 'ADMIN_TOKEN', minLength: 16, mustBe: 'at least 16 characters long' })),
  cacheSeconds: Type.Integer({ env: 'AUTH_CACHE_SECONDS', default: 30, minimum: 0, maximum: 3600 }),
  /** Keys not found per client IP per minute before further unknown keys from it are refused (429) without a database lookup. */
  failedLookupsPerMinute: Type.Integer({ env: 'AUTH_FAILURES_PER_MINUTE', default: 20, minimum: 1, maximum: 1000000 })
})

export const RateLimitSchema = Type.Object({
  /** Tenants without a limit of their own, and the admin. */
  perMinute: Type.Integer({ env: 'RATE_LIMIT_PER_MINUTE', default: 600, minimum: 1, maximum: 1000000 }),
  /** Callers without a valid key, by IP. */
  unauthenticatedPerMinute: Type.Integer({ env: 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', default: 60, minimum: 1, maximum: 1000000 }),
  /** When Redis fails: `open` lets the request through uncounted, `closed` refuses it with 503. */
  onRedisError: Type.Enum(['open', 'closed'], { env: 'RATE_LIMIT_ON_REDIS_ERROR', default: 'open' })
})

export const CatalogSchema = Type.Object({
  ttlSeconds: Type.Integer({ env: 'SERVICES_TTL_SECONDS', default: 300, minimum: 0, maximum: 86400 }),
  staleSeconds: Type.Integer({ env: 'SERVICES_STALE_SECONDS', default: 3600, minimum: 0, maximum: 7 * 86400 })
})

export const StatusesSchema = Type.Object({
  batchWindowMs: Type.Integer({ env: 'STATUS_BATCH_WINDOW_MS', default: 5, minimum: 0, maximum: 1000 })
})

export const LedgerSchema = Type.Object({
  /** How often orders left mid-call by a dead process are resolved and old idempotency records purged (ms); 0: never. */
  sweepIntervalMs: Type.Integer({ env: 'LEDGER_SWEEP_INTERVAL_MS', default: 30000, minimum: 0, maximum: 3600000 }),
  /** Past the panel's bounds, how long an order may stay `sending` (or a claim in flight) before its process counts as dead (ms). */
  staleMarginMs: Type.Integer({ env: 'LEDGER_STALE_MARGIN_MS', default: 10000, minimum: 100, maximum: 600000 })
})

export const MetricsSchema = Type.Object({
  /** When set, GET /metrics is served on the main port to `Authorization: Bearer <token>` (and needs it on METRICS_PORT too). */
  token: Type.Optional(Type.String({ env: 'METRICS_TOKEN', minLength: 16, mustBe: 'at least 16 characters long' })),
  /** When set, a listener of its own serves GET /metrics (and nothing else) on METRICS_HOST. */
  port: Type.Optional(Type.Integer({ env: 'METRICS_PORT', minimum: 0, maximum: 65535 })),
  host: Type.String({ env: 'METRICS_HOST', default: '127.0.0.1' })
})

export const PressureSchema = Type.Object({
  /** 0: no shedding on event-loop delay (the heap bound still holds). */
  maxEventLoopDelayMs: Type.Integer({ env: 'MAX_EVENT_LOOP_DELAY_MS', default: 1000, minimum: 0, maximum: 60000 })
})

export const TrackerSchema = Type.Object({
  /** How soon a placed order (or refill) is first polled, and the first gap between polls (ms); the gap doubles up to the max. */
  minIntervalMs: Type.Integer({ env: 'TRACKER_MIN_INTERVAL_MS', default: 15000, minimum: 100, maximum: 86400000 }),
  /** The longest gap between two polls of a non-final order (ms). */
  maxIntervalMs: Type.Integer({ env: 'TRACKER_MAX_INTERVAL_MS', default: 600000, minimum: 100, maximum: 86400000 }),
  /** How often each instance looks for orders due a poll, deliveries due an attempt and the catalog and balance checks (ms); 0: the tracker and delivery are off. */
  tickMs: Type.Integer({ env: 'TRACKER_TICK_MS', default: 1000, minimum: 0, maximum: 600000 }),
  /** Orders (and refills) claimed per tick by one instance. */
  batch: Type.Integer({ env: 'TRACKER_BATCH', default: 500, minimum: 1, maximum: 100000 })
})

export const EventsSchema = Type.Object({
  /** How long events stay in GET /events (and deliveries in their listing), days. */
  retentionDays: Type.Integer({ env: 'EVENTS_RETENTION_DAYS', default: 30, minimum: 1, maximum: 3650 }),
  /** How often the panel's catalog is compared with the last one seen, for service.* events (ms); 0: never. */
  catalogWatchMs: Type.Integer({ env: 'CATALOG_WATCH_INTERVAL_MS', default: 300000, minimum: 0, maximum: 86400000 }),
  /** How often the panel balance is checked for balance.low (ms); 0: never. */
  balanceCheckMs: Type.Integer({ env: 'BALANCE_CHECK_INTERVAL_MS', default: 300000, minimum: 0, maximum: 86400000 }),
  /** balance.low when the panel balance falls below this amount (a decimal in the panel's currency). */
  balanceLowThreshold: Type.Optional(Type.String({ env: 'BALANCE_LOW_THRESHOLD', pattern: '^\\d{1,15}(\\.\\d{1,10})?$', mustBe: 'a decimal amount such as 50 or 12.5' })),
  /** balance.low when the balance would last less than this many hours at the last 24 hours' spend. */
  balanceLowRunwayHours: Type.Integer({ env: 'BALANCE_LOW_RUNWAY_HOURS', default: 24, minimum: 0, maximum: 8760 })
})

export const WebhooksSchema = Type.Object({
  /** Receivers allowed besides public https ones: host names, IPs or CIDRs, comma-separated; these may be internal and plain http. */
  allowedTargets: Type.Array(Type.String(), { env: 'WEBHOOK_ALLOWED_TARGETS', default: [], parse: webhookTargets }),
  /** One delivery attempt: connecting, the answer's headers and its body (ms). */
  timeoutMs: Type.Integer({ env: 'WEBHOOK_TIMEOUT_MS', default: 10000, minimum: 100, maximum: 120000 }),
  /** An endpoint whose deliveries have failed without a success for this long is disabled (ms). */
  disableAfterMs: Type.Integer({ env: 'WEBHOOK_DISABLE_AFTER_MS', default: 5 * 86400000, minimum: 1000, maximum: 90 * 86400000 }),
  /** After a secret rotation the old secret still signs (beside the new one) this long (ms). */
  secretOverlapMs: Type.Integer({ env: 'WEBHOOK_SECRET_OVERLAP_MS', default: 86400000, minimum: 0, maximum: 30 * 86400000 }),
  /** Deliveries in flight at once per instance. */
  concurrency: Type.Integer({ env: 'WEBHOOK_CONCURRENCY', default: 16, minimum: 1, maximum: 1024 })
})

export const ConfigSchema = Type.Object({
  server: ServerSchema,
  panel: PanelSchema,
  store: StoreSchema,
  redis: RedisSchema,
  auth: AuthSchema,
  rateLimit: RateLimitSchema,
  catalog: CatalogSchema,
  statuses: StatusesSchema,
  ledger: LedgerSchema,
  metrics: MetricsSchema,
  pressure: PressureSchema,
  tracker: TrackerSchema,
  events: EventsSchema,
  webhooks: WebhooksSchema
})

export type Config = Static<typeof ConfigSchema>
export type ServerConfig = Static<typeof ServerSchema>
export type PanelConfig = Static<typeof PanelSchema>
export type DatabaseTimeouts = Static<typeof DatabaseTimeoutsSchema>
export type StoreConfig = Static<typeof StoreSchema>
export type RedisConfig = Static<typeof RedisSchema>
export type AuthConfig = Static<typeof AuthSchema>
export type RateLimitConfig = Static<typeof RateLimitSchema>
export type CatalogConfig = Static<typeof CatalogSchema>
export type StatusesConfig = Static<typeof StatusesSchema>
export type LedgerConfig = Static<typeof LedgerSchema>
export type MetricsConfig = Static<typeof MetricsSchema>
export type PressureConfig = Static<typeof PressureSchema>
export type TrackerConfig = Static<typeof TrackerSchema>
export type EventsConfig = Static<typeof EventsSchema>
export type WebhooksConfig = Static<typeof WebhooksSchema>

export const DATABASE_TIMEOUT_DEFAULTS: DatabaseTimeouts = Value.Create(DatabaseTimeoutsSchema)

// ---------------------------------------------------------------------------
// The generic loader.

function leafOf (schema: TSchema): Leaf | undefined {
  const env = (schema as { env?: unknown }).env
  return typeof env === 'string' ? schema as Leaf : undefined
}

export interface ConfigLeaf {
  /** Where it sits in Config, e.g. ['panel', 'breaker', 'cooldownMs']. */
  path: string[]
  schema: TSchema
  env: string
  default?: unknown
}

/** Every leaf of the configuration, in the schema's order. */
export function configLeaves (schema: TSchema = ConfigSchema, path: string[] = []): ConfigLeaf[] {
  const leaf = leafOf(schema)
  if (leaf !== undefined) return [{ path, schema, env: leaf.env, ...('default' in leaf ? { default: leaf.default } : {}) }]
  if (!IsObject(schema)) return []
  return Object.entries(schema.properties).flatMap(([key, property]) => configLeaves(property, [...path, key]))
}

/** Every variable the configuration reads, in the schema's order. */
export function configVariables (): string[] {
  return configLeaves().map((leaf) => leaf.env)
}

/** A variable's value, trimmed; empty counts as unset. */
function read (env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function refuse (name: string, mustBe: string | undefined): ConfigError {
  return new ConfigError(`${name} must be ${mustBe ?? 'valid'}`)
}

function readLeaf (schema: TSchema, leaf: Leaf, env: Env): unknown {
  const name = leaf.env
  const raw = read(env, name)
  // A copy: a default array must not be shared by every config loaded.
  if (raw === undefined) return structuredClone(leaf.default)
  if (leaf.parse !== undefined) return leaf.parse(raw, name)
  if (IsInteger(schema)) {
    const minimum = leaf.minimum ?? 0
    const maximum = leaf.maximum ?? Number.MAX_SAFE_INTEGER
    if (!/^\d+$/.test(raw) || Number(raw) < minimum || Number(raw) > maximum) {
      throw new ConfigError(`${name} must be a whole number from ${minimum} to ${maximum} (got "${raw}")`)
    }
    return Number(raw)
  }
  if (IsEnum(schema)) {
    const values = schema.enum.map(String)
    if (!values.includes(raw)) {
      throw refuse(name, values.length === 2 ? `${values[0] ?? ''} or ${values[1] ?? ''}` : `one of ${values.join(', ')}`)
    }
    return raw
  }
  if (IsString(schema)) {
    if ((leaf.minLength !== undefined && raw.length < leaf.minLength) ||
      (leaf.pattern !== undefined && !new RegExp(leaf.pattern, 'u').test(raw))) {
      throw refuse(name, leaf.mustBe)
    }
    return raw
  }
  throw new Error(`config.ts: no way to read ${name}; give its leaf a parse function`)
}

/** Walks the schema: each leaf from its variable, each object from its properties (unset leaves left out). */
function fromEnv (schema: TSchema, env: Env): unknown {
  const leaf = leafOf(schema)
  if (leaf !== undefined) return readLeaf(schema, leaf, env)
  if (!IsObject(schema)) throw new Error('config.ts: a configuration leaf names no env variable')
  const slice: Record<string, unknown> = {}
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = fromEnv(property, env)
    if (value !== undefined) slice[key] = value
  }
  return slice
}

// ---------------------------------------------------------------------------
// Readers of the variables no generic coercion fits (their leaves' `parse`).

function httpUrl (raw: string, name: string): string {
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

function trustProxy (raw: string, name: string): boolean | number | string[] {
  if (raw === 'false') return false
  if (raw === 'true') return true
  if (/^\d{1,2}$/.test(raw)) return Number(raw)
  const addresses = raw.split(',').map((a) => a.trim())
  if (addresses.every((a) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(a))) return addresses
  throw new ConfigError(`${name} must be true, false, a number of proxy hops, or comma-separated proxy addresses/CIDRs`)
}

// A host name, an IPv4 or IPv6 address, or either with a /prefix.
const TARGET = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|[0-9.]+(?:\/\d{1,2})?|[0-9a-f:.]+(?:\/\d{1,3})?)$/i

function webhookTargets (raw: string, name: string): string[] {
  const targets = raw.split(',').map((item) => item.trim().toLowerCase()).filter((item) => item !== '')
  for (const target of targets) {
    if (!TARGET.test(target)) throw new ConfigError(`${name} must be comma-separated host names, IP addresses or CIDRs such as hooks.internal,10.0.0.0/8 (got "${target}")`)
  }
  return targets
}

function corsOrigins (raw: string, name: string): string[] {
  return raw.split(',').map((o) => o.trim()).filter((o) => o !== '').map((origin) => {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    // Browsers send the origin serialised exactly so; anything else could never match.
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`${name} must be comma-separated origins such as https://app.example or http://localhost:5173 (no path, no trailing slash; got "${origin}")`)
    }
    return origin
  })
}

// ---------------------------------------------------------------------------
// Rules that tie fields together, after the generic pass.

// Past the panel call a request still waits for the store's writes, and its
// answer must leave before the process does.
const SHUTDOWN_MARGIN_MS = 10_000

function requirePanel (panel: PanelConfig): void {
  if (panel.url === '') {
    throw new ConfigError('PANEL_URL is not set: point it at your panel\'s API v2 endpoint, or try the gateway with `npm run demo`')
  }
  if (panel.key === '') {
    throw new ConfigError('PANEL_KEY is not set: it is the API key of your panel account')
  }
}

/** PANEL_MAX_CONCURRENCY defaults to PANEL_CONNECTIONS. */
function limiterDefaults (panel: PanelConfig): void {
  panel.limiter.maxConcurrency ??= panel.connections
}

/** Long enough for an order already at the panel to be answered and recorded. */
function shutdownGrace (server: ServerConfig, panel: PanelConfig): void {
  server.shutdownGraceMs ??= panel.queueTimeoutMs + panel.timeoutMs + SHUTDOWN_MARGIN_MS
  if (server.shutdownGraceMs < panel.timeoutMs) {
    throw new ConfigError(`SHUTDOWN_GRACE_MS must be at least PANEL_TIMEOUT_MS (${panel.timeoutMs}), or orders still at the panel are cut off (got ${server.shutdownGraceMs})`)
  }
}

function headersWithinRequest (server: ServerConfig): void {
  // Node refuses a headers timeout longer than the request timeout.
  if (server.headersTimeoutMs > server.requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS must be at most REQUEST_TIMEOUT_MS (${server.requestTimeoutMs}; got ${server.headersTimeoutMs})`)
  }
}

function trackerBounds (tracker: TrackerConfig): void {
  if (tracker.maxIntervalMs < tracker.minIntervalMs) {
    throw new ConfigError(`TRACKER_MAX_INTERVAL_MS must be at least TRACKER_MIN_INTERVAL_MS (${tracker.minIntervalMs}; got ${tracker.maxIntervalMs})`)
  }
}

function schemaNeedsPostgres (store: StoreConfig): void {
  if (store.schema !== undefined && !store.url.startsWith('postgres')) throw refuse('DATABASE_SCHEMA', SCHEMA_MUST_BE)
}

export interface LoadOptions {
  /** `npm start` needs a panel; tests and the demo pass their own. */
  requirePanel?: boolean
}

export function loadConfig (env: Env = process.env, options: LoadOptions = {}): Config {
  // Typed as the finished config, though the leaves without a default (the
  // derived ones among them) are still unset until the rules below have run.
  const config = fromEnv(ConfigSchema, env) as Config
  if (options.requirePanel ?? true) requirePanel(config.panel)
  limiterDefaults(config.panel)
  shutdownGrace(config.server, config.panel)
  headersWithinRequest(config.server)
  schemaNeedsPostgres(config.store)
  trackerBounds(config.tracker)
  return config
}
