// The Dockerfile, checked without Docker (no engine runs here): its
// instructions are parsed and held to what the image must be (stages, base,
// user, exactly what reaches the runtime, CMD, HEALTHCHECK, STOPSIGNAL), and
// the build it describes (`npm run build`: tsc -p tsconfig.build.json) is run
// into a scratch directory inside the repository, so the compiled server
// finds the repository's node_modules, and started: it must answer /health
// and its HEALTHCHECK, and exit 0 on SIGTERM. npm ci is not run; instead
// every package the compiled code imports must be a production dependency.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startSimulator } from '../../simulator/index.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// A TypeScript build and a server start on a busy 2-core machine.
t.setTimeout(120_000)

interface Instruction { keyword: string, args: string, line: number }
interface Stage { index: number, name: string, from: string, instructions: Instruction[] }

/** Instructions with continuation lines joined and comments dropped, grouped by stage. */
function parseDockerfile (text: string): Stage[] {
  const instructions: Instruction[] = []
  let pending: Instruction | undefined
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line.startsWith('#') || (line === '' && pending === undefined)) return
    const continues = line.endsWith('\\')
    const body = continues ? line.slice(0, -1).trim() : line
    if (pending === undefined) {
      const match = /^(\w+)\s*(.*)$/.exec(body)
      if (match === null) throw new Error(`Dockerfile line ${i + 1}: cannot parse "${line}"`)
      pending = { keyword: (match[1] as string).toUpperCase(), args: match[2] as string, line: i + 1 }
    } else if (body !== '') {
      pending.args += ' ' + body
    }
    if (!continues) {
      instructions.push(pending)
      pending = undefined
    }
  })
  if (pending !== undefined) instructions.push(pending)

  const stages: Stage[] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(/\s+/)
      const index = stages.length
      stages.push({ index, name: as?.toUpperCase() === 'AS' && name !== undefined ? name : String(index), from, instructions: [] })
    } else {
      const stage = stages.at(-1)
      if (stage === undefined) throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`)
      stage.instructions.push(instruction)
    }
  }
  return stages
}

/** `ENV a=1 b="two words"` (and the legacy `ENV a 1`). */
function parseEnv (args: string): Record<string, string> {
  if (!/^[\w.-]+=/.test(args)) {
    const [name = '', ...value] = args.split(/\s+/)
    return { [name]: value.join(' ') }
  }
  const env: Record<string, string> = {}
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] as string
    env[m[1] as string] = value.startsWith('"') ? JSON.parse(value) : value
  }
  return env
}

/** JSON (exec) form as argv; shell form through /bin/sh -c, as Docker does. */
function commandOf (args: string): string[] {
  return args.trim().startsWith('[') ? JSON.parse(args) as string[] : ['/bin/sh', '-c', args]
}

/** `--flag=value` options before the rest of an instruction (COPY, HEALTHCHECK). */
function splitFlags (args: string): { flags: Record<string, string>, rest: string } {
  const flags: Record<string, string> = {}
  let rest = args.trim()
  for (let m = /^--([\w-]+)=(\S+)\s+/.exec(rest); m !== null; m = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1] as string] = m[2] as string
    rest = rest.slice(m[0].length)
  }
  return { flags, rest }
}

interface Copy { stage: string, from: string | undefined, sources: string[], dest: string }

/** Every COPY in a stage: its sources (context paths, or paths in the `--from` stage) and destination. */
function copiesOf (stage: Stage): Copy[] {
  return stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => {
    const { flags, rest } = splitFlags(i.args)
    const parts = rest.trim().startsWith('[') ? JSON.parse(rest) as string[] : rest.split(/\s+/)
    return { stage: stage.name, from: flags.from, sources: parts.slice(0, -1), dest: parts.at(-1) as string }
  })
}

function healthcheckOf (stage: Stage): { flags: Record<string, string>, command: string[] } | undefined {
  const instruction = stage.instructions.findLast((i) => i.keyword === 'HEALTHCHECK')
  if (instruction === undefined) return undefined
  const { flags, rest } = splitFlags(instruction.args)
  const match = /^CMD\s+(.*)$/i.exec(rest)
  if (match === null) throw new Error(`Dockerfile line ${instruction.line}: HEALTHCHECK without CMD`)
  return { flags, command: commandOf(match[1] as string) }
}

function parentOf (stages: Stage[], stage: Stage): Stage | undefined {
  return stages.find((s) => s.name === stage.from && s.index < stage.index)
}

function stageEnv (stages: Stage[], stage: Stage): Record<string, string> {
  const parent = parentOf(stages, stage)
  const env = parent === undefined ? {} : stageEnv(stages, parent)
  for (const i of stage.instructions) if (i.keyword === 'ENV') Object.assign(env, parseEnv(i.args))
  return env
}

function baseImage (stages: Stage[], stage: Stage): string {
  const parent = parentOf(stages, stage)
  return parent === undefined ? stage.from : baseImage(stages, parent)
}

/** The stage's own RUN commands and its parents'. */
function runsOf (stages: Stage[], stage: Stage): string[] {
  const parent = parentOf(stages, stage)
  return [...(parent === undefined ? [] : runsOf(stages, parent)), ...stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)]
}

/** Context paths copied into the stage and its parents, without a leading ./ or a trailing /. */
function contextCopiesOf (stages: Stage[], stage: Stage): string[] {
  const parent = parentOf(stages, stage)
  const own = copiesOf(stage).filter((c) => c.from === undefined).flatMap((c) => c.sources.map(normalise))
  return [...(parent === undefined ? [] : contextCopiesOf(stages, parent)), ...own]
}

function normalise (path: string): string {
  return path.replace(/^\.\//, '').replace(/\/$/, '')
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

async function run (argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null, output: string }> {
  const [command = '', ...args] = argv
  return await new Promise((resolve) => {
    const child = execFile(command === 'node' ? process.execPath : command, args, { cwd: ROOT, env }, (_err, stdout, stderr) => {
      resolve({ code: child.exitCode, output: stdout + stderr })
    })
  })
}

async function exited (child: ChildProcess, ms: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode }
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no exit within ${ms} ms`)) }, ms)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal })
    })
  })
}

