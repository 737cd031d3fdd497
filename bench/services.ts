import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cpus } from 'node:os'
import autocannon from 'autocannon'

// `npm run bench`: cached GET /services through the gateway against a bare
// Fastify server answering the same bytes, in the same run. Each target runs
// in its own process; autocannon runs here.
const DURATION = Number(process.env.BENCH_SECONDS ?? '10')
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '50')
const SERVICES = process.env.BENCH_SERVICES ?? '100'

async function start (which: string): Promise<{ child: ChildProcess, url: string, bytes: number, key: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('target.ts', import.meta.url).pathname, which, SERVICES], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
  while (!out.includes('\n')) await once(child.stdout as NodeJS.ReadableStream, 'data')
  const [, url, bytes, key] = out.trim().split(' ')
  return { child, url: url as string, bytes: Number(bytes), key: key as string }
}

async function measure (which: string): Promise<autocannon.Result & { bytes: number }> {
  const target = await start(which)
  try {
    // a short warm-up so the JIT has seen the hot path
    await autocannon({ url: `${target.url}/services`, connections: CONNECTIONS, duration: 2, headers: { authorization: `Bearer ${target.key}` } })
    const result = await autocannon({ url: `${target.url}/services`, connections: CONNECTIONS, duration: DURATION, headers: { authorization: `Bearer ${target.key}` } })
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${which}: ${result.non2xx} non-2xx, ${result.errors} errors`)
    return { ...result, bytes: target.bytes }
  } finally {
    target.child.kill()
  }
}

const bare = await measure('bare')
const gateway = await measure('gateway')
const row = (name: string, r: autocannon.Result): string =>
  `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} |`

process.stdout.write(`
GET /services, cached, ${SERVICES} services (${gateway.bytes} bytes/answer), ${CONNECTIONS} connections, ${DURATION}s each
node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}

| target | req/s | p50 ms | p99 ms |
|---|---|---|---|
${row('bare Fastify, same bytes', bare)}
${row('smm-gateway', gateway)}

gateway / bare throughput: ${(gateway.requests.average / bare.requests.average).toFixed(2)}
`)
