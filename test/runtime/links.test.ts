// Links: how an exit reaches linked processes, trapping or not.
import t from 'tap'
import { Crash } from '../../src/runtime/types.js'
import { idle, Node, startProbe } from './support.js'

t.setTimeout(10_000)

const boom = new Crash(new Error('boom'))

t.test('crash_kills_a_linked_process_with_the_same_reason', async t => {
  const node = new Node()
  const a = await node.start(idle)
  const b = await node.start(idle, { linkTo: a })
  node.exit(a, boom)
  t.equal(await node.whenExited(b), 'noproc', 'b died with a, synchronously')
  const c = await node.start(idle)
  const d = await node.start(idle, { linkTo: c })
  const dExit = node.whenExited(d)
  node.exit(c, boom)
  t.equal(await dExit, boom)
})

t.test('trapping_process_gets_an_exit_message', async t => {
  const node = new Node()
  const a = await node.start(idle)
  const trapper = await startProbe(node, { linkTo: a, trapExit: true })
  node.exit(a, boom)
  t.same(await trapper.inbox.take(), { type: 'EXIT', from: a, reason: boom })
  t.ok(node.isAlive(trapper.pid))
})

t.test('normal_exit_does_not_kill_a_linked_process', async t => {
  const node = new Node()
  const a = await node.start(ctx => ({ handleCast: () => ctx.exitSelf('normal') }))
  const b = await startProbe(node, { linkTo: a })
  const trapper = await startProbe(node, { linkTo: a, trapExit: true })
  node.cast(a, 'stop')
  t.same(await trapper.inbox.take(), { type: 'EXIT', from: a, reason: 'normal' })
  t.ok(node.isAlive(b.pid))
})

t.test('kill_reaches_linked_processes_as_killed', async t => {
  const node = new Node()
  const a = await node.start(idle)
  const b = await node.start(idle, { linkTo: a })
  const trapper = await startProbe(node, { linkTo: a, trapExit: true })
  const bExit = node.whenExited(b)
  node.exit(a, 'kill')
  t.equal(await bExit, 'killed')
  t.same(await trapper.inbox.take(), { type: 'EXIT', from: a, reason: 'killed' })
  t.ok(node.isAlive(trapper.pid), 'killed is trappable; only kill is not')
})

t.test('exit_self_kill_does_not_kill_a_trapping_linked_process', async t => {
  const node = new Node()
  const trapper = await startProbe(node, { trapExit: true })
  const a = await node.start(ctx => ({ handleCast: () => ctx.exitSelf('kill') }), { linkTo: trapper.pid })
  const aExit = node.whenExited(a)
  node.cast(a, 'die')
  t.equal(await aExit, 'killed')
  t.same(await trapper.inbox.take(), { type: 'EXIT', from: a, reason: 'killed' })
  t.ok(node.isAlive(trapper.pid))
})

t.test('kill_cannot_be_trapped', async t => {
  const node = new Node()
  const trapper = await startProbe(node, { trapExit: true })
  const exited = node.whenExited(trapper.pid)
  node.exit(trapper.pid, 'shutdown')
  t.same(await trapper.inbox.take(), { type: 'EXIT', from: '<0.0.0>', reason: 'shutdown' })
  node.exit(trapper.pid, 'kill')
  t.equal(await exited, 'killed')
})

t.test('exit_signal_normal_is_ignored_by_a_non_trapping_process', async t => {
  const node = new Node()
  const p = await startProbe(node)
  node.exit(p.pid, 'normal')
  t.ok(node.isAlive(p.pid))
})

t.test('link_to_a_dead_pid_is_a_noproc_exit_signal', async t => {
  const node = new Node()
  const dead = await node.start(idle)
  node.exit(dead, 'kill')
  const plain = await startProbe(node)
  const exited = node.whenExited(plain.pid)
  plain.ctx.link(dead)
  t.equal(await exited, 'noproc')
  const trapper = await startProbe(node, { trapExit: true })
  trapper.ctx.link(dead)
  t.same(await trapper.inbox.take(), { type: 'EXIT', from: dead, reason: 'noproc' })
})

t.test('start_linked_to_a_dead_pid_fails_without_running_init', async t => {
  const node = new Node()
  const dead = await node.start(idle)
  node.exit(dead, 'kill')
  let initRan = false
  await t.rejects(node.start(() => ({ init () { initRan = true } }), { linkTo: dead, name: 'orphan' }),
    { name: 'CallError', exitReason: 'noproc' })
  t.notOk(initRan)
  t.equal(node.whereis('orphan'), undefined)
})

t.test('unlink_stops_propagation', async t => {
  const node = new Node()
  const a = await node.start(idle)
  const b = await startProbe(node, { linkTo: a })
  b.ctx.unlink(a)
  node.exit(a, boom)
  t.ok(node.isAlive(b.pid))
  t.same(node.inspect(b.pid)?.links, [])
})

t.test('exit_propagates_along_a_chain', async t => {
  const node = new Node()
  const a = await node.start(idle)
  const b = await node.start(idle, { linkTo: a })
  const c = await startProbe(node, { linkTo: b, trapExit: true })
  node.exit(a, boom)
  t.same(await c.inbox.take(), { type: 'EXIT', from: b, reason: boom })
})
