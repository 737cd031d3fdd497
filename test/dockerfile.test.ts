// The Dockerfile's own build and start steps, run outside Docker (no engine
// runs here) so they cannot rot: each stage gets a directory standing for its
// /app, COPY copies, RUN runs what it says, and the final stage's CMD starts
// with the image's ENV. Two shortcuts keep it fast, and both are checked:
// the build stage's full `npm ci` is the repository's node_modules
// (symlinked), and the `npm ci --omit=dev` install is real, from the lock
// file, but with scripts off and the native addon the repository already
// compiled for this Node copied in (compiling better-sqlite3 takes ~90 s).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startSimulator } from '../simulator/index.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
// A TypeScript build, an npm install and a server start: beyond the suite's 60 s per file on a busy machine.
t.setTimeout(180_000)

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

function healthcheckOf (stage: Stage): { flags: Record<string, string>, command: string[] } | undefined {
  const instruction = stage.instructions.findLast((i) => i.keyword === 'HEALTHCHECK')
  if (instruction === undefined) return undefined
  const { flags, rest } = splitFlags(instruction.args)
  const match = /^CMD\s+(.*)$/i.exec(rest)
  if (match === null) throw new Error(`Dockerfile line ${instruction.line}: HEALTHCHECK without CMD`)
  return { flags, command: commandOf(match[1] as string) }
}

function stageEnv (stages: Stage[], stage: Stage): Record<string, string> {
  const parent = stages.find((s) => s.name === stage.from)
  const env = parent === undefined ? {} : stageEnv(stages, parent)
  for (const i of stage.instructions) if (i.keyword === 'ENV') Object.assign(env, parseEnv(i.args))
  return env
}

function baseImage (stages: Stage[], stage: Stage): string {
  const parent = stages.find((s) => s.name === stage.from && s.index < stage.index)
  return parent === undefined ? stage.from : baseImage(stages, parent)
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

async function run (argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null, output: string, ms: number }> {
  const started = Date.now()
  const [command = '', ...args] = argv
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c) => { resolve(c) })
  })
  return { code, output, ms: Date.now() - started }
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

const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8')
const stages = parseDockerfile(dockerfile)
const runtime = stages.at(-1) as Stage

t.test('the Dockerfile builds on node:24-slim and runs as a non-root user with a health check and a data volume', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage')
  for (const stage of stages) {
    if (!stages.some((s) => s.name === stage.from && s.index < stage.index)) t.equal(stage.from, 'node:24-slim', `stage ${stage.name} is based on node:24-slim`)
  }
  t.equal(baseImage(stages, runtime), 'node:24-slim', 'the runtime is node:24-slim')

  const user = runtime.instructions.findLast((i) => i.keyword === 'USER')?.args.trim()
  t.ok(user !== undefined, 'the runtime sets USER')
  t.notOk(['root', '0', '0:0', 'root:root'].includes(user ?? 'root'), `USER ${user} is not root`)

  const health = healthcheckOf(runtime)
  t.ok(health, 'the runtime has a HEALTHCHECK')
  t.ok(health?.flags.interval !== undefined && health?.flags.timeout !== undefined, 'with an interval and a timeout')

  const volumes = runtime.instructions.filter((i) => i.keyword === 'VOLUME')
    .flatMap((i) => i.args.trim().startsWith('[') ? JSON.parse(i.args) as string[] : i.args.trim().split(/\s+/))
  t.ok(volumes.includes('/app/data'), 'VOLUME /app/data')

  const env = stageEnv(stages, runtime)
  t.equal(env.HOST, '0.0.0.0', 'listens on every interface in the container')
  t.equal(env.DATABASE_URL, 'sqlite:/app/data/gateway.db', 'the SQLite file is in the volume')
  t.ok(env.PORT, 'PORT is set')

  const toolchain = stages.filter((s) => s !== runtime).flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))
  for (const tool of ['python3', 'make', 'g++']) t.ok(toolchain.some((i) => new RegExp(`\\s${tool.replace('+', '\\+')}(\\s|$)`).test(i.args)), `a build stage installs ${tool} for better-sqlite3`)
  t.notOk(runtime.instructions.some((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args)), 'the runtime stage has no toolchain')

  const modules = runtime.instructions.find((i) => i.keyword === 'COPY' && /\snode_modules|\/app\/node_modules/.test(i.args))
  const from = modules === undefined ? undefined : splitFlags(modules.args).flags.from
  const prodStage = stages.find((s) => s.name === from)
  t.ok(prodStage, 'the runtime copies node_modules from another stage')
  t.ok(prodStage?.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b[^&]*--omit=dev/.test(i.args)), `stage ${from} installs with npm ci --omit=dev`)
})

