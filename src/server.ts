import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'

function configOrExit (): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`smm-gateway: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

const config = configOrExit()
const app = await buildApp(config)

// Long enough for an order already at the panel to be answered and recorded (config checks it is).
closeWithGrace({ delay: config.server.shutdownGraceMs }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})

await app.listen({ host: config.server.host, port: config.server.port })
