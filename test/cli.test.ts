import { execFile } from 'node:child_process'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startSimulator } from '../simulator/index.js'
import { openStore } from '../src/store/open.js'
import { runCli, type CliResult } from './fixtures/cli-run.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CLI = join(ROOT, 'src/cli.ts')

async function cli (databaseUrl: string, ...args: string[]): Promise<CliResult> {
  return await runCli(args, { ...process.env, DATABASE_URL: databaseUrl })
}

t.test('the installed binary runs the CLI: through a symlink, as npm link and bin shims start it, with its exit code and messages', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-cli-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const bin = join(dir, 'smm-gateway')
  await symlink(CLI, bin)
  const result = await new Promise<{ stdout: string, stderr: string, code: number | null }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', bin, 'keys', 'revoke', '999'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}` }
    }, (_err, stdout, stderr) => { resolve({ stdout, stderr, code: child.exitCode }) })
  })
  t.same(result, { stdout: '', stderr: 'smm-gateway: Key 999 does not exist\n', code: 1 })
})

t.test('the CLI manages tenants and keys in the store a gateway uses', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-cli-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const db = `sqlite:${join(dir, 'gateway.db')}`

  const created = await cli(db, 'tenants', 'create', '--name', 'ops', '--scopes', 'services:read,orders:read', '--daily-budget', '5.00', '--services', '1,2')
  t.equal(created.code, 0, created.stderr)
  const { tenant, key, keyId } = JSON.parse(created.stdout)
  t.match(tenant, { name: 'ops', scopes: ['services:read', 'orders:read'], dailyBudget: '5', allowedServices: { ids: [1, 2], categories: [] } })
  t.match(key, /^sgw_/)

  const issued = JSON.parse((await cli(db, 'keys', 'issue', String(tenant.id))).stdout)
  const listed = JSON.parse((await cli(db, 'keys', 'list', String(tenant.id))).stdout)
  t.same(listed.map((k: { id: number }) => k.id), [keyId, issued.id])
  t.notOk(JSON.stringify(listed).includes(key), 'no secrets listed')
  t.equal(JSON.parse((await cli(db, 'tenants', 'list')).stdout).length, 1)

  const revoked = JSON.parse((await cli(db, 'keys', 'revoke', String(keyId))).stdout)
  t.type(revoked.revokedAt, 'string')

  const sim = await startSimulator()
  t.teardown(async () => { await sim.close() })
  const app = await buildApp(loadConfig({ PANEL_URL: sim.url, PANEL_KEY: sim.key, DATABASE_URL: db, LOG_LEVEL: 'silent' }))
  t.teardown(async () => { await app.close() })
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${key as string}` } })).statusCode, 401, 'revoked by the CLI')
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${issued.key as string}` } })).statusCode, 200, 'issued by the CLI')

  t.equal((await cli(db, 'tenants', 'disable', String(tenant.id))).code, 0)
})

t.test('the CLI says what is wrong and exits non-zero', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-cli-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const db = `sqlite:${join(dir, 'gateway.db')}`
  const bad = await cli(db, 'tenants', 'create', '--name', 'x', '--scopes', 'root')
  t.equal(bad.code, 1)
  t.match(bad.stderr, /invalid tenant/)
  for (const budget of ['--daily-budget=-1', '--monthly-budget=99999999999999999999.99', '--daily-budget=0.000000001']) {
    const refused = await cli(db, 'tenants', 'create', '--name', 'x', budget)
    t.equal(refused.code, 1, budget)
    t.match(refused.stderr, /^smm-gateway: invalid tenant: \/(daily|monthly)Budget/, budget)
  }
  t.same(JSON.parse((await cli(db, 'tenants', 'list')).stdout), [], 'nothing was stored')
  const missing = await cli(db, 'keys', 'revoke', '999')
  t.equal(missing.code, 1)
  t.match(missing.stderr, /Key 999 does not exist/)
  t.match((await cli(db, 'nonsense')).stderr, /unknown command/)
  t.match((await cli(db)).stdout, /tenants create/, 'usage without arguments')
})

t.test('the CLI lists unknown orders and resolves them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-cli-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const db = `sqlite:${join(dir, 'gateway.db')}`
  const store = await openStore({ url: db })
  const tenant = await store.createTenant({ name: 'ops', scopes: ['orders:read'] })
  const lost = []
  for (let i = 0; i < 2; i++) {
    const r = await store.reserveOrder({ tenantId: tenant.id, panel: 'p', service: 1, request: { link: `https://a.b/${i}` }, quantity: 10, estimatedCharge: '1', dailyBudget: null, monthlyBudget: null })
    if (!r.ok) throw new Error('not reserved')
    await store.markSending(r.localId)
    await store.markUnknown(r.localId)
    lost.push(r.id)
  }
  await store.close()

  const listed = JSON.parse((await cli(db, 'orders', 'unknown')).stdout)
  t.same(listed.map((o: { id: number }) => o.id).sort(), [...lost].sort())
  t.match(listed[0], { state: 'unknown', tenantId: tenant.id, request: { link: /^https:\/\/a\.b\// } })
  t.match(JSON.parse((await cli(db, 'orders', 'resolve', String(lost[0]), '--panel-order', '23501')).stdout), { id: lost[0], state: 'placed', panelOrderId: 23501 })
  t.match(JSON.parse((await cli(db, 'orders', 'resolve', String(lost[1]), '--not-placed')).stdout), { id: lost[1], state: 'failed' })
  t.same(JSON.parse((await cli(db, 'orders', 'unknown')).stdout), [])
  const neither = await cli(db, 'orders', 'resolve', String(lost[1]))
  t.equal(neither.code, 1)
  t.match(neither.stderr, /--panel-order PANEL_ORDER_ID or --not-placed/)
  const again = await cli(db, 'orders', 'resolve', String(lost[1]), '--not-placed')
  t.equal(again.code, 1)
  t.match(again.stderr, /only unknown outcomes are resolved/)
})
