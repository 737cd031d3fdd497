import { buildApp } from './app.js'
import { loadConfig } from './config.js'

/**
 * The OpenAPI document as YAML, from the routes' schemas. The panel address
 * is a placeholder: building the spec never calls the panel.
 */
export async function openapiYaml (): Promise<string> {
  const config = loadConfig({ PANEL_URL: 'http://127.0.0.1:9/api/v2', PANEL_KEY: 'unused', LOG_LEVEL: 'silent' })
  const app = await buildApp(config)
  try {
    await app.ready()
    return app.swagger({ yaml: true })
  } finally {
    await app.close()
  }
}
