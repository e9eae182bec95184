// call: replies, noproc, timeouts that withdraw the request, waiting for a
// name, and what a crash tells each waiting caller.
import { mock } from 'node:test'
import t from 'tap'
import { CallError } from '../../src/runtime/errors.js'
import { Crash } from '../../src/runtime/types.js'
import { deferred, Inbox, Node } from './support.js'

t.setTimeout(10_000)

/**
 * A server that logs every request it handles; `block` waits for the gate,
 * `crash` crashes it. `entered` says which request it has started on.
 */
async function gatedServer () {
  const node = new Node()
  const gate = deferred()
  const handled: string[] = []
  const entered = new Inbox<string>()
  const pid = await node.start(() => ({
    async handleCall (request: string) {
      entered.push(request)
      if (request === 'block') await gate.promise
      if (request === 'crash') throw new Error('crash in handleCall')
      handled.push(request)
      return `re:${request}`
    },
  }))
  return { node, gate, handled, entered, pid }
}

t.test('call_replies_with_the_handler_value', async t => {
  const node = new Node()
  const pid = await node.start(() => ({ handleCall: (r: number) => r * 2 }))
  t.equal(await node.call(pid, 21), 42)
})

t.test('call_to_dead_pid_or_unknown_name_is_noproc_undelivered', async t => {
  const node = new Node()
  const pid = await node.start(() => ({}))
  node.exit(pid, 'kill')
  for (const to of [pid, 'nobody']) {
    const error = await node.call(to, 'q').catch((e: unknown) => e)
    t.type(error, CallError)
    t.match(error, { reason: 'noproc', delivered: false })
  }
})

t.test('call_timeout_withdraws_the_request', async t => {
  const { node, gate, handled, entered, pid } = await gatedServer()
  const blocked = node.call(pid, 'block')
  t.equal(await entered.take(), 'block')
  await t.rejects(node.call(pid, 'late', { timeout: 10 }),
    { name: 'CallError', reason: 'timeout', delivered: false })
  gate.resolve()
  await blocked
  t.equal(await node.call(pid, 'ping'), 're:ping')
  t.same(handled, ['block', 'ping'], 'the timed-out request was never handled')
})

t.test('call_timeout_while_handled_is_delivered', async t => {
  const { node, gate, handled, pid } = await gatedServer()
  await t.rejects(node.call(pid, 'block', { timeout: 10 }),
    { name: 'CallError', reason: 'timeout', delivered: true })
  gate.resolve()
  t.equal(await node.call(pid, 'ping'), 're:ping')
  t.same(handled, ['block', 'ping'], 'a delivered request may still complete')
})

t.test('crash_fails_the_caller_delivered_and_queued_callers_undelivered', async t => {
  const { node, gate, handled, entered, pid } = await gatedServer()
  const blocked = node.call(pid, 'block')
  t.equal(await entered.take(), 'block')
  const crashing = node.call(pid, 'crash')
  const queued = [node.call(pid, 'q1'), node.call(pid, 'q2')]
  gate.resolve()
  t.equal(await blocked, 're:block')
  const crashError = await crashing.catch((e: unknown) => e) as CallError
  t.match(crashError, { name: 'CallError', reason: 'exit', delivered: true })
  t.type(crashError.exitReason, Crash)
  for (const call of queued) {
    await t.rejects(call, { name: 'CallError', reason: 'exit', delivered: false })
  }
  t.same(handled, ['block'])
})

t.test('wait_for_name_call_succeeds_once_a_process_registers_it', async t => {
  const node = new Node()
  const reply = node.call('late_server', 'hello', { waitForName: true })
  await node.start(() => ({ handleCall: (r: string) => `re:${r}` }), { name: 'late_server' })
  t.equal(await reply, 're:hello')
})

t.test('wait_for_name_times_out_as_a_timeout_not_delivered', async t => {
  const node = new Node()
  await t.rejects(node.call('never', 'q', { waitForName: true, timeout: 5 }),
    { name: 'CallError', reason: 'timeout', delivered: false })
})

t.test('wait_for_name_shares_one_timeout_with_the_call', async t => {
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  const node = new Node()
  const never = deferred()
  let outcome: unknown
  node.call('slow', 'q', { waitForName: true, timeout: 100 }).catch((e: unknown) => { outcome = e })
  mock.timers.tick(60)
  void node.start(() => ({ init: () => never.promise, handleCall: () => 'late' }), { name: 'slow' }).catch(() => {})
  await new Promise(resolve => setImmediate(resolve))
  mock.timers.tick(50)
  await new Promise(resolve => setImmediate(resolve))
  t.match(outcome, { name: 'CallError', reason: 'timeout', delivered: false }, 'timed out 100 ms after the call')
})

t.test('call_with_an_infinite_timeout_waits_for_the_reply', async t => {
  const { node, gate, pid } = await gatedServer()
  let settled = false
  const patient = node.call(pid, 'block', { timeout: Infinity }).finally(() => { settled = true })
  await t.rejects(node.call(pid, 'impatient', { timeout: 20 }), { name: 'CallError', reason: 'timeout' })
  t.notOk(settled, 'Infinity is no timeout at all (a bare setTimeout would fire it after 1 ms)')
  gate.resolve()
  t.equal(await patient, 're:block')
})