async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/')).sort()
}

/** Module specifiers a compiled file imports: static, dynamic, and through createRequire. */
function importsOf (js: string): string[] {
  const found = new Set<string>()
  for (const m of js.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\)\s*\(\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g)) found.add(m[2] as string)
  return [...found]
}

function packageName (specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] as string
}

const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8')
const stages = parseDockerfile(dockerfile)
const runtime = stages.at(-1) as Stage
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>, dependencies: Record<string, string> }
const buildConfig = JSON.parse(await readFile(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
const DEV_ONLY = ['simulator', 'scripts', 'test', 'bench']

t.test('the Dockerfile builds on node:24-slim and runs as the node user with a health check, a data volume and SIGTERM to stop', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage')
  for (const stage of stages) {
    if (parentOf(stages, stage) === undefined) t.equal(stage.from, 'node:24-slim', `stage ${stage.name} is based on node:24-slim`)
  }
  t.equal(baseImage(stages, runtime), 'node:24-slim', 'the runtime is node:24-slim')
  t.equal(runtime.instructions.findLast((i) => i.keyword === 'USER')?.args.trim(), 'node', 'the runtime runs as USER node')

  const health = healthcheckOf(runtime)
  t.ok(health, 'the runtime has a HEALTHCHECK')
  t.ok(health?.flags.interval !== undefined && health?.flags.timeout !== undefined, 'with an interval and a timeout')
  t.match(health?.command.join(' '), /127\.0\.0\.1:.*\/health\b/, 'the HEALTHCHECK asks /health')
  t.equal(runtime.instructions.findLast((i) => i.keyword === 'STOPSIGNAL')?.args.trim(), 'SIGTERM', 'STOPSIGNAL SIGTERM')
  t.same(commandOf(runtime.instructions.findLast((i) => i.keyword === 'CMD')?.args ?? '[]'), ['node', 'dist/src/server.js'], 'CMD runs the compiled server')
  t.equal(pkg.scripts.start, 'node dist/src/server.js', 'as npm start does')

  const volumes = runtime.instructions.filter((i) => i.keyword === 'VOLUME')
    .flatMap((i) => i.args.trim().startsWith('[') ? JSON.parse(i.args) as string[] : i.args.trim().split(/\s+/))
  t.ok(volumes.includes('/app/data'), 'VOLUME /app/data')
  const env = stageEnv(stages, runtime)
  t.equal(env.NODE_ENV, 'production')
  t.equal(env.HOST, '0.0.0.0', 'listens on every interface in the container')
  t.equal(env.DATABASE_URL, 'sqlite:/app/data/gateway.db', 'the SQLite file is in the volume')
  t.ok(env.PORT, 'PORT is set')

  const toolchain = stages.filter((s) => s !== runtime).flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))
  for (const tool of ['python3', 'make', 'g++']) t.ok(toolchain.some((i) => new RegExp(`\\s${tool.replace('+', '\\+')}(\\s|$)`).test(i.args)), `a build stage installs ${tool} for better-sqlite3`)
  t.notOk(runsOf(stages, runtime).some((args) => /apt-get install/.test(args)), 'the runtime stage has no toolchain')
})

