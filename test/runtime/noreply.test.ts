// NOREPLY: a call answered later through its `From` (gen_server's
// {noreply, State} and gen_server:reply/2); the process goes on meanwhile,
// and a caller still unanswered when the process exits is failed as delivered.
import t from 'tap'
import { CallError } from '../../src/runtime/errors.js'
import { type From, NOREPLY } from '../../src/runtime/process.js'
import { Node } from './support.js'

t.setTimeout(10_000)

/** Holds every `hold` call's From until `release`; answers `peek` at once. */
function holder (held: From[]) {
  return () => ({
    handleCall (request: 'hold' | 'peek' | 'release' | 'crash', from: From) {
      if (request === 'peek') return held.length
      if (request === 'crash') throw new Error('crash')
      if (request === 'release') {
        held.splice(0).forEach((caller, i) => caller.reply(i))
        return 'released'
      }
      held.push(from)
      return NOREPLY
    },
  })
}

t.test('noreply_calls_are_answered_later_and_the_mailbox_goes_on', async t => {
  const node = new Node()
  const held: From[] = []
  const pid = await node.start(holder(held))
  const calls = [node.call(pid, 'hold'), node.call(pid, 'hold')]
  t.equal(await node.call(pid, 'peek'), 2, 'the mailbox is not blocked by unanswered callers')
  t.equal(await node.call(pid, 'release'), 'released')
  t.same(await Promise.all(calls), [0, 1])
  t.equal(node.inspect(pid)?.queued, 0)
})

t.test('noreply_callers_are_failed_as_delivered_when_the_process_exits', async t => {
  const node = new Node()
  const held: From[] = []
  const pid = await node.start(holder(held))
  const call = node.call(pid, 'hold')
  t.equal(await node.call(pid, 'peek'), 1)
  await t.rejects(node.call(pid, 'crash'))
  const error = await call.then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof CallError && error.reason === 'exit' && error.delivered, 'delivered: never sent again')
  held[0].reply('late')
  t.ok(held[0].settled, 'a late reply after the exit is dropped')
})
