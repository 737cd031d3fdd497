import { writeFile } from 'node:fs/promises'
import { openapiYaml } from './openapi-document.js'

// `npm run openapi`: regenerate openapi.yaml (a test fails while it is stale).
await writeFile(new URL('../openapi.yaml', import.meta.url), await openapiYaml())
process.stdout.write('openapi.yaml written\n')