t.test('the runtime gets the compiled dist, production node_modules and the package files, and nothing else', async (t) => {
  const copies = [...contextCopiesOf(stages, runtime).map((source) => `context ${source}`),
    ...copiesOf(runtime).filter((c) => c.from !== undefined).flatMap((c) => c.sources.map((s) => `${c.from ?? ''} ${normalise(s)}`))]
  const build = stages.find((s) => runsOf(stages, s).some((args) => /\bnpm run build\b/.test(args)))
  const prod = stages.find((s) => runsOf(stages, s).some((args) => /\bnpm ci\b[^&]*--omit=dev/.test(args)))
  t.ok(build, 'a stage runs npm run build')
  t.ok(prod, 'a stage runs npm ci --omit=dev')
  t.same(copies.sort(), [
    'context package-lock.json',
    'context package.json',
    `${build?.name ?? 'build'} /app/dist`,
    `${prod?.name ?? 'prod-deps'} /app/node_modules`
  ].sort(), 'the runtime\'s COPYs')
  t.notOk(prod !== undefined && contextCopiesOf(stages, prod).some((s) => !['package.json', 'package-lock.json'].includes(s)), 'the production install sees only the package files')

  t.equal(pkg.scripts.build, 'tsc -p tsconfig.build.json', 'npm run build compiles tsconfig.build.json')
  t.same([...buildConfig.include].sort(), ['routes', 'schemas', 'src'], 'which takes src, routes and schemas')
  const built = build === undefined ? [] : contextCopiesOf(stages, build)
  for (const needed of ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', ...buildConfig.include]) {
    t.ok(built.includes(needed), `the build stage copies ${needed}`)
  }

  const everything = stages.flatMap((s) => copiesOf(s).filter((c) => c.from === undefined)).flatMap((c) => c.sources.map(normalise))
  t.notOk(everything.includes('.') || everything.includes(''), 'no stage copies the whole context')
  for (const dir of DEV_ONLY) t.notOk(everything.some((s) => s === dir || s.startsWith(`${dir}/`)), `no stage copies ${dir}/`)
})

t.test('.dockerignore keeps local state and secrets out of the context but not what the Dockerfile copies', async (t) => {
  const ignore = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  for (const entry of ['node_modules', 'dist', 'data', '.git', '.env']) t.ok(ignore.includes(entry), `ignores ${entry}`)
  const sources = stages.flatMap((s) => copiesOf(s)).filter((c) => c.from === undefined).flatMap((c) => c.sources)
  t.ok(sources.length > 0)
  for (const source of sources) {
    const top = normalise(source).split('/')[0] as string
    t.notOk(ignore.some((pattern) => pattern === top || pattern === `${top}/` || pattern === `/${top}`), `${source} is in the build context`)
    t.ok(existsSync(join(ROOT, source)), `${source} exists`)
  }
})

