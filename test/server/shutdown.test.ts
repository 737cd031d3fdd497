import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { get } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startSimulator } from '../../simulator/index.js'
import { ADMIN_TOKEN } from '../helper.js'
import { SERVER, json, startServer } from '../fixtures/server-process.js'
import { until } from '../fixtures/time.js'

// Each test starts gateway processes (node and tsx compiling the app): seconds each on a busy machine.
t.setTimeout(180_000)

/** The status of a GET on a connection of its own, or the socket error's code. */
async function statusOnNewConnection (url: string): Promise<number | string> {
  return await new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
  })
}

t.test('SIGTERM: requests in flight finish, new ones are turned away, the store is closed and keeps everything', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smm-shutdown-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const sim = await startSimulator({ progressMs: 60_000 })
  t.teardown(async () => { await sim.close() })
  const env = { PANEL_URL: sim.url, PANEL_KEY: sim.key, DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}` }

  const first = await startServer(env)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const created = await json(`${first.url}/admin/tenants`, { method: 'POST', key: ADMIN_TOKEN, body: JSON.stringify({ name: 'shutdown', scopes: ['services:read', 'orders:read', 'orders:write', 'balance:read'] }) })
  t.equal(created.status, 201)
  const key: string = created.body.key
  const service = (await json(`${first.url}/services?type=Default`, { key })).body.items[0]

  sim.setLatency(2000)
  const balance = json(`${first.url}/balance`, { key })
  const order = json(`${first.url}/orders`, { method: 'POST', key, headers: { 'idempotency-key': 'shutdown-1' }, body: JSON.stringify({ service: service.id, link: 'https://instagram.com/p/shutdown', quantity: service.min }) })
  await until(() => sim.calls('add') === 1 && sim.calls('balance') === 1, 'both requests to reach the panel')
  const exited = once(first.child, 'exit')
  first.child.kill('SIGTERM')
  // The line is written just before app.close() starts, in the same tick: once it is here, the server is closing.
  await until(() => first.output().includes('"closing"'), 'the server to log that it is closing')

  // On a new connection: a kept-alive one from before is closed under it (idle ones are dropped on close), which says nothing.
  const late = await statusOnNewConnection(`${first.url}/health`)
  t.ok(late === 503 || late === 'ECONNREFUSED' || late === 'ECONNRESET', `a request after SIGTERM is turned away (${String(late)})`)
  t.equal(first.child.exitCode, null, 'still running while requests are in flight')

  const [balanceAnswer, orderAnswer] = await Promise.all([balance, order])
  t.equal(balanceAnswer.status, 200, 'the balance read in flight is answered')
  t.equal(orderAnswer.status, 201, 'the order in flight is placed and answered')
  t.same(await exited, [0, null], 'then the process exits 0', { output: first.output().slice(-3000) })
  t.equal(sim.calls('add'), 1)
  const closing = first.output().split('\n').filter((line) => line.includes('"closing"'))
  t.match(closing[0], /"signal":"SIGTERM"/, 'the shutdown is logged with its signal')

  sim.setLatency(0)
  const second = await startServer(env)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const again = await json(`${second.url}/orders/${orderAnswer.body.id as number}`, { key })
  t.equal(again.status, 200, 'after a restart the key and the order are there')
  const replay = await json(`${second.url}/orders`, { method: 'POST', key, headers: { 'idempotency-key': 'shutdown-1' }, body: JSON.stringify({ service: service.id, link: 'https://instagram.com/p/shutdown', quantity: service.min }) })
  t.same([replay.status, replay.body.id], [201, orderAnswer.body.id], 'and so is the idempotency record')
  t.equal(sim.calls('add'), 1, 'no second order')
  second.child.kill('SIGTERM')
  t.same(await once(second.child, 'exit'), [0, null])
})

t.test('the server without PANEL_URL, or with a bad variable, stops with one line naming it', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /^smm-gateway: PANEL_URL is not set: .*npm run demo/],
    [{ PANEL_URL: 'http://127.0.0.1:1/api/v2' }, /^smm-gateway: PANEL_KEY is not set/],
    [{ PANEL_URL: 'http://127.0.0.1:1/api/v2', PANEL_KEY: 'k', PORT: 'abc' }, /^smm-gateway: PORT must be/]
  ]
  await Promise.all(cases.map(async ([env, message]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    const [code] = await once(child, 'exit')
    t.equal(code, 1, JSON.stringify(env))
    t.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`)
    t.match(stderr, message)
  }))
})
