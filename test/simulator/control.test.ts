import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { request } from 'undici'
import { call, control, panel, send, simulator } from './helper.js'

const LINK = 'https://instagram.com/p/Cx1'

t.test('calls() counts every POST /api/v2 per action, faults and unknown actions included', async (t) => {
  const sim = await simulator(t)
  await panel(sim, { action: 'balance' })
  await panel(sim, { action: 'balance', key: 'wrong' })
  await panel(sim, { action: 'services' })
  await panel(sim, { action: 'frobnicate' })
  await send(sim, { body: `key=${sim.key}` })
  sim.setFault('server-error', { times: 1 })
  await call(sim, { action: 'status', order: 1 })
  t.equal(sim.calls(), 6)
  t.equal(sim.calls('balance'), 2)
  t.equal(sim.calls('services'), 1)
  t.equal(sim.calls('frobnicate'), 1)
  t.equal(sim.calls('unknown'), 1)
  t.equal(sim.calls('status'), 1)
  t.equal(sim.calls('add'), 0)
  sim.resetCalls()
  t.equal(sim.calls(), 0)
  t.equal(sim.calls('balance'), 0)
  t.same(sim.callLog(), [])
})

t.test('callLog() keeps each call\'s fields without the key', async (t) => {
  const sim = await simulator(t, { key: 'k3y+SECRET/=&%abc' })
  const before = Date.now()
  await panel(sim, { key: sim.key, action: 'add', service: 1, link: LINK, quantity: 100, comments: 'a\nb 👍' })
  await panel(sim, { key: 'a-wrong-key', action: 'balance' })
  const log = sim.callLog()
  t.same(log.map((c) => c.action), ['add', 'balance'])
  t.same(log[0]?.fields, { action: 'add', service: '1', link: LINK, quantity: '100', comments: 'a\nb 👍' })
  t.ok((log[0]?.at ?? 0) >= before, 'a timestamp')
  t.notOk(JSON.stringify(log).includes(sim.key), 'the key never appears')
  t.notOk(JSON.stringify(log).includes('a-wrong-key'), 'a wrong key neither')
  log[0]!.fields.link = 'changed'
  t.equal(sim.callLog()[0]?.fields.link, LINK, 'a copy')
})

t.test('POST /_sim/fault sets and clears a fault with times and actions', async (t) => {
  const sim = await simulator(t)
  const set = await control(sim, 'POST', '/_sim/fault', { fault: 'rate-limit', times: 1, actions: ['balance'] })
  t.equal(set.status, 200)
  t.same(set.json(), { fault: 'rate-limit', times: 1, actions: ['balance'] })
  t.same(await panel(sim, { action: 'services' }).then((s: unknown[]) => Array.isArray(s)), true)
  t.equal((await call(sim, { action: 'balance' })).status, 429)
  t.equal((await call(sim, { action: 'balance' })).status, 200)
  await control(sim, 'POST', '/_sim/fault', { fault: 'html' })
  t.equal((await call(sim, { action: 'balance' })).headers['content-type'], 'text/html; charset=UTF-8')
  t.same((await control(sim, 'POST', '/_sim/fault', { fault: null })).json(), { fault: null, times: null, actions: null })
  t.equal((await call(sim, { action: 'balance' })).headers['content-type'], 'application/json')
  for (const body of [{ fault: 'explode' }, { fault: 'html', times: 0 }, { fault: 'html', times: 'x' }, { fault: 'html', actions: 'add' }, [1]]) {
    const res = await control(sim, 'POST', '/_sim/fault', body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.type(res.json().error, 'string')
  }
  const broken = await send(sim, { path: '/_sim/fault', body: '{"fault":', contentType: 'application/json' })
  t.same([broken.status, broken.json()], [400, { error: 'invalid JSON' }])
})

t.test('GET /_sim/calls and POST /_sim/reset report and clear counts and faults', async (t) => {
  const sim = await simulator(t)
  await panel(sim, { action: 'balance' })
  await panel(sim, { action: 'services' })
  await panel(sim, { action: 'balance' })
  const calls = await control(sim, 'GET', '/_sim/calls')
  t.equal(calls.headers['content-type'], 'application/json')
  t.same(calls.json(), { total: 3, byAction: { balance: 2, services: 1 } })
  sim.setFault('empty')
  t.same((await control(sim, 'POST', '/_sim/reset')).json(), { reset: true })
  t.same((await control(sim, 'GET', '/_sim/calls')).json(), { total: 0, byAction: {} }, 'control routes are not counted')
  t.same(await panel(sim, { action: 'balance' }), { balance: '1000.00000', currency: 'USD' }, 'fault cleared')
})

t.test('POST /_sim/latency changes the latency', async (t) => {
  const sim = await simulator(t)
  t.same((await control(sim, 'POST', '/_sim/latency', { ms: 100 })).json(), { ms: 100 })
  const started = Date.now()
  await panel(sim, { action: 'balance' })
  t.ok(Date.now() - started >= 90)
  t.equal((await control(sim, 'POST', '/_sim/latency', { ms: -5 })).status, 400)
  t.equal((await control(sim, 'POST', '/_sim/latency', {})).status, 400)
})

t.test('POST /_sim/orders/:id/status pins an order; GET /_sim/orders/:id shows it', async (t) => {
  const sim = await simulator(t)
  const { order } = await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 1000 })
  const res = await control(sim, 'POST', `/_sim/orders/${order as number}/status`, { status: 'Partial', remains: 100, startCount: 5 })
  t.equal(res.status, 200)
  t.match(res.json(), { id: order, status: 'Partial', remains: 100, startCount: 5, charge: '0.81000', pinned: true })
  t.same(await panel(sim, { action: 'status', order }), { charge: '0.81000', start_count: '5', status: 'Partial', remains: '100', currency: 'USD' })
  t.match((await control(sim, 'GET', `/_sim/orders/${order as number}`)).json(), { id: order, service: 1, link: LINK, quantity: 1000, initialCharge: '0.90000' })
  t.equal((await control(sim, 'GET', '/_sim/orders/1')).status, 404)
  t.equal((await control(sim, 'POST', '/_sim/orders/1/status', { status: 'Completed' })).status, 404)
  t.equal((await control(sim, 'POST', `/_sim/orders/${order as number}/status`, { status: 'Done' })).status, 400)
  t.equal((await control(sim, 'POST', `/_sim/orders/${order as number}/status`, { status: 'Partial', remains: '3' })).status, 400)
})

