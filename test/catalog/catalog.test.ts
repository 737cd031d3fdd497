import t from 'tap'
import { Catalog } from '../../src/catalog/catalog.js'
import type { PanelService } from '../../src/upstream/types.js'
import { deferred, fakeClock, fakePanel, flush, service } from '../fixtures/fakes.js'

const TTL = 60_000
const STALE = 300_000
// Catalog's hold after a failed refresh with nothing to serve.
const FAILURE_HOLD = 1000

interface Setup {
  /** What the next panel call answers: a list, or an error to throw. */
  answer: PanelService[] | Error
  calls: number
  reads: string[]
  refreshErrors: Array<[string, boolean]>
}

function setUp (answer: PanelService[] | Error = [service(1), service(2)]) {
  const clock = fakeClock()
  const state: Setup = { answer, calls: 0, reads: [], refreshErrors: [] }
  const panel = fakePanel({
    services: async () => {
      state.calls++
      if (state.answer instanceof Error) throw state.answer
      return state.answer
    }
  })
  const catalog = new Catalog(panel, {
    ttlMs: TTL,
    staleMs: STALE,
    clock,
    onRead: (result) => { state.reads.push(result) },
    onRefreshError: (err, servingStale) => { state.refreshErrors.push([(err as Error).message, servingStale]) }
  })
  return { catalog, clock, state }
}

t.test('the first read fetches the list; reads within the TTL are served from the cache', async (t) => {
  const { catalog, clock, state } = setUp([service(2), service(1, { category: 'Views' }), service(3)])
  const first = await catalog.get()
  t.same(first.services.map((s) => s.id), [1, 2, 3], 'sorted by id')
  t.same(first.categories, [{ name: 'Views', serviceCount: 1 }, { name: 'Likes', serviceCount: 2 }])
  t.equal(first.byId.get(3)?.name, 'Service 3')
  t.equal(first.fetchedAt, clock.now(), 'stamped with the injected clock')
  clock.advance(TTL - 1)
  t.equal(await catalog.get(), first, 'the same snapshot, 1 ms before the TTL')
  t.equal((await catalog.service(2))?.id, 2)
  t.equal(await catalog.service(99), undefined, 'an id not in the list')
  t.equal(state.calls, 1)
  t.same(state.reads, ['miss', 'hit', 'hit', 'hit'])
})

t.test('past the TTL the old snapshot answers at once while one background call refreshes it', async (t) => {
  const { catalog, clock, state } = setUp([service(1)])
  const old = await catalog.get()
  clock.advance(TTL + 1)
  state.answer = [service(1), service(2)]
  const stale = await catalog.get()
  t.equal(stale, old, 'the read did not wait for the panel')
  t.equal(state.reads.at(-1), 'stale')
  await flush()
  const fresh = await catalog.get()
  t.same(fresh.services.map((s) => s.id), [1, 2], 'the refresh landed')
  t.equal(fresh.fetchedAt, clock.now())
  t.equal(state.reads.at(-1), 'hit')
  t.equal(state.calls, 2)
})

t.test('concurrent cold reads make one panel call and share its snapshot (single flight)', async (t) => {
  const answer = deferred<PanelService[]>()
  let calls = 0
  const panel = fakePanel({ services: async () => { calls++; return await answer.promise } })
  const cold = new Catalog(panel, { ttlMs: TTL, staleMs: STALE, clock: fakeClock() })
  const reads = Array.from({ length: 20 }, async () => await cold.get())
  await flush()
  t.equal(calls, 1, 'one call in flight for 20 readers')
  answer.resolve([service(5)])
  const snapshots = await Promise.all(reads)
  t.ok(snapshots.every((s) => s === snapshots[0]), 'every reader got the same snapshot')
  t.same(snapshots[0]?.services.map((s) => s.id), [5])
  await cold.get()
  t.equal(calls, 1, 'and the next read is a hit')
})

t.test('concurrent reads past the TTL make one refresh call', async (t) => {
  const clock = fakeClock()
  let answer = deferred<PanelService[]>()
  let calls = 0
  const catalog = new Catalog(fakePanel({ services: async () => { calls++; return await answer.promise } }), { ttlMs: TTL, staleMs: STALE, clock })
  const warming = catalog.get()
  answer.resolve([service(1)])
  const old = await warming
  answer = deferred()
  clock.advance(TTL + 1)
  const reads = await Promise.all(Array.from({ length: 10 }, async () => await catalog.get()))
  t.ok(reads.every((s) => s === old), 'all ten served the old snapshot')
  t.equal(calls, 2, 'one refresh for ten stale reads')
  answer.resolve([service(1), service(9)])
  await flush()
  t.same((await catalog.get()).services.map((s) => s.id), [1, 9])
  t.equal(calls, 2)
})

