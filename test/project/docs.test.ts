import { readFile } from 'node:fs/promises'
import t from 'tap'
import { errorsMarkdown } from '../../scripts/error-docs.js'
import { configVariables } from '../../src/config.js'
import { ERRORS } from '../../src/problems/errors.js'

t.test('docs/errors.md matches the code (run `npm run errors-doc` when this fails)', async (t) => {
  const committed = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  t.equal(committed, errorsMarkdown())
  for (const code of Object.keys(ERRORS)) t.match(committed, `\`${code}\``, `documents ${code}`)
})

t.test('the README links the error table and shows the two quick-start commands', async (t) => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  t.match(readme, 'docs/errors.md')
  t.match(readme, 'npm ci && npm run demo')
  t.match(readme, 'npm ci && npm test')
})

t.test('.env.example and the README list every variable config.ts reads', async (t) => {
  const names = configVariables()
  t.ok(names.length >= 15, `found ${names.length} variables`)
  const example = await readFile(new URL('../../.env.example', import.meta.url), 'utf8')
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  for (const name of names) {
    t.match(example, new RegExp(`^${name}=`, 'm'), `.env.example has ${name}`)
    t.match(readme, `\`${name}\``, `README has ${name}`)
  }
})
