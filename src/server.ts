import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { isEntryPoint } from './entry-point.js'

/** Config from `env`, the app, a graceful close on signals, and listening; throws ConfigError for a bad environment. */
export async function main (env: Record<string, string | undefined> = process.env): Promise<FastifyInstance> {
  const config = loadConfig(env)
  const app = await buildApp(config)

  // Long enough for an order already at the panel to be answered and recorded (config checks it is).
  closeWithGrace({ delay: config.server.shutdownGraceMs }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })

  await app.listen({ host: config.server.host, port: config.server.port })
  return app
}

if (isEntryPoint(import.meta.url)) {
  try {
    await main()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`smm-gateway: ${err.message}\n`)
    process.exit(1)
  }
}