t.test('while the panel fails the old snapshot is served until the stale window ends', async (t) => {
  const { catalog, clock, state } = setUp([service(1)])
  const old = await catalog.get()
  state.answer = new Error('panel down')
  clock.advance(TTL + 1)
  t.equal(await catalog.get(), old, 'just past the TTL')
  await flush()
  t.same(state.refreshErrors, [['panel down', true]], 'the failure was reported, with a stale copy to serve')
  clock.advance(STALE - 1) // fetchedAt + TTL + STALE: the last usable moment
  t.equal(await catalog.get(), old, 'at the end of the stale window')
  t.equal(state.reads.at(-1), 'stale')
  await flush()
  t.equal(state.calls, 3, 'each stale read asked the panel again in the background')
})

t.test('past the stale window a failing panel is an error, not the old snapshot', async (t) => {
  const { catalog, clock, state } = setUp([service(1)])
  await catalog.get()
  state.answer = new Error('panel down')
  clock.advance(TTL + STALE + 1)
  await t.rejects(catalog.get(), { message: 'panel down' })
  t.equal(state.calls, 2, 'the read waited for the panel')
  t.same(state.refreshErrors, [['panel down', false]], 'nothing left to serve')
})

t.test('a cold start with a failing panel is an error, and the panel is not asked again for a second', async (t) => {
  const { catalog, clock, state } = setUp(new Error('connection refused'))
  await t.rejects(catalog.get(), { message: 'connection refused' })
  t.equal(state.calls, 1)
  t.same(state.refreshErrors, [['connection refused', false]])
  clock.advance(FAILURE_HOLD - 1)
  await t.rejects(catalog.get(), { message: 'connection refused' }, 'the last error, held')
  t.equal(state.calls, 1, 'no call within the hold')
  clock.advance(1)
  state.answer = [service(4)]
  t.same((await catalog.get()).services.map((s) => s.id), [4], 'after the hold the panel is asked again')
  t.equal(state.calls, 2)
  t.same(state.reads, ['miss'], 'only the answered read counts as a read')
})

t.test('a refresh that succeeds after failed ones replaces the stale snapshot', async (t) => {
  const { catalog, clock, state } = setUp([service(1)])
  await catalog.get()
  state.answer = new Error('flaky')
  clock.advance(TTL + 1)
  await catalog.get()
  await flush()
  state.answer = [service(1), service(2), service(3)]
  await catalog.get()
  await flush()
  const fresh = await catalog.get()
  t.same(fresh.services.map((s) => s.id), [1, 2, 3])
  t.same(state.reads, ['miss', 'stale', 'stale', 'hit'])
  t.same(state.refreshErrors, [['flaky', true]])
})

t.test('the snapshot ETag follows the content: same list in any order, same tag; any change, a new tag', async (t) => {
  const { catalog, clock, state } = setUp([service(1), service(2)])
  const first = await catalog.get()
  t.match(first.etag, /^"[A-Za-z0-9_-]{27}"$/, 'a quoted strong tag')
  const refresh = async (answer: PanelService[]): Promise<string> => {
    state.answer = answer
    clock.advance(TTL + 1)
    await catalog.get()
    await flush()
    return (await catalog.get()).etag
  }
  t.equal(await refresh([service(2), service(1)]), first.etag, 'reordered, same content')
  const repriced = await refresh([service(1), service(2, { rate: '2.5' })])
  t.not(repriced, first.etag, 'a changed rate')
  const added = await refresh([service(1), service(2, { rate: '2.5' }), service(3)])
  t.not(added, repriced, 'an added service')
  t.not(added, first.etag)
  t.equal(await refresh([service(1), service(2)]), first.etag, 'back to the first list, back to its tag')
})

t.test('clear drops the snapshot: the next read fetches', async (t) => {
  const { catalog, state } = setUp([service(1)])
  await catalog.get()
  catalog.clear()
  state.answer = [service(8)]
  t.same((await catalog.get()).services.map((s) => s.id), [8])
  t.equal(state.calls, 2)
})