t.test('.dockerignore keeps local state and secrets out of the context but not what the Dockerfile copies', async (t) => {
  const ignore = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  for (const entry of ['node_modules', 'dist', 'data', '.git', '.env']) t.ok(ignore.includes(entry), `ignores ${entry}`)
  const sources = stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'COPY' && splitFlags(i.args).flags.from === undefined)
    .flatMap((i) => splitFlags(i.args).rest.split(/\s+/).slice(0, -1))
  t.ok(sources.length > 0)
  for (const source of sources) {
    const top = source.replace(/^\.\//, '').split('/')[0] as string
    t.notOk(ignore.some((pattern) => pattern === top || pattern === `${top}/` || pattern === `/${top}`), `${source} is in the build context`)
    t.ok(existsSync(join(ROOT, source)), `${source} exists`)
  }
})

t.test('the Dockerfile\'s build steps produce a runtime that starts, passes its HEALTHCHECK and stops cleanly on SIGTERM', { timeout: 180_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'smm-gateway-dockerfile-'))
  t.teardown(async () => { await rm(work, { recursive: true, force: true }) })
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string, dev?: boolean, hasInstallScript?: boolean }> }
  const dirs = new Map<string, string>()
  const workdirs = new Map<string, string>()
  const timings: string[] = []

  for (const stage of stages) {
    const dir = join(work, stage.name)
    const parent = stages.find((s) => s.name === stage.from && s.index < stage.index)
    if (parent === undefined) await mkdir(dir, { recursive: true })
    else await cp(dirs.get(parent.name) as string, dir, { recursive: true, verbatimSymlinks: true })
    dirs.set(stage.name, dir)
    let workdir = parent === undefined ? '/' : workdirs.get(parent.name) as string
    // The stage's filesystem is `dir` standing for /app: every path it touches must be under it.
    const local = (path: string): string => {
      const absolute = posix.resolve(workdir, path)
      const inside = posix.relative('/app', absolute)
      if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`stage ${stage.name}: ${path} is outside /app`)
      return join(dir, inside)
    }

    for (const instruction of stage.instructions) {
      const where = `stage ${stage.name}, line ${instruction.line}`
      switch (instruction.keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, instruction.args.trim())
          await mkdir(local('.'), { recursive: true })
          break
        case 'COPY': {
          const { flags, rest } = splitFlags(instruction.args)
          const parts = rest.split(/\s+/)
          const dest = parts.pop() as string
          for (const source of parts) {
            const from = flags.from === undefined ? join(ROOT, source) : join(dirs.get(flags.from) ?? '', posix.relative('/app', posix.resolve('/app', source)))
            const target = dest.endsWith('/') ? join(local(dest), source.split('/').at(-1) as string) : local(dest)
            await mkdir(dirname(target), { recursive: true })
            await cp(from, target, { recursive: true, verbatimSymlinks: true })
          }
          break
        }
        case 'RUN':
          for (const step of instruction.args.split('&&').map((s) => s.trim())) {
            if (/^npm ci\b/.test(step) && /--omit=dev/.test(step)) {
              // The real prod install from the lock file; only the native build is borrowed (see the top).
              const scripted = Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.dev !== true && p.hasInstallScript === true)
              for (const [path] of scripted) t.equal(path, 'node_modules/better-sqlite3', `${path}: the only production package with an install script (else teach this test its build)`)
              const result = await run(['npm', 'ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], local('.'))
              timings.push(`npm ci --omit=dev: ${result.ms} ms`)
              t.equal(result.code, 0, `${where}: npm ci --omit=dev`, { output: result.output })
              for (const [path, p] of scripted) {
                const installed = JSON.parse(await readFile(join(ROOT, path, 'package.json'), 'utf8')) as { version: string }
                t.equal(installed.version, p.version, `${path}: the repository's build is the locked version`)
                await cp(join(ROOT, path, 'build'), join(local('.'), path, 'build'), { recursive: true })
              }
              t.notOk(existsSync(join(local('.'), 'node_modules/typescript')), 'no dev dependency is installed')
              t.notOk(existsSync(join(local('.'), 'node_modules/tap')), 'no test runner is installed')
            } else if (/^npm ci\b/.test(step)) {
              await symlink(join(ROOT, 'node_modules'), join(local('.'), 'node_modules'), 'dir')
            } else if (/^npm run build$/.test(step)) {
              const result = await run(['npm', 'run', 'build'], local('.'))
              timings.push(`npm run build: ${result.ms} ms`)
              t.equal(result.code, 0, `${where}: npm run build`, { output: result.output })
            } else if (/^mkdir -p /.test(step)) {
              for (const path of step.split(/\s+/).slice(2)) await mkdir(local(path), { recursive: true })
            } else if (/^(apt-get |rm -rf \/var\/lib\/apt\/lists|chown |npm cache clean)/.test(step)) {
              // System packages, ownership and caches: Docker's business, nothing to reproduce here.
            } else {
              t.fail(`${where}: the Dockerfile test does not know how to run "${step}"; teach it`)
            }
          }
          break
      }
    }
    workdirs.set(stage.name, workdir)
  }

  const app = dirs.get(runtime.name) as string
  const workdir = workdirs.get(runtime.name) as string
  t.ok(existsSync(join(app, 'dist/src/server.js')), 'the runtime has the compiled server')
  t.notOk(existsSync(join(app, 'src')), 'and not the TypeScript sources')

  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })
  const port = await freePort()
  const imageEnv = stageEnv(stages, runtime)
  const toLocal = (value: string): string => value.replace(/(^|:)\/app\//, (_m, p: string) => `${p}${app}/`)
  // The container's environment: only the image's variables (paths under /app mapped) and the overrides.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: work,
    ...Object.fromEntries(Object.entries(imageEnv).map(([k, v]) => [k, toLocal(v)])),
    PORT: String(port),
    PANEL_URL: sim.url,
    PANEL_KEY: sim.key
  }
  t.equal(env.DATABASE_URL, `sqlite:${app}/data/gateway.db`)

  const cmd = commandOf(runtime.instructions.findLast((i) => i.keyword === 'CMD')?.args ?? '[]')
  t.ok(cmd.length > 0, 'the runtime has a CMD')
  const [command = '', ...args] = cmd
  const started = Date.now()
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd: join(app, posix.relative('/app', workdir)), env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })

  let healthy = false
  while (!healthy && Date.now() - started < 30_000 && child.exitCode === null) {
    healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)
    if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(healthy, 'GET /health answers within 30 s', { output })
  timings.push(`start to healthy: ${Date.now() - started} ms`)
  t.ok(existsSync(join(app, 'data/gateway.db')), 'the SQLite file is created in the volume directory')

  const health = healthcheckOf(runtime)
  if (health !== undefined) {
    const check = await run(health.command, app, env)
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
    const down = await run(health.command, app, env)
    t.not(down.code, 0, 'the HEALTHCHECK fails once the server is gone')
  }
  t.comment(timings.join(', '))
})
