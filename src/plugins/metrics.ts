import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import type { MetricsConfig } from '../config.js'
import { GatewayError } from '../problems/errors.js'
import problemHandler, { ROUTER_OPTIONS, clientErrorHandler } from '../problems/handler.js'
import { bearerToken, secretMatcher } from '../tenancy/bearer.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
    /**
     * Where the METRICS_PORT listener listens, once it does (it starts when
     * the app listens; it rejects if it cannot); undefined without METRICS_PORT.
     */
    metricsListener: Promise<AddressInfo> | undefined
    /** Answers GET /metrics on the main port: 403 without METRICS_TOKEN, 401 without that bearer token. */
    scrapeMetrics: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>
  }
}

/**
 * Prometheus metrics, one registry per app. Every label set is bounded:
 * route templates, status codes, panel actions, error codes — never an
 * order id, a tenant or a key.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly requests = new Counter({ name: 'smm_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] })
  readonly requestDuration = new Histogram({ name: 'smm_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers: [this.registry] })
  readonly problems = new Counter({ name: 'smm_problems_total', help: 'Error answers by code (rate_limited, budget_exceeded, upstream_timeout, …)', labelNames: ['code'], registers: [this.registry] })
  readonly upstreamCalls = new Counter({ name: 'smm_upstream_calls_total', help: 'Panel calls by action and outcome (ok or error code)', labelNames: ['action', 'outcome'], registers: [this.registry] })
  readonly upstreamDuration = new Histogram({ name: 'smm_upstream_call_duration_seconds', help: 'Panel call duration, retries included', labelNames: ['action', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] })
  readonly catalogReads = new Counter({ name: 'smm_catalog_reads_total', help: 'Catalog reads: hit, miss (fetched) or stale (panel failing)', labelNames: ['result'], registers: [this.registry] })
  readonly statusBatchSize = new Histogram({ name: 'smm_status_batch_size', help: 'Order ids per multi-status panel call', buckets: [1, 2, 5, 10, 25, 50, 75, 100], registers: [this.registry] })
  readonly ordersUnknown = new Counter({ name: 'smm_orders_unknown_total', help: 'Orders whose outcome became unknown (the add may have reached the panel), by how it was found', labelNames: ['reason'], registers: [this.registry] })
  readonly ordersReleased = new Counter({ name: 'smm_orders_released_total', help: 'Reservations left by a process that died, released by the sweep', registers: [this.registry] })
  readonly panelIdReused = new Counter({ name: 'smm_panel_order_id_reused_total', help: 'Panel order ids handed out again for a new order (a reset or replaced panel); the older order is superseded', registers: [this.registry] })
  readonly renders = new Counter({ name: 'smm_metrics_renders_total', help: 'Renderings of this text for GET /metrics (at most one a second, shared by the scrapes within it)', registers: [this.registry] })
  readonly breakerState = new Gauge({ name: 'smm_upstream_breaker_state', help: 'Circuit breaker: 0 closed, 1 half-open, 2 open', registers: [this.registry] })
  readonly connectionsDropped = new Counter({ name: 'smm_connections_dropped_total', help: 'Client connections closed unanswered on arrival: MAX_CONNECTIONS were open', registers: [this.registry] })
  readonly keyLookups = new Counter({ name: 'smm_auth_key_lookups_total', help: 'Tenant keys looked up in the store (not answered from the auth cache), by result: valid, unknown, wrong_secret, revoked, disabled', labelNames: ['result'], registers: [this.registry] })
  readonly trackerTracked = new Gauge({ name: 'smm_tracker_tracked', help: 'Orders and refills the tracker polls (not final), at its last tick', registers: [this.registry] })
  readonly trackerPolls = new Counter({ name: 'smm_tracker_polls_total', help: 'Background status polls by kind (order, refill) and result (ok, error)', labelNames: ['kind', 'result'], registers: [this.registry] })
  readonly trackerLag = new Histogram({ name: 'smm_tracker_lag_seconds', help: 'How late the tracker claimed an item after its poll was due', buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900], registers: [this.registry] })

  constructor () {
    collectDefaultMetrics({ register: this.registry, prefix: 'smm_' })
  }
}

/** Renders of the registry the scrapes share: at most one a second. */
const RENDER_EVERY_MS = 1000

export interface MetricsOptions extends MetricsConfig {
  /** The monotonic reading spaces the renderings; default the system's. */
  clock?: Clock
}

