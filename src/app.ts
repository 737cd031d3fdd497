import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { SYSTEM_CLOCK, type Clock } from './clock.js'
import type { Config } from './config.js'
import type { Store } from './store/types.js'
import { openStore } from './store/open.js'
import storePlugin from './store/plugin.js'
import rateLimit from './plugins/rate-limit.js'
import redisPlugin, { type SharedRedis } from './plugins/redis.js'
import authInvalidations from './tenancy/invalidations.js'
import { validatorCompiler } from './plugins/validation.js'
import { loggerOptions } from './plugins/logger.js'
import { configuredSecrets } from './problems/redact.js'
import problemHandler, { ROUTER_OPTIONS, clientErrorHandler, frameworkErrors } from './problems/handler.js'
import edges from './plugins/edges.js'
import inFlight from './plugins/in-flight.js'
import metrics from './plugins/metrics.js'
import pressure from './plugins/pressure.js'
import { requestIds } from './plugins/request-id.js'
import openapi from './plugins/openapi.js'
import auth from './tenancy/auth.js'
import panelPlugin from './upstream/plugin.js'
import catalogPlugin from './catalog/plugin.js'
import statusesPlugin from './orders/plugin.js'
import ledgerPlugin from './orders/ledger-plugin.js'
import webhooksPlugin from './events/webhooks-plugin.js'
import trackerPlugin from './orders/tracker-plugin.js'
import watchPlugin from './events/watch-plugin.js'
import services from '../routes/services.js'
import orders from '../routes/orders.js'
import refills from '../routes/refills.js'
import cancels from '../routes/cancels.js'
import balance from '../routes/balance.js'
import health from '../routes/health.js'
import metricsRoute from '../routes/metrics.js'
import admin from '../routes/admin.js'
import adminOrders from '../routes/admin-orders.js'
import me from '../routes/me.js'
import webhooks from '../routes/webhooks.js'
import adminWebhooks from '../routes/admin-webhooks.js'
import events from '../routes/events.js'
import adminEvents from '../routes/admin-events.js'

export interface AppDeps {
  /** A store the caller owns (and closes); by default DATABASE_URL is opened. */
  store?: Store
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: NodeJS.WritableStream
  /** The time every component reads (TTLs, expiry, cool-downs, windows); default the system's. Tests pass a fake one. */
  clock?: Clock
}

/** Believe X-Forwarded-For up to `hops` proxies deep (Fastify does so at run time, but its types take no number). */
function trustHops (hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops
}

// How often Node looks for requests past their headers or request timeout
// (its default, 30 s, lets a timeout fire up to that much late).
const TIMEOUT_CHECK_INTERVAL_MS = 1000

export async function buildApp (config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const { server } = config
  const clock = deps.clock ?? SYSTEM_CLOCK
  const app = Fastify({
    logger: loggerOptions(server, deps.logStream, configuredSecrets(config)),
    bodyLimit: server.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestIds(configuredSecrets(config)),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    trustProxy: typeof server.trustProxy === 'number' ? trustHops(server.trustProxy) : server.trustProxy,
    routerOptions: ROUTER_OPTIONS,
    // Slow clients: headers and body must arrive in time (408 from
    // clientErrorHandler), and an idle kept-alive connection is let go.
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    http: { requestTimeout: server.requestTimeoutMs, headersTimeout: server.headersTimeoutMs, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.server.maxConnections = server.maxConnections
  app.setValidatorCompiler(validatorCompiler())
  if (server.trustProxy === true) {
    app.log.warn('TRUST_PROXY=true believes any client\'s own X-Forwarded-For, so per-IP limits can be dodged; set the number of proxies in front (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.0/8)')
  }

  const store = deps.store ?? await openStore(config.store, { logger: app.log })

  app.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id) })
  // Requests still in flight when closing starts end their connection with
  // their answer; kept alive, it would hold the server open until the client
  // hangs up (return503OnClosing covers requests that arrive meanwhile).
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // An answer sent before the body was read (401, 403, 413, 415...) ends the
  // connection too: kept alive, Node would go on reading whatever the client
  // trickles in, until the request timeout. (`=== false`: app.inject's
  // requests have no `complete`.)
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing || request.raw.complete === false) reply.header('connection', 'close')
    done(null, payload)
  })

  // Each plugin takes its slice of the config whole, and those whose rules
  // read time (TTLs, expiry, cool-downs, windows) the clock beside it.
  // Fastify reads `prefix`, `logLevel` and `logSerializers` from an
  // encapsulated plugin's options: only the server slice has one, and edges,
  // which takes it, is not encapsulated (fastify-plugin).

  // Framework plugins: what every request passes through, and the
  // connections. Order matters: auth finds the caller before the rate limiter
  // counts it.
  await app.register(inFlight)
  await app.register(edges, server)
  await app.register(problemHandler, { secrets: configuredSecrets(config) })
  await app.register(metrics, { ...config.metrics, clock })
  await app.register(pressure, config.pressure)
  await app.register(openapi)
  await app.register(storePlugin, { store, owned: deps.store === undefined })
  await app.register(redisPlugin, config.redis)
  const redis: SharedRedis | undefined = app.redis === undefined ? undefined : { client: app.redis, keyPrefix: config.redis.keyPrefix }
  await app.register(auth, { ...config.auth, clock })
  await app.register(authInvalidations, config.redis)
  await app.register(rateLimit, { ...config.rateLimit, redis, clock })

  // Domain plugins: the panel and what is built on it.
  await app.register(panelPlugin, { ...config.panel, redis, clock })
  await app.register(catalogPlugin, { ...config.catalog, clock })
  await app.register(statusesPlugin, { ...config.statuses, clock })
  await app.register(ledgerPlugin, { ...config.ledger, panel: config.panel, clock })
  await app.register(webhooksPlugin, { ...config.webhooks, tickMs: config.tracker.tickMs, clock })
  await app.register(trackerPlugin, { ...config.tracker, clock })
  await app.register(watchPlugin, { ...config.events, tickMs: config.tracker.tickMs, clock })

  // Routes.
  await app.register(services)
  await app.register(orders)
  await app.register(refills)
  await app.register(cancels)
  await app.register(balance)
  await app.register(events)
  await app.register(health, { redisRequired: config.rateLimit.onRedisError === 'closed', clock })
  await app.register(me, config.rateLimit)
  await app.register(metricsRoute)
  await app.register(webhooks)
  if (config.auth.adminToken !== undefined) {
    await app.register(admin, { clock })
    await app.register(adminOrders)
    await app.register(adminWebhooks)
    await app.register(adminEvents)
  }

  // onClose hooks run last-registered first, after Fastify's own (which stops
  // accepting and waits for open connections). Added here, after every plugin,
  // this wait comes before the panel client and the store are closed; it must
  // be an onClose hook: preClose hooks are cut off by Fastify's pluginTimeout.
  app.addHook('onClose', async () => { await app.inFlight.settled(server.shutdownGraceMs) })
  return app
}