t.test('POST /_sim/balance and /_sim/quirks change the account and the panel variant', async (t) => {
  const sim = await simulator(t)
  t.same((await control(sim, 'POST', '/_sim/balance', { balance: '5.5' })).json(), { balance: '5.5' })
  t.same(await panel(sim, { action: 'balance' }), { balance: '5.50000', currency: 'USD' })
  t.equal((await control(sim, 'POST', '/_sim/balance', { balance: 'rich' })).status, 400)
  t.equal((await control(sim, 'POST', '/_sim/quirks', { dollarMoney: true })).status, 200)
  t.same(await panel(sim, { action: 'balance' }), { balance: '$5.50000', currency: 'USD' })
  t.equal((await control(sim, 'POST', '/_sim/quirks', { servicesShape: 'tree' })).status, 400)
  t.equal((await control(sim, 'POST', '/_sim/quirks', { colour: true })).status, 400)
})

t.test('unknown control routes answer 404, wrong methods 405', async (t) => {
  const sim = await simulator(t)
  t.equal((await control(sim, 'GET', '/_sim/nothing')).status, 404)
  t.equal((await control(sim, 'POST', '/_sim/calls', {})).status, 405)
  t.equal((await control(sim, 'GET', '/_sim/fault')).status, 405)
})

t.test('npm run simulator: main.ts reads SIM_* variables, prints its URL and stops on SIGTERM', async (t) => {
  const main = fileURLToPath(new URL('../../simulator/main.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, SIM_PORT: '0', SIM_KEY: 'standalone-key', SIM_SERVICES: '250', SIM_PROGRESS_MS: '0' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), 8000)
  t.teardown(() => { clearTimeout(killer); child.kill('SIGKILL') })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /(http:\/\/127\.0\.0\.1:\d+\/api\/v2)/.exec(out)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', () => reject(new Error(`exited early: ${out}`)))
  })
  const post = async (form: Record<string, string>): Promise<any> => {
    const res = await request(url, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    return await res.body.json()
  }
  t.equal((await post({ key: 'standalone-key', action: 'services' })).length, 250)
  const { order } = await post({ key: 'standalone-key', action: 'add', service: '1', link: LINK, quantity: '100' })
  t.match(await post({ key: 'standalone-key', action: 'status', order: String(order) }), { status: 'Completed' }, 'SIM_PROGRESS_MS=0')
  const origin = new URL(url).origin
  const calls = await request(`${origin}/_sim/calls`)
  t.same(await calls.body.json(), { total: 3, byAction: { services: 1, add: 1, status: 1 } })
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'clean exit')
})

t.test('main.ts refuses a bad SIM_PORT with one clear line', async (t) => {
  const main = fileURLToPath(new URL('../../simulator/main.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env: { ...process.env, SIM_PORT: 'eighty' }, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(err, /SIM_PORT must be an integer/)
})