/**
 * The registry's text, rendered at most once a second: every scrape within a
 * second of a rendering (concurrent or not, from either port) gets its bytes.
 * A full rendering walks every series and was 150 KB; rendered per scrape, 30
 * scrape loops held the event loop long enough to slow tenants' requests
 * a hundredfold.
 */
function renderer (metrics: Metrics, clock: Clock): () => Promise<Buffer> {
  let last: { at: number, body: Promise<Buffer> } | undefined
  return async () => {
    const now = clock.monotonic()
    if (last === undefined || now - last.at >= RENDER_EVERY_MS) {
      metrics.renders.inc()
      const body = metrics.registry.metrics().then((text) => Buffer.from(text))
      const rendering = { at: now, body }
      // A failed rendering is not kept for the second: the next scrape tries again.
      body.catch(() => { if (last === rendering) last = undefined })
      last = rendering
    }
    return await last.body
  }
}

const OFF_DETAIL = 'GET /metrics is not served on this port without a token: set METRICS_TOKEN (16 characters or more) ' +
  'to serve it here to "Authorization: Bearer <METRICS_TOKEN>", or METRICS_PORT for a listener of its own on METRICS_HOST (127.0.0.1 unless set)'
const UNAUTHORIZED_DETAIL = 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"'

/**
 * The registry, and the answer to GET /metrics on the main port (the route
 * is routes/metrics.ts): only with METRICS_TOKEN set, to that bearer token
 * (403 without one, 401 for a wrong or missing one). With METRICS_PORT, a listener of its own on
 * METRICS_HOST serves GET /metrics and nothing else, with the token only when
 * one is set; it listens once the app does and closes with it.
 */
export default fp<MetricsOptions>(async (app, options) => {
  const metrics = new Metrics()
  app.decorate('metrics', metrics)
  const render = renderer(metrics, options.clock ?? SYSTEM_CLOCK)
  const isMetricsToken = secretMatcher(options.token)
  app.server.on('drop', () => { metrics.connectionsDropped.inc() })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'not_found' : (request.routeOptions.url ?? 'unknown')
    const labels = { method: request.method, route, status: String(reply.statusCode) }
    metrics.requests.inc(labels)
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000)
  })

  async function scrape (request: FastifyRequest, reply: FastifyReply, tokenNeeded: boolean): Promise<FastifyReply> {
    if (tokenNeeded && !isMetricsToken(bearerToken(request.headers.authorization))) {
      throw new GatewayError('unauthorized', UNAUTHORIZED_DETAIL)
    }
    return await reply.type(metrics.registry.contentType).send(await render())
  }

  // GET /metrics on the main port is routes/metrics.ts: declared there, after
  // the rate limiter, so its per-IP limit covers it as any route.
  app.decorate('scrapeMetrics', async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.token === undefined) throw new GatewayError('forbidden', OFF_DETAIL)
    return await scrape(request, reply, true)
  })

  if (options.port === undefined) {
    app.decorate('metricsListener', undefined)
    return
  }
  const { port, host } = options
  let listening!: { resolve: (address: AddressInfo) => void, reject: (err: unknown) => void }
  const address = new Promise<AddressInfo>((resolve, reject) => { listening = { resolve, reject } })
  address.catch(() => {}) // nobody need wait for it; a failure is logged below
  app.decorate('metricsListener', address)
  let listener: FastifyInstance | undefined
  let started: Promise<unknown> | undefined
  app.addHook('onListen', async () => {
    const own = Fastify({
      loggerInstance: app.log.child({ listener: 'metrics' }),
      // Its own ids: nothing a scraper sends is echoed or logged.
      genReqId: () => randomUUID(),
      logController: new LogController({ requestIdLogLabel: 'requestId' }),
      clientErrorHandler,
      routerOptions: ROUTER_OPTIONS
    })
    own.decorate('metrics', metrics)
    await own.register(problemHandler)
    own.get('/metrics', async (request, reply) => await scrape(request, reply, options.token !== undefined))
    listener = own
    started = own.listen({ host, port }).then(() => {
      const bound = own.server.address() as AddressInfo
      app.log.info({ address: bound.address, port: bound.port }, 'metrics listener listening')
      listening.resolve(bound)
    }, (err: unknown) => {
      app.log.error({ err }, `the metrics listener cannot listen on ${host}:${port} (METRICS_HOST, METRICS_PORT); GET /metrics is not served there`)
      listening.reject(err)
    })
    await started
  })
  app.addHook('onClose', async () => {
    listening.reject(new Error('the app closed before it listened'))
    await started
    await listener?.close()
  })
}, { name: 'metrics' })
