// The node's events: what logs, metrics and the lifecycle stream are built
// on. Each is caused for real and compared with what happened, in order.
import t from 'tap'
import { supervisor } from '../../src/runtime/supervisor.js'
import { Crash, type NodeEvent } from '../../src/runtime/types.js'
import { Inbox, Node, probeFactory, startProbe } from './support.js'

const TABLE = { objects: 'opaque' }

function record (node: Node): Inbox<NodeEvent> {
  const events = new Inbox<NodeEvent>()
  node.on(event => events.push(event))
  return events
}

t.test('a_crash_and_its_restart_are_an_exit_then_a_spawn_then_child_restarted', async t => {
  const node = new Node()
  const sup = await node.start(supervisor({ intensity: 5, period: 10 }, [{ id: 'w', name: 'worker', start: probeFactory(new Inbox()) }]), { trapExit: true })
  const events = record(node)
  const first = node.whereis('worker')!
  node.exit(first, new Crash(new Error('boom')))
  const exited = await events.take(e => e.type === 'exited')
  t.match(exited, { type: 'exited', pid: first, name: 'worker' })
  t.equal(String((exited as { reason: unknown }).reason), 'Error: boom')
  const spawned = await events.take(e => e.type === 'spawned')
  const restarted = await events.take(e => e.type === 'child_restarted')
  t.equal(spawned.type === 'spawned' && spawned.name, 'worker')
  t.same(restarted, { type: 'child_restarted', supervisor: sup, id: 'w', pid: node.whereis('worker'), restarts: 1 })
  t.not(node.whereis('worker'), first)
})

t.test('a_supervisor_past_its_intensity_says_it_gave_up', async t => {
  const node = new Node()
  await node.start(supervisor({ intensity: 0, period: 10 }, [{ id: 'w', name: 'worker', start: probeFactory(new Inbox()) }]), { name: 'sup', trapExit: true })
  const events = record(node)
  node.exit(node.whereis('worker')!, new Crash(new Error('boom')))
  t.match(await events.take(e => e.type === 'supervisor_gave_up'), { name: 'sup', restarts: 0, period: 10 })
  t.match(await events.take(e => e.type === 'exited' && e.name === 'sup'), { reason: 'shutdown' })
})

t.test('tables_moved_parked_and_lost_are_told', async t => {
  const node = new Node()
  const events = record(node)
  const owner = await startProbe(node)
  const heir = await startProbe(node, { name: 'keeper' })
  owner.ctx.tables.create('given', TABLE)
  owner.ctx.tables.giveAway('given', heir.pid)
  t.same(await events.take(e => e.type === 'table_transferred'), { type: 'table_transferred', table: 'given', from: owner.pid, to: heir.pid, inherited: false })
  owner.ctx.tables.create('parked', TABLE, { name: 'nobody_yet' })
  owner.ctx.tables.create('lost', TABLE)
  node.exit(owner.pid, 'kill')
  t.same(await events.take(e => e.type === 'table_held'), { type: 'table_held', table: 'parked', heir: 'nobody_yet' })
  t.same(await events.take(e => e.type === 'table_lost'), { type: 'table_lost', table: 'lost', owner: owner.pid })
  const later = await startProbe(node, { name: 'nobody_yet' })
  t.same(await events.take(e => e.type === 'table_transferred'), { type: 'table_transferred', table: 'parked', from: owner.pid, to: later.pid, inherited: true })
})

t.test('a_listener_that_throws_breaks_nothing', async t => {
  const node = new Node()
  const stop = node.on(() => { throw new Error('listener bug') })
  const events = record(node)
  const probe = await startProbe(node)
  node.exit(probe.pid, 'kill')
  t.match(await events.take(e => e.type === 'exited'), { pid: probe.pid, reason: 'killed' })
  t.notOk(node.isAlive(probe.pid))
  stop()
})
