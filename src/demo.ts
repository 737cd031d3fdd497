import { randomBytes } from 'node:crypto'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { startSimulator } from './simulator/index.js'

// `npm run demo`: the built-in panel simulator and the gateway side by side,
// on embedded defaults, with a fresh key printed for Swagger UI's Authorize.
const simulator = await startSimulator({ progressMs: 15_000 })
const apiKey = 'demo_' + randomBytes(24).toString('base64url')
const config = loadConfig({
  PORT: '3000',
  LOG_LEVEL: 'warn',
  ...process.env,
  PANEL_URL: simulator.url,
  PANEL_KEY: simulator.key,
  API_KEYS: apiKey
})
const app = await buildApp(config)

closeWithGrace({ delay: 5_000 }, async () => {
  await app.close()
  await simulator.close()
})

const address = await app.listen({ host: config.host, port: config.port })
process.stdout.write(`
smm-gateway demo is running against the built-in panel simulator.

  Swagger UI  ${address}/docs
  OpenAPI     ${address}/openapi.json
  API key     ${apiKey}

Try it:
  curl -H 'Authorization: Bearer ${apiKey}' ${address}/services?limit=3
  curl -H 'Authorization: Bearer ${apiKey}' -H 'content-type: application/json' \\
       -d '{"service":1,"link":"https://instagram.com/example","quantity":100}' ${address}/orders

Press Ctrl+C to stop.
`)
