import { writeFile } from 'node:fs/promises'
import { errorsMarkdown } from './error-docs.js'

// `npm run errors-doc`: regenerate docs/errors.md (a test fails while it is stale).
await writeFile(new URL('../docs/errors.md', import.meta.url), errorsMarkdown())
process.stdout.write('docs/errors.md written\n')
