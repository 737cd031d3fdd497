import t from 'tap'
import { GatewayError } from '../../src/problems/errors.js'
import { Capabilities } from '../../src/upstream/capabilities.js'

function clocked () {
  const clock = { now: 0 }
  const lines: string[] = []
  const caps = new Capabilities({ relearnMs: 1000, now: () => clock.now, logger: { info: (_obj, msg) => { lines.push(msg ?? '') } } })
  return { caps, clock, lines }
}

t.test('nothing is assumed: multi forms are unknown until the panel shows them', async (t) => {
  const { caps } = clocked()
  t.equal(caps.multi('status'), undefined)
  t.same(caps.snapshot(), { multi: { status: null, refill: null, refill_status: null }, unsupported: [] })
  caps.learnMulti('status', true)
  t.equal(caps.multi('status'), true)
})

t.test('a panel without multi forms is remembered, logged once, and asked again after relearnMs', async (t) => {
  const { caps, clock, lines } = clocked()
  caps.learnMulti('refill', false)
  caps.learnMulti('refill', false)
  t.equal(caps.multi('refill'), false)
  t.equal(lines.length, 1, 'one log line for what was learned')
  t.match(lines[0], /per id/)
  clock.now = 999
  t.equal(caps.multi('refill'), false)
  clock.now = 1000
  t.equal(caps.multi('refill'), undefined, 'a panel can be upgraded: it is asked again')
})

t.test('an action the panel lacks is named, remembered, and answered without asking until relearnMs', async (t) => {
  const { caps, clock } = clocked()
  t.doesNotThrow(() => caps.assertOffered('cancel'))
  const named = caps.learnFrom('refill_status', new GatewayError('upstream_action_unsupported', 'The panel does not offer this action: This action is Invalid'))
  t.ok(named instanceof GatewayError)
  t.match((named as GatewayError).message, /does not offer the refill status action .*This action is Invalid/)
  t.throws(() => caps.assertOffered('refill_status'), { code: 'upstream_action_unsupported' })
  t.doesNotThrow(() => caps.assertOffered('refill'), 'other actions are not affected')
  t.same(caps.snapshot().unsupported, ['refill_status'])
  clock.now = 1000
  t.doesNotThrow(() => caps.assertOffered('refill_status'))
  t.same(caps.snapshot().unsupported, [])
})

t.test('other errors pass through untouched and teach nothing', async (t) => {
  const { caps } = clocked()
  const refusal = new GatewayError('not_found', 'Incorrect order ID')
  t.equal(caps.learnFrom('status', refusal), refusal)
  const bug = new TypeError('bug')
  t.equal(caps.learnFrom('status', bug), bug)
  t.doesNotThrow(() => caps.assertOffered('status'))
})
