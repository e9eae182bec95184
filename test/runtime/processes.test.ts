// Starting processes: init ordering, init failures, and the fence that stops
// a dead process's code from acting after an await.
import t from 'tap'
import { CallError, RuntimeError } from '../../src/runtime/errors.js'
import { Crash } from '../../src/runtime/types.js'
import { deferred, idle, Inbox, Node, startProbe } from './support.js'

t.setTimeout(10_000)

t.test('init_runs_before_any_message', async t => {
  const node = new Node()
  const log: string[] = []
  const initGate = deferred()
  const started = node.start(() => ({
    async init () { await initGate.promise; log.push('init') },
    handleInfo (m) { log.push(`info:${m}`) },
    handleCast (m) { log.push(`cast:${m}`) },
    handleCall (r) { log.push(`call:${r}`); return `re:${r}` },
  }), { name: 'p' })
  node.send('p', 'early')
  node.cast('p', 'c')
  const reply = node.call('p', 'q')
  t.same(log, [], 'nothing is handled while init runs')
  initGate.resolve()
  await started
  t.equal(await reply, 're:q')
  t.same(log, ['init', 'info:early', 'cast:c', 'call:q'], 'messages sent during init wait, in order')
})

t.test('messages_are_handled_one_at_a_time_in_order', async t => {
  const node = new Node()
  const log: number[] = []
  const pid = await node.start(() => ({
    async handleCast (n: number) { log.push(n); await Promise.resolve(); log.push(-n) },
    handleCall () { return log.slice() },
  }))
  node.cast(pid, 1)
  node.cast(pid, 2)
  t.same(await node.call(pid, 'log'), [1, -1, 2, -2], 'an async handler finishes before the next message')
})

t.test('a_long_mailbox_lets_io_run_every_256_messages_and_keeps_its_order', async t => {
  const node = new Node()
  const log: Array<number | string> = []
  const pid = await node.start(() => ({
    handleCast (n: number) { log.push(n) },
    handleCall () { return log.length },
  }))
  for (let n = 0; n < 600; n++) node.cast(pid, n)
  setImmediate(() => log.push('io'))
  t.equal(await node.call(pid, 'count'), 601)
  const io = log.indexOf('io')
  t.ok(io >= 256 && io < 600, `I/O ran after a batch of 256 messages and before the last (at ${io})`)
  t.same(log.filter(entry => entry !== 'io'), Array.from({ length: 600 }, (_, n) => n), 'every message, in order')
})

t.test('send_to_nobody_is_dropped', async t => {
  const node = new Node()
  t.doesNotThrow(() => node.send('nobody', 'x'))
  t.doesNotThrow(() => node.cast('<0.99.0>', 'x'))
})

t.test('init_failure_rejects_start_and_frees_everything', async t => {
  const node = new Node()
  const boom = new Error('init failed')
  await t.rejects(node.start(() => ({ init () { throw boom } }), { name: 'p' }), boom)
  t.equal(node.whereis('p'), undefined, 'name freed')
  t.same(node.pids(), [], 'no process left')
})

t.test('factory_failure_leaves_no_process', async t => {
  const node = new Node()
  const boom = new Error('factory failed')
  await t.rejects(node.start(() => { throw boom }, { name: 'p' }), boom)
  t.same(node.pids(), [], 'no half-made process')
  t.equal(node.whereis('p'), undefined)
})

t.test('killed_during_init_rejects_start_at_once', async t => {
  const node = new Node()
  const never = deferred()
  const started = node.start(() => ({ init: () => never.promise }), { name: 'p' })
  node.exit(node.whereis('p')!, 'kill')
  const error = await started.then(() => undefined, (e: unknown) => e)
  t.type(error, CallError)
  t.equal((error as CallError).reason, 'exit')
  t.equal((error as CallError).exitReason, 'killed')
})

t.test('init_with_no_await_that_is_killed_does_not_start', async t => {
  const node = new Node()
  const victim = await startProbe(node)
  const started = node.start(ctx => ({ init () { ctx.exit(victim.pid, 'kill'); ctx.exitSelf('shutdown') } }))
  await t.rejects(started, { name: 'CallError', exitReason: 'shutdown' })
  t.equal(await node.whenExited(victim.pid), 'noproc', 'the kill was sent before the exit')
})

t.test('dead_process_code_after_await_is_fenced', async t => {
  const node = new Node()
  const resumed = deferred()
  const fenced = new Inbox<unknown>()
  const target = await startProbe(node)
  const pid = await node.start(ctx => ({
    async handleCast () {
      fenced.push('waiting')
      await resumed.promise
      for (const act of [
        () => ctx.send(target.pid, 'zombie'),
        () => ctx.cast(target.pid, 'zombie'),
        () => ctx.exit(target.pid, 'kill'),
        () => ctx.link(target.pid),
        () => ctx.monitor(target.pid),
        () => ctx.startLink(idle),
        () => ctx.tables.names(),
      ]) {
        try { act(); fenced.push('acted') } catch (error) { fenced.push(error) }
      }
    },
  }))
  node.cast(pid, 'go')
  t.equal(await fenced.take(), 'waiting', 'the handler is suspended in an await')
  node.exit(pid, 'kill')
  t.equal(await node.whenExited(pid), 'noproc', 'it is dead')
  resumed.resolve()
  for (let i = 0; i < 7; i++) {
    const error = await fenced.take()
    t.type(error, RuntimeError)
    t.equal((error as RuntimeError).code, 'process_dead')
  }
  t.ok(node.isAlive(target.pid), 'the zombie could not kill')
  node.send(target.pid, 'marker')
  t.equal(await target.inbox.take(), 'marker', 'the zombie sent nothing')
})

t.test('crash_in_cast_exits_with_crash', async t => {
  const node = new Node()
  const boom = new Error('boom')
  const pid = await node.start(() => ({ handleCast () { throw boom } }))
  node.cast(pid, 'x')
  const reason = await node.whenExited(pid)
  t.type(reason, Crash)
  t.equal((reason as Crash).error, boom)
  t.notOk(node.isAlive(pid))
})

t.test('info_without_handler_is_dropped_call_without_handler_crashes', async t => {
  const node = new Node()
  const pid = await node.start(() => ({}))
  const exited = node.whenExited(pid)
  node.send(pid, 'ignored')
  node.cast(pid, 'ignored')
  await t.rejects(node.call(pid, 'q'), { name: 'CallError', reason: 'exit', delivered: true })
  t.type(await exited, Crash, 'the call crashed it, the info and cast did not')
})

t.test('exit_self_normal', async t => {
  const node = new Node()
  const pid = await node.start(ctx => ({ handleCast () { ctx.exitSelf('normal') } }))
  const exited = node.whenExited(pid)
  node.cast(pid, 'stop')
  t.equal(await exited, 'normal')
})
