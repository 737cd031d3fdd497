import Fastify from 'fastify'
import { startDevGateway } from '../scripts/dev-gateway.js'

// A benchmark target in its own process: `gateway` is smm-gateway in front of
// the simulator; `bare` is a plain Fastify route answering the same bytes.
// Prints `READY <url> <bytes> <key>` when it listens.
const which = process.argv[2]
const services = Number(process.argv[3] ?? '100')

const { app: gateway, key: apiKey } = await startDevGateway({
  sim: { services },
  env: { DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000' },
  tenant: { name: 'bench' }
})
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
