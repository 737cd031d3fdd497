import Fastify from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startSimulator } from '../simulator/index.js'
import { createTenant } from '../src/tenancy/admin.js'

// A benchmark target in its own process: `gateway` is smm-gateway in front of
// the simulator; `bare` is a plain Fastify route answering the same bytes.
// Prints `READY <url> <bytes> <key>` when it listens.
const which = process.argv[2]
const services = Number(process.argv[3] ?? '100')

const sim = await startSimulator({ services })
const config = loadConfig({ PANEL_URL: sim.url, PANEL_KEY: sim.key, DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000' })
const gateway = await buildApp(config)
const apiKey = (await createTenant(gateway.store, { name: 'bench' })).key.key
const warm = await gateway.inject({ url: '/services', headers: { authorization: `Bearer ${apiKey}` } })
if (warm.statusCode !== 200) throw new Error(`warm-up failed: ${warm.statusCode} ${warm.body}`)

if (which === 'gateway') {
  const url = await gateway.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${url} ${warm.body.length} ${apiKey}\n`)
} else {
  await gateway.close()
  const bare = Fastify()
  // Bytes, as the gateway sends its cached answer: the fastest bare Fastify can do.
  const body = warm.rawPayload
  bare.get('/services', async (_request, reply) => await reply.type('application/json; charset=utf-8').send(body))
  const url = await bare.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${url} ${body.length} ${apiKey}\n`)
}