t.test('the build the Dockerfile describes makes a production tree that starts, passes its HEALTHCHECK and stops cleanly on SIGTERM', async (t) => {
  // Inside the repository (.tap/ is ignored by git and by .dockerignore), so Node finds its node_modules and package.json.
  const out = join(ROOT, '.tap', `docker-build-${process.pid}`)
  t.teardown(async () => { await rm(out, { recursive: true, force: true }) })
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const building = Date.now()
  const compiled = await run(['node', tsc, '-p', 'tsconfig.build.json', '--outDir', out], process.env)
  const timings = [`tsc: ${Date.now() - building} ms`]
  t.equal(compiled.code, 0, 'tsc -p tsconfig.build.json', { output: compiled.output })

  const files = await filesUnder(out)
  for (const file of ['src/server.js', 'src/cli.js']) t.ok(files.includes(file), `the build has ${file}`)
  for (const dir of ['routes', 'schemas']) t.ok(files.some((f) => f.startsWith(`${dir}/`) && f.endsWith('.js')), `and ${dir}/`)
  t.same(files.filter((f) => !/^(src|routes|schemas)\//.test(f)), [], 'and nothing outside src, routes and schemas')
  t.same(files.filter((f) => f.endsWith('.ts')), [], 'no TypeScript sources')

  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])
  const problems: string[] = []
  const packages = new Set<string>()
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    for (const specifier of importsOf(await readFile(join(out, file), 'utf8'))) {
      if (!specifier.startsWith('.') && !builtins.has(specifier)) packages.add(specifier)
      if (specifier.startsWith('.')) {
        const target = relative(out, resolve(dirname(join(out, file)), specifier)).split(sep).join('/')
        if (DEV_ONLY.some((dir) => target === dir || target.startsWith(`${dir}/`))) problems.push(`${file} imports ${specifier}, a dev-only tree`)
        else if (!files.includes(target)) problems.push(`${file} imports ${specifier}, which is not in the build`)
      } else if (!builtins.has(specifier) && pkg.dependencies[packageName(specifier)] === undefined) {
        problems.push(`${file} imports ${specifier}, not a production dependency (npm ci --omit=dev leaves it out)`)
      }
    }
  }
  // The import scan must see what the server needs, the Redis store it loads through createRequire among it.
  for (const needed of ['fastify', 'better-sqlite3', '@fastify/rate-limit/store/RedisStore.js']) t.ok(packages.has(needed), `the scan finds ${needed}`)
  t.same(problems, [], 'every import is in the build, a Node built-in or a production dependency; none is the simulator, scripts, tests or benches')

  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })
  const data = join(out, 'data')
  await mkdir(data)
  const port = await freePort()
  // The container's environment: the image's variables, the volume's path mapped, loopback only, and the panel.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...stageEnv(stages, runtime),
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(data, 'gateway.db')}`,
    PANEL_URL: sim.url,
    PANEL_KEY: sim.key
  }
  const started = Date.now()
  const child = spawn(process.execPath, [join(out, 'src/server.js')], { cwd: out, env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })

  let healthy = false
  while (!healthy && Date.now() - started < 30_000 && child.exitCode === null) {
    healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false)
    if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(healthy, 'GET /health answers 200 within 30 s', { output })
  timings.push(`start to healthy: ${Date.now() - started} ms`)
  t.ok(existsSync(join(data, 'gateway.db')), 'the SQLite file is created in the volume directory')

  const health = healthcheckOf(runtime)
  if (health !== undefined) {
    const check = await run(health.command, env)
    t.equal(check.code, 0, 'the HEALTHCHECK command exits 0', { output: check.output })
  }

  child.kill('SIGTERM')
  const exit = await exited(child, 15_000)
  t.same(exit, { code: 0, signal: null }, 'SIGTERM: a clean exit', { output })
  t.notOk(output.includes(sim.key), 'the panel key is not in the output')
  const notJson = output.split('\n').filter((line) => {
    if (line.trim() === '') return false
    try {
      JSON.parse(line)
      return false
    } catch {
      return true
    }
  })
  t.same(notJson, [], 'every output line is a JSON log line')

  if (health !== undefined) {
    const down = await run(health.command, env)
    t.not(down.code, 0, 'the HEALTHCHECK fails once the server is gone')
  }
  t.comment(timings.join(', '))
})
