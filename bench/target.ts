import Fastify from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startSimulator } from '../src/simulator/index.js'

// A benchmark target in its own process: `gateway` is smm-gateway in front of
// the simulator; `bare` is a plain Fastify route answering the same bytes.
// Prints `READY <url> <path>` when it listens.
const which = process.argv[2]
const services = Number(process.argv[3] ?? '500')
const apiKey = 'bench-key-0123456789abcdef'

const sim = await startSimulator({ services })
const config = loadConfig({ PANEL_URL: sim.url, PANEL_KEY: sim.key, API_KEYS: apiKey, LOG_LEVEL: 'silent' })
const gateway = await buildApp(config)
const warm = await gateway.inject({ url: '/services', headers: { authorization: `Bearer ${apiKey}` } })
if (warm.statusCode !== 200) throw new Error(`warm-up failed: ${warm.statusCode} ${warm.body}`)

if (which === 'gateway') {
  const url = await gateway.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${url} ${warm.body.length}\n`)
} else {
  await gateway.close()
  const bare = Fastify()
  const body = warm.body
  bare.get('/services', async (_request, reply) => await reply.type('application/json; charset=utf-8').send(body))
  const url = await bare.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${url} ${body.length}\n`)
}
