import closeWithGrace from 'close-with-grace'
import { ALL_SCOPES } from '../src/store/types.js'
import { startDevGateway } from './dev-gateway.js'

// `npm run demo`: the built-in panel simulator and the gateway side by side,
// on embedded defaults, with a demo tenant whose fresh key is printed for
// Swagger UI's Authorize. The tenant gets every scope, balance:read too (not
// a default since the panel balance is shared by all tenants): the balance is
// the simulator's, the demo has one tenant, and every operation in Swagger UI
// should answer rather than 403.
// The panel is always the simulator, whatever PANEL_URL and PANEL_KEY say.
const { PANEL_URL: _url, PANEL_KEY: _key, ...env } = process.env
const { app, config, tenant, key, close } = await startDevGateway({
  sim: { progressMs: 15_000 },
  env: { PORT: '3000', LOG_LEVEL: 'warn', DATABASE_URL: 'sqlite:./data/demo.db', ...env },
  tenant: { name: `demo-${new Date().toISOString()}`, scopes: [...ALL_SCOPES] }
})

closeWithGrace({ delay: 5_000 }, close)

const address = await app.listen({ host: config.server.host, port: config.server.port })
process.stdout.write(`
smm-gateway demo is running against the built-in panel simulator.

  Swagger UI  ${address}/docs   (click "Authorize" and paste the key)
  OpenAPI     ${address}/openapi.json
  Tenant      ${tenant.name} (id ${tenant.id}, every scope: balance:read is granted here, not by default)
  API key     ${key}

Try it:
  curl -H 'Authorization: Bearer ${key}' '${address}/services?limit=3'
  curl -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' \\
       -d '{"service":1,"link":"https://instagram.com/example","quantity":100}' ${address}/orders

Press Ctrl+C to stop.
`)
