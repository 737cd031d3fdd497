import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import t from 'tap'
import { isStoreUnavailable } from '../../src/store/errors.js'

t.test('isStoreUnavailable: outages and timeouts of either driver, through cause chains', async (t) => {
  const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code })
  const cases: Array<[string, unknown]> = [
    ['a reset', coded('ECONNRESET')],
    ['a refused connect', coded('ECONNREFUSED')],
    ['dual-stack connect failures', new AggregateError([coded('ECONNREFUSED')], 'connect failed')],
    ['pg: lost mid-query', new Error('Connection terminated unexpectedly')],
    ['pg: connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pg-pool: no free client in time', new Error('timeout exceeded when trying to connect')],
    ['pg: query_timeout', new Error('Query read timeout')],
    ['PostgreSQL: statement_timeout', coded('57014', 'canceling statement due to statement timeout')],
    ['PostgreSQL: admin shutdown', coded('57P01', 'terminating connection due to administrator command')],
    ['PostgreSQL: starting up', coded('57P03', 'the database system is starting up')],
    ['PostgreSQL: too many connections', coded('53300')],
    ['PostgreSQL: connection exception', coded('08006')],
    ['PostgreSQL: serialization failure', coded('40001')],
    ['SQLite: busy', coded('SQLITE_BUSY')],
    ['SQLite: busy snapshot', coded('SQLITE_BUSY_SNAPSHOT')],
    ['wrapped twice', new Error('outer', { cause: new Error('middle', { cause: coded('ECONNRESET') }) })]
  ]
  for (const [name, err] of cases) t.ok(isStoreUnavailable(err), name)

  const cyclic: Error & { cause?: unknown } = new Error('cycle')
  cyclic.cause = cyclic
  const others: Array<[string, unknown]> = [
    ['a unique violation', coded('23505', 'duplicate key value')],
    ['a syntax error', coded('42601')],
    ['SQLite: constraint', coded('SQLITE_CONSTRAINT_UNIQUE')],
    ['a plain bug', new TypeError('x is undefined')],
    ['a cycle of causes', cyclic],
    ['not an error', 'ECONNRESET'],
    ['nothing', undefined]
  ]
  for (const [name, err] of others) t.notOk(isStoreUnavailable(err), name)
})

t.test('isStoreUnavailable recognises what the drivers really raise', async (t) => {
  const client = new pg.Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 })
  const refused = await client.connect().then(() => undefined, (err: unknown) => err)
  t.ok(isStoreUnavailable(refused), 'pg connecting to a closed port')

  const dir = mkdtempSync(join(tmpdir(), 'smm-busy-'))
  const one = new BetterSqlite3(join(dir, 'busy.db'))
  const two = new BetterSqlite3(join(dir, 'busy.db'), { timeout: 0 })
  t.teardown(() => { one.close(); two.close(); rmSync(dir, { recursive: true, force: true }) })
  one.exec('create table x (a); begin immediate')
  let busy: unknown
  try { two.exec('begin immediate') } catch (err) { busy = err }
  t.ok(isStoreUnavailable(busy), 'SQLite locked by another connection')
})
