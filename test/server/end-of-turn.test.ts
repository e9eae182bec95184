/** Responses written at the end of the event loop's turn (src/end-of-turn.ts): together, in order, none lost, errors answered. */
import Fastify from 'fastify'
import t from 'tap'
import { EndOfTurn } from '../../src/end-of-turn.js'

const nextTurn = (): Promise<void> => new Promise(resolve => setImmediate(resolve))
/** A bound no test step comes near: the order within a turn is what these tests look at. */
const LONG_WAIT = 10_000

t.test('what_a_turn_defers_runs_after_its_microtasks_all_together_and_in_order', async t => {
  const turn = new EndOfTurn(LONG_WAIT)
  const ran: string[] = []
  turn.defer(() => ran.push('first'))
  await Promise.resolve()
  turn.defer(() => ran.push('second'))
  await Promise.resolve()
  t.same(ran, [], 'nothing runs while the turn still has microtasks')
  await nextTurn()
  t.same(ran, ['first', 'second'], 'both at the end of the turn, in the order deferred')
})

t.test('what_is_deferred_while_the_due_ones_run_waits_for_the_next_turn_and_is_not_lost', async t => {
  const turn = new EndOfTurn(LONG_WAIT)
  const ran: string[] = []
  turn.defer(() => {
    ran.push('first')
    turn.defer(() => ran.push('deferred by the first'))
  })
  await nextTurn()
  t.same(ran, ['first'])
  await nextTurn()
  t.same(ran, ['first', 'deferred by the first'])
})

t.test('a_turn_of_slow_requests_sends_what_waited_past_the_bound_at_once', async t => {
  const maxWait = 2
  const turn = new EndOfTurn(maxWait)
  const ran: string[] = []
  turn.defer(() => ran.push('first'))
  // A slow request (a large batch) handled in the same turn: work, not a wait for an event.
  const busyUntil = performance.now() + maxWait + 1
  while (performance.now() < busyUntil);
  turn.defer(() => ran.push('second'))
  t.same(ran, ['first', 'second'], 'both sent in the second one\'s turn of work, without waiting for the end of the turn')
  turn.defer(() => ran.push('third'))
  t.same(ran, ['first', 'second'], 'the bound counts again from the next one deferred')
  await nextTurn()
  t.same(ran, ['first', 'second', 'third'])
})

t.test('a_response_that_fails_to_write_is_answered_by_the_error_handler_and_its_turn_s_others_go_out', async t => {
  const app = Fastify()
  app.addHook('onSend', new EndOfTurn(LONG_WAIT).onSend())
  // Node refuses the header as the response is written: inside the deferred write, which must not throw out of the turn.
  app.get('/bad', async (_request, reply) => {
    reply.header('x-bad', 'line\nbreak')
    return { ok: true }
  })
  app.get('/good', async () => ({ ok: true }))
  t.teardown(() => app.close())
  const [bad, good, missing] = await Promise.all([app.inject('/bad'), app.inject('/good'), app.inject('/nowhere')])
  t.equal(bad.statusCode, 500)
  t.match(bad.json(), { code: 'ERR_INVALID_CHAR' })
  t.equal(good.statusCode, 200)
  t.same(good.json(), { ok: true })
  t.equal(missing.statusCode, 404, 'a not-found answer goes out too')
})
