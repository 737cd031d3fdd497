import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { request } from 'undici'
import { FAULTS, type Fault } from '../../simulator/index.js'
import { call, panel, send, simulator, type Answer } from './helper.js'

const LINK = 'https://instagram.com/p/Cx1'

// What a client sees for each answering fault.
const ANSWERS: Array<[Fault, (t: Tap, res: Answer) => void]> = [
  ['html', (t, res) => {
    t.equal(res.status, 200)
    t.equal(res.headers['content-type'], 'text/html; charset=UTF-8')
    t.match(res.text, /<title>Just a moment\.\.\.<\/title>/)
    t.equal(res.headers.server, 'cloudflare')
  }],
  ['html-503', (t, res) => {
    t.equal(res.status, 503)
    t.match(res.headers['content-type'], /^text\/html/)
    t.match(res.text, /^<!DOCTYPE html>/)
  }],
  ['empty', (t, res) => {
    t.equal(res.status, 200)
    t.equal(res.text, '')
  }],
  ['malformed', (t, res) => {
    t.equal(res.status, 200)
    t.equal(res.headers['content-type'], 'application/json')
    t.ok(res.text.startsWith('{'))
    t.throws(() => JSON.parse(res.text), SyntaxError)
  }],
  ['rate-limit', (t, res) => {
    t.equal(res.status, 429)
    t.equal(res.headers['retry-after'], '1')
    t.equal(res.headers['x-ratelimit-limit'], '60')
    t.equal(res.headers['x-ratelimit-remaining'], '0')
    t.match(res.headers['x-ratelimit-reset'], /^\d+$/)
    t.same(res.json(), { error: 'Too many requests' })
  }],
  ['server-error', (t, res) => {
    t.equal(res.status, 500)
    t.match(res.headers['content-type'], /^text\/plain/)
    t.equal(res.text, 'Internal Server Error')
  }],
  ['bad-gateway', (t, res) => {
    t.equal(res.status, 502)
    t.match(res.headers['content-type'], /^text\/html/)
    t.match(res.text, /502 Bad Gateway/)
  }],
  ['wrong-key', (t, res) => {
    t.equal(res.status, 200)
    t.equal(res.headers['content-type'], 'application/json')
    t.same(res.json(), { error: 'Invalid API key' })
  }],
  ['redirect', (t, res) => {
    t.equal(res.status, 302)
    t.equal(res.headers.location, '/login')
    t.match(res.headers['content-type'], /^text\/html/)
  }]
]
type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

t.test('FAULTS lists every fault the tests cover', async (t) => {
  t.same([...FAULTS].sort(), [...ANSWERS.map(([f]) => f), 'reset', 'reset-after', 'hang'].sort())
})

for (const [fault, check] of ANSWERS) {
  t.test(`fault "${fault}" answers as a misbehaving panel does, and the action does not run`, async (t) => {
    const sim = await simulator(t)
    sim.setFault(fault)
    const calls: Array<Record<string, string | number>> = [{ action: 'balance' }, { action: 'add', service: 1, link: LINK, quantity: 100 }, { action: 'nope' }]
    for (const fields of calls) {
      check(t, await call(sim, fields))
    }
    t.equal(sim.order(23501), undefined, 'no order was placed')
    t.equal(sim.calls(), 3, 'faulted calls are counted')
    sim.setFault(null)
    t.same(await panel(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), { order: 23501 }, 'cleared')
  })
}

t.test('fault "redirect" leads to an HTML login page', async (t) => {
  const sim = await simulator(t)
  sim.setFault('redirect')
  const res = await fetch(sim.url, { method: 'POST', body: new URLSearchParams({ key: sim.key, action: 'balance' }) })
  t.equal(res.status, 200)
  t.equal(res.url, `${sim.origin}/login`)
  t.match(res.headers.get('content-type'), /^text\/html/)
  t.match(await res.text(), /<form/)
})

t.test('fault "reset" drops the connection: the client gets ECONNRESET', async (t) => {
  const sim = await simulator(t)
  sim.setFault('reset')
  await t.rejects(call(sim, { action: 'balance' }), { code: 'ECONNRESET' })
  await t.rejects(call(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), { code: 'ECONNRESET' })
  t.equal(sim.order(23501), undefined)
  t.equal(sim.calls(), 2)
})

t.test('fault "reset-after" carries the call out, then drops the connection: the order exists, its answer is lost', async (t) => {
  const sim = await simulator(t)
  sim.setFault('reset-after', { times: 1 })
  await t.rejects(call(sim, { action: 'add', service: 1, link: LINK, quantity: 100 }), { code: 'ECONNRESET' })
  t.match(sim.order(23501), { link: LINK, quantity: 100 }, 'the panel placed it')
  t.equal(sim.calls('add'), 1)
})

