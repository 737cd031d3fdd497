import closeWithGrace from 'close-with-grace'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startSimulator } from '../simulator/index.js'
import { createTenant } from '../src/tenancy/admin.js'

// `npm run demo`: the built-in panel simulator and the gateway side by side,
// on embedded defaults, with a demo tenant whose fresh key is printed for
// Swagger UI's Authorize.
const simulator = await startSimulator({ progressMs: 15_000 })
const config = loadConfig({
  PORT: '3000',
  LOG_LEVEL: 'warn',
  DATABASE_URL: 'sqlite:./data/demo.db',
  ...process.env,
  PANEL_URL: simulator.url,
  PANEL_KEY: simulator.key
})
const app = await buildApp(config)
const { tenant, key } = await createTenant(app.store, { name: `demo-${new Date().toISOString()}` })

closeWithGrace({ delay: 5_000 }, async () => {
  await app.close()
  await simulator.close()
})

const address = await app.listen({ host: config.server.host, port: config.server.port })
process.stdout.write(`
smm-gateway demo is running against the built-in panel simulator.

  Swagger UI  ${address}/docs   (click "Authorize" and paste the key)
  OpenAPI     ${address}/openapi.json
  Tenant      ${tenant.name} (id ${tenant.id}, every scope)
  API key     ${key.key}

Try it:
  curl -H 'Authorization: Bearer ${key.key}' '${address}/services?limit=3'
  curl -H 'Authorization: Bearer ${key.key}' -H 'content-type: application/json' \\
       -d '{"service":1,"link":"https://instagram.com/example","quantity":100}' ${address}/orders

Press Ctrl+C to stop.
`)
