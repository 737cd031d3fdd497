import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { parse } from 'yaml'
import { configVariables } from '../../src/config.js'

interface Service {
  build?: unknown
  image?: string
  environment?: Record<string, string> | string[]
  depends_on?: Record<string, { condition?: string }> | string[]
  ports?: string[]
  volumes?: string[]
}

const root = new URL('../../', import.meta.url)
const compose = parse(await readFile(new URL('docker-compose.yml', root), 'utf8')) as { services: Record<string, Service> }
const services = compose.services
const GATEWAYS = ['gateway-1', 'gateway-2']

function env (service: Service): Record<string, string> {
  const raw = service.environment ?? {}
  if (!Array.isArray(raw)) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]))
  return Object.fromEntries(raw.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
}

function dependsOn (service: Service): string[] {
  const raw = service.depends_on ?? []
  return Array.isArray(raw) ? raw : Object.keys(raw)
}

t.test('docker-compose.yml has two gateways built from the Dockerfile, PostgreSQL, Redis and a load balancer', async (t) => {
  t.same(Object.keys(services).sort(), [...GATEWAYS, 'lb', 'postgres', 'redis'].sort())
  t.ok(existsSync(new URL('Dockerfile', root)), 'the Dockerfile exists')
  for (const name of GATEWAYS) t.ok(services[name]?.build === '.' || (services[name]?.build as { context?: string })?.context === '.', `${name} is built from the Dockerfile`)
  t.match(services.postgres?.image, /^postgres:/)
  t.match(services.redis?.image, /^redis:/)
})

t.test('each gateway gets the panel, the admin token, PostgreSQL, Redis and listens on 0.0.0.0', async (t) => {
  const known = new Set(configVariables())
  const pg = env(services.postgres as Service)
  for (const name of GATEWAYS) {
    const vars = env(services[name] as Service)
    for (const required of ['PANEL_URL', 'PANEL_KEY', 'ADMIN_TOKEN', 'DATABASE_URL', 'REDIS_URL', 'HOST']) t.ok(vars[required], `${name} sets ${required}`)
    for (const variable of Object.keys(vars)) t.ok(known.has(variable), `${name}: ${variable} is a variable config.ts reads`)
    t.equal(vars.HOST, '0.0.0.0', `${name} listens on every interface`)
    t.match(vars.PANEL_URL, /^\$\{PANEL_URL:\?/, 'PANEL_URL comes from the environment and is required')
    t.match(vars.PANEL_KEY, /^\$\{PANEL_KEY:\?/, 'PANEL_KEY comes from the environment and is required')
    t.match(vars.ADMIN_TOKEN, /^\$\{ADMIN_TOKEN:\?/, 'ADMIN_TOKEN comes from the environment and is required')
    const db = new URL((vars.DATABASE_URL ?? '').replace(/\$\{POSTGRES_PASSWORD:-([^}]*)\}/, '$1'))
    t.equal(db.protocol, 'postgres:')
    t.equal(db.hostname, 'postgres', 'DATABASE_URL points at the postgres service')
    t.equal(db.username, pg.POSTGRES_USER)
    t.equal(db.pathname, `/${pg.POSTGRES_DB ?? ''}`)
    t.equal(decodeURIComponent(db.password), (pg.POSTGRES_PASSWORD ?? '').replace(/\$\{POSTGRES_PASSWORD:-([^}]*)\}/, '$1'), 'the same password as the database')
    t.match(vars.REDIS_URL, /^redis:\/\/redis:6379/, 'REDIS_URL points at the redis service')
    t.same(dependsOn(services[name] as Service).sort(), ['postgres', 'redis'])
    const conditions = Object.values(services[name]?.depends_on as Record<string, { condition?: string }>).map((d) => d.condition)
    t.same(conditions, ['service_healthy', 'service_healthy'], 'waits until both answer')
  }
})

t.test('the load balancer publishes a port and routes to both gateways', async (t) => {
  const lb = services.lb as Service
  t.match(lb.image, /^(nginx|haproxy):/)
  t.same(dependsOn(lb).sort(), GATEWAYS)
  t.ok((lb.ports ?? []).length > 0, 'a published port')
  const mount = (lb.volumes ?? []).find((v) => v.startsWith('./deploy/'))
  t.ok(mount, 'its config comes from deploy/')
  const file = (mount ?? '').split(':')[0] ?? ''
  const conf = await readFile(new URL(file, root), 'utf8')
  const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(conf)
  t.ok(upstream, 'an upstream block')
  const servers = [...(upstream?.[2] ?? '').matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => ({ host: m[1], port: m[2] }))
  t.same(servers.map((s) => s.host).sort(), GATEWAYS, 'both gateways are in the upstream')
  for (const name of GATEWAYS) {
    const port = env(services[name] as Service).PORT ?? '3000'
    t.ok(servers.every((s) => s.port === port), `the upstream uses ${name}'s PORT`)
  }
  t.match(conf, new RegExp(`proxy_pass\\s+http://${upstream?.[1] ?? 'none'};`), 'requests go to that upstream')
  t.notMatch(conf, /non_idempotent/, 'a POST that may have arrived is never sent to a second gateway')
})