t.test('fault "hang" never answers: the client\'s own timeout cuts it', async (t) => {
  const sim = await simulator(t)
  sim.setFault('hang')
  const started = Date.now()
  await t.rejects(call(sim, { action: 'balance' }, { headersTimeout: 150 }), { code: 'UND_ERR_HEADERS_TIMEOUT' })
  t.ok(Date.now() - started >= 140, 'waited for the timeout')
  t.equal(sim.calls('balance'), 1)
})

t.test('close() ends hanging requests at once', async (t) => {
  const sim = await simulator(t)
  sim.setFault('hang')
  const pending = call(sim, { action: 'balance' })
  const settled = pending.then(() => 'answered', (err: { code?: string }) => err.code)
  while (sim.calls() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const started = Date.now()
  await sim.close()
  t.ok(Date.now() - started < 500, 'close did not wait for the hanging request')
  t.equal(await settled, 'UND_ERR_SOCKET', 'the client saw the socket close')
  await sim.close()
  t.pass('close twice is fine')
})

t.test('a process with a hanging request exits by itself once the simulator is closed', async (t) => {
  const index = fileURLToPath(new URL('../../simulator/index.ts', import.meta.url))
  const code = `
    import { startSimulator } from ${JSON.stringify(index)}
    const sim = await startSimulator({ latencyMs: 10 })
    sim.setFault('hang', { actions: ['balance'] })
    const body = new URLSearchParams({ key: sim.key, action: 'balance' })
    fetch(sim.url, { method: 'POST', body }).catch(() => {})
    fetch(sim.url, { method: 'POST', body: new URLSearchParams({ key: sim.key, action: 'services' }) }).catch(() => {})
    setTimeout(() => { sim.close().then(() => console.log('closed')) }, 100)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 8000)
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(killer)
  t.equal(exitCode, 0, 'exited on its own, not killed')
  t.equal(out.trim(), 'closed')
})

t.test('times applies a fault to the next N matching calls only', async (t) => {
  const sim = await simulator(t)
  sim.setFault('server-error', { times: 2 })
  t.equal((await call(sim, { action: 'balance' })).status, 500)
  t.equal((await call(sim, { action: 'services' })).status, 500)
  t.equal((await call(sim, { action: 'balance' })).status, 200)
  t.equal((await call(sim, { action: 'balance' })).status, 200)
})

t.test('actions limits a fault to those actions; other calls do not use up times', async (t) => {
  const sim = await simulator(t)
  sim.setFault('html', { actions: ['add', 'status'], times: 2 })
  t.same(await panel(sim, { action: 'balance' }), { balance: '1000.00000', currency: 'USD' })
  t.match((await call(sim, { action: 'add', service: 1, link: LINK, quantity: 100 })).text, /Just a moment/)
  t.ok(Array.isArray(await panel(sim, { action: 'services' })), 'services not hit')
  t.match((await call(sim, { action: 'status', order: 1 })).text, /Just a moment/)
  t.same(await panel(sim, { action: 'status', order: 1 }), { error: 'Incorrect order ID' }, 'used up')
  sim.setFault('wrong-key', { actions: ['unknown'] })
  t.same((await send(sim, { body: `key=${sim.key}` })).json(), { error: 'Invalid API key' }, '"unknown" names calls without an action')
  t.same(await panel(sim, { action: 'balance' }), { balance: '1000.00000', currency: 'USD' })
})

t.test('setFault refuses unknown faults and bad options', async (t) => {
  const sim = await simulator(t)
  t.throws(() => sim.setFault('explode' as Fault), RangeError)
  t.throws(() => sim.setFault('html', { times: 0 }), RangeError)
  t.throws(() => sim.setFault('html', { times: 1.5 }), RangeError)
  t.throws(() => sim.setFault('html', { actions: 'add' as unknown as string[] }), RangeError)
  t.same(await panel(sim, { action: 'balance' }), { balance: '1000.00000', currency: 'USD' }, 'no fault set')
})

t.test('latency delays every answer, faults included, and can change at run time', async (t) => {
  const sim = await simulator(t, { latencyMs: 120 })
  let started = Date.now()
  await panel(sim, { action: 'balance' })
  t.ok(Date.now() - started >= 110, 'latency from the options')
  sim.setLatency(0)
  started = Date.now()
  await panel(sim, { action: 'balance' })
  t.ok(Date.now() - started < 100, 'latency off')
  sim.setLatency(80)
  sim.setFault('rate-limit')
  started = Date.now()
  t.equal((await call(sim, { action: 'balance' })).status, 429)
  t.ok(Date.now() - started >= 70, 'faults wait too')
  t.throws(() => sim.setLatency(-1), RangeError)
})

t.test('latency does not hold the simulator open on close', async (t) => {
  const sim = await simulator(t, { latencyMs: 10_000 })
  const pending = request(sim.url, { method: 'POST', body: `key=${sim.key}&action=balance`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  const settled = pending.then(() => 'answered', () => 'failed')
  while (sim.calls() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const started = Date.now()
  await sim.close()
  t.ok(Date.now() - started < 500)
  t.equal(await settled, 'failed')
})
