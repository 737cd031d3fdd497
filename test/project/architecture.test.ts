import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// The layout's rules (README, "Layout"): imports run one way, routes → domain
// → store/upstream; the contract stands alone; dev tools never reach the build.
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

async function sources (dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => relative(ROOT, join(e.parentPath, e.name)))
}

/** Every relative import of a file, as a path from the repository root. */
async function importsOf (file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)]
    .map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1] ?? '')).replace(/\.js$/, '.ts'))
}

const RULES: Array<{ from: string, may: string[], why: string }> = [
  { from: 'schemas/', may: ['schemas/'], why: 'the contract imports nothing from src/' },
  { from: 'src/store/', may: ['src/store/', 'src/config.ts', 'src/clock.ts'], why: 'the store stands under everything' },
  { from: 'src/upstream/', may: ['src/upstream/', 'src/problems/', 'src/plugins/', 'src/config.ts', 'src/clock.ts'], why: 'the panel client knows no tenant, order or route' },
  { from: 'src/problems/', may: ['src/problems/', 'src/store/errors.ts', 'src/config.ts', 'src/clock.ts'], why: 'the error table is below the domain' },
  { from: 'src/plugins/', may: ['src/plugins/', 'src/problems/', 'src/tenancy/bearer.ts', 'src/config.ts', 'src/clock.ts', 'schemas/common.ts'], why: 'framework plugins know no domain' },
  { from: 'src/catalog/', may: ['src/catalog/', 'src/tenancy/allowlist.ts', 'src/upstream/', 'src/store/', 'src/problems/', 'src/plugins/', 'src/config.ts', 'src/clock.ts'], why: 'the catalog reads the panel, nothing above it' },
  { from: 'src/tenancy/', may: ['src/tenancy/', 'src/store/', 'src/problems/', 'src/plugins/', 'src/upstream/types.ts', 'src/config.ts', 'src/clock.ts'], why: 'tenancy sits on the store' },
  { from: 'src/orders/', may: ['src/orders/', 'src/catalog/', 'src/tenancy/', 'src/upstream/', 'src/store/', 'src/problems/', 'src/plugins/', 'src/config.ts', 'src/clock.ts'], why: 'the domain never reaches up to routes or the contract' },
  { from: 'src/events/', may: ['src/events/', 'src/orders/', 'src/catalog/', 'src/tenancy/', 'src/upstream/', 'src/store/', 'src/problems/', 'src/plugins/', 'src/config.ts', 'src/clock.ts'], why: 'events tell of the domain, from beside it' }
]

t.test('imports run one way: routes → domain → store/upstream, and schemas stand alone', async (t) => {
  const files = [...await sources('src'), ...await sources('schemas'), ...await sources('routes')]
  t.ok(files.length > 50, 'the sources were found')
  const broken: string[] = []
  for (const file of files) {
    const rule = RULES.find((r) => file.startsWith(r.from))
    if (rule === undefined) continue
    for (const target of await importsOf(file)) {
      if (!rule.may.some((allowed) => target === allowed || (allowed.endsWith('/') && target.startsWith(allowed)))) {
        broken.push(`${file} → ${target} (${rule.why})`)
      }
    }
  }
  t.same(broken, [])
})

t.test('nothing in the production build imports the simulator, the scripts, the benches or the tests', async (t) => {
  const broken: string[] = []
  for (const file of [...await sources('src'), ...await sources('routes'), ...await sources('schemas')]) {
    for (const target of await importsOf(file)) {
      if (/^(simulator|scripts|bench|test)\//.test(target)) broken.push(`${file} → ${target}`)
    }
  }
  t.same(broken, [])
})

t.test('every folder of src/ says what belongs there', async (t) => {
  const entries = await readdir(join(ROOT, 'src'), { withFileTypes: true })
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name)
  t.ok(folders.length >= 7)
  for (const folder of folders) {
    const readme = await readFile(join(ROOT, 'src', folder, 'README.md'), 'utf8').catch(() => '')
    t.ok(readme.length > 100, `src/${folder}/README.md`)
  }
})
