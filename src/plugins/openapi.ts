import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Problem } from '../../schemas/common.js'
import { DOCS_CSP } from './edges.js'

export const API_DESCRIPTION = `A typed, documented gateway in front of an SMM panel (API v2).

Authenticate with your key: \`Authorization: Bearer <key>\` (or \`X-API-Key\`).
Errors are RFC 9457 \`application/problem+json\` documents with a stable \`code\`.
Money is a decimal string, never a float.`

/** The spec comes from the routes' TypeBox schemas; Swagger UI serves it at /docs. */
export default fp(async (app) => {
  app.addSchema(Problem)
  await app.register(swagger, {
    // Shared schemas appear in components under their $id (e.g. Problem).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
    openapi: {
      openapi: '3.1.0',
      info: { title: 'smm-gateway', version: '0.1.0', description: API_DESCRIPTION },
      tags: [
        { name: 'services', description: 'The catalog, cached' },
        { name: 'orders', description: 'Placing orders and reading their status' },
        { name: 'refills', description: 'Refills of delivered orders' },
        { name: 'cancels', description: 'Cancelling orders' },
        { name: 'balance', description: 'The panel account' },
        { name: 'tenant', description: 'The calling tenant' },
        { name: 'events', description: 'What happened to your orders, refills, services and the panel balance, oldest first' },
        { name: 'webhooks', description: 'Endpoints that receive your events, signed per Standard Webhooks' },
        { name: 'admin', description: 'Tenants and keys (Bearer ADMIN_TOKEN)' },
        { name: 'health', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Your gateway key' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN, for /admin routes' }
        }
      },
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }]
    },
    hideUntagged: true
  })
  // The UI and its assets are public: keys are entered in its Authorize dialog.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, public: true }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: true },
    staticCSP: DOCS_CSP
  })
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger())
}, { name: 'openapi' })
