import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

/**
 * The OpenAPI document as YAML, from the routes' schemas. The panel address
 * is a placeholder: building the spec never calls the panel.
 */
export async function openapiYaml (): Promise<string> {
  // Placeholders: the admin routes exist only with a token; the store is in memory.
  const config = loadConfig({
    PANEL_URL: 'http://127.0.0.1:9/api/v2',
    PANEL_KEY: 'unused',
    ADMIN_TOKEN: 'placeholder-admin-token',
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp(config)
  try {
    await app.ready()
    return app.swagger({ yaml: true })
  } finally {
    await app.close()
  }
}
