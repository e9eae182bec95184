// POSTPONE: a postponed call waits in the mailbox and is retried, in order,
// after the next message that is not postponed (gen_statem's postpone).
import t from 'tap'
import { POSTPONE } from '../../src/runtime/process.js'
import { Node } from './support.js'

t.setTimeout(10_000)

/** A handler that postpones writes until it is told it is `ready`. */
function waitsForReady (written: number[]) {
  let ready = false
  return () => ({
    handleCall (request: { write: number } | 'peek' | 'crash') {
      if (request === 'peek') return written.slice()
      if (request === 'crash') throw new Error('crash')
      if (!ready) return POSTPONE
      written.push(request.write)
      return 'ok'
    },
    handleInfo (message: string) { if (message === 'ready') ready = true },
  })
}

t.test('postponed_calls_are_retried_in_order_after_the_next_message', async t => {
  const node = new Node()
  const written: number[] = []
  const pid = await node.start(waitsForReady(written))
  const writes = [node.call(pid, { write: 1 }), node.call(pid, { write: 2 })]
  t.same(await node.call(pid, 'peek'), [], 'postponed, not applied')
  node.send(pid, 'ready')
  writes.push(node.call(pid, { write: 3 }))
  t.same(await Promise.all(writes), ['ok', 'ok', 'ok'])
  t.same(written, [1, 2, 3], 'postponed writes first, in their order')
})

t.test('postponed_calls_stay_postponed_until_handled', async t => {
  const node = new Node()
  const written: number[] = []
  const pid = await node.start(waitsForReady(written))
  const write = node.call(pid, { write: 1 })
  for (let i = 0; i < 3; i++) t.same(await node.call(pid, 'peek'), [], `retried and postponed again (${i})`)
  t.equal(node.inspect(pid)?.queued, 1, 'still waiting in the mailbox')
  node.send(pid, 'ready')
  t.equal(await write, 'ok')
})

t.test('postponed_call_timeout_withdraws_it', async t => {
  const node = new Node()
  const written: number[] = []
  const pid = await node.start(waitsForReady(written))
  await t.rejects(node.call(pid, { write: 1 }, { timeout: 5 }),
    { name: 'CallError', reason: 'timeout', delivered: false })
  node.send(pid, 'ready')
  t.equal(await node.call(pid, { write: 2 }), 'ok')
  t.same(written, [2], 'the withdrawn write never applied')
})

t.test('postponed_callers_fail_undelivered_on_crash', async t => {
  const node = new Node()
  const pid = await node.start(waitsForReady([]))
  const write = node.call(pid, { write: 1 })
  await t.rejects(node.call(pid, 'crash'), { name: 'CallError', reason: 'exit', delivered: true })
  await t.rejects(write, { name: 'CallError', reason: 'exit', delivered: false })
})
