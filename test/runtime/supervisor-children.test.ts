// The supervisor's requests: startChild, terminateChild, deleteChild,
// whichChildren, and the refusals that must not take the supervisor down.
import t from 'tap'
import type { ChildInfo } from '../../src/runtime/supervisor.js'
import { supervisor } from '../../src/runtime/supervisor.js'
import { Inbox, Node, started, worker, type WorkerEvent } from './support.js'

t.setTimeout(10_000)

async function setup () {
  const node = new Node()
  const events = new Inbox<WorkerEvent>()
  const sup = await node.start(supervisor({ intensity: 5 }))
  const children = async (): Promise<ChildInfo[]> => await node.call(sup, { whichChildren: true }) as ChildInfo[]
  return { node, events, sup, children }
}

t.test('start_child_returns_its_pid', async t => {
  const { node, events, sup, children } = await setup()
  const pid = await node.call(sup, { startChild: { id: 'a', start: worker('a', events), name: 'a_name' } })
  t.equal(await started(events, 'a'), pid)
  t.equal(node.whereis('a_name'), pid)
  t.same(await children(), [{ id: 'a', pid, restart: 'permanent', restarts: 0, name: 'a_name' }])
})

t.test('start_child_already_started_is_refused_and_the_supervisor_lives', async t => {
  const { node, events, sup, children } = await setup()
  const pid = await node.call(sup, { startChild: { id: 'a', start: worker('a', events) } })
  await t.rejects(node.call(sup, { startChild: { id: 'a', start: worker('a', events) } }),
    { name: 'RuntimeError', code: 'already_started' })
  t.ok(node.isAlive(sup), 'the supervisor is still up')
  t.ok(node.isAlive(pid as never), 'and so is its child')
  t.equal((await children()).length, 1)
})

t.test('terminate_then_start_is_already_present_until_deleted', async t => {
  const { node, events, sup, children } = await setup()
  const pid = await node.call(sup, { startChild: { id: 'a', start: worker('a', events) } }) as never
  const exited = node.whenExited(pid)
  await node.call(sup, { terminateChild: 'a' })
  t.equal(await exited, 'shutdown')
  t.match(await children(), [{ id: 'a', pid: undefined, restarts: 0 }], 'kept, stopped, not restarted')
  await t.rejects(node.call(sup, { startChild: { id: 'a', start: worker('a', events) } }),
    { name: 'RuntimeError', code: 'already_present' })
  await node.call(sup, { deleteChild: 'a' })
  t.same(await children(), [])
  await node.call(sup, { startChild: { id: 'a', start: worker('a', events) } })
  t.equal((await children()).length, 1)
})

t.test('delete_child_refuses_a_running_or_unknown_child', async t => {
  const { node, events, sup } = await setup()
  await node.call(sup, { startChild: { id: 'a', start: worker('a', events) } })
  await t.rejects(node.call(sup, { deleteChild: 'a' }), { code: 'running' })
  await t.rejects(node.call(sup, { deleteChild: 'b' }), { code: 'not_found' })
  await t.rejects(node.call(sup, { terminateChild: 'b' }), { code: 'not_found' })
  t.ok(node.isAlive(sup))
})

t.test('terminate_child_forgets_a_temporary_child', async t => {
  const { node, events, sup, children } = await setup()
  await node.call(sup, { startChild: { id: 't', start: worker('t', events), restart: 'temporary' } })
  await node.call(sup, { terminateChild: 't' })
  t.same(await children(), [])
})

t.test('terminate_child_waits_for_a_trapping_child_to_exit', async t => {
  const { node, events, sup } = await setup()
  const pid = await node.call(sup, { startChild: { id: 'a', start: worker('a', events), trapExit: true } })
  await node.call(sup, { terminateChild: 'a' })
  t.same(events.pending.at(-1), { stopped: 'a', pid, reason: 'shutdown' }, 'it saw the shutdown signal')
  t.notOk(node.isAlive(pid as never), 'and had exited when terminateChild returned')
})

t.test('start_child_whose_init_fails_is_refused_and_the_supervisor_lives', async t => {
  const { node, sup, children } = await setup()
  const boom = new Error('init failed')
  await t.rejects(node.call(sup, { startChild: { id: 'bad', start: () => ({ init () { throw boom } }) } }), boom)
  t.ok(node.isAlive(sup))
  t.same(await children(), [], 'no child recorded')
})

t.test('start_child_with_a_taken_name_is_refused', async t => {
  const { node, events, sup } = await setup()
  await node.start(() => ({}), { name: 'taken' })
  await t.rejects(node.call(sup, { startChild: { id: 'a', start: worker('a', events), name: 'taken' } }),
    { code: 'already_registered' })
  t.ok(node.isAlive(sup))
})

t.test('bad_child_spec_is_refused', async t => {
  const { node, events, sup } = await setup()
  await t.rejects(node.call(sup, { startChild: { id: '', start: worker('a', events) } }), { code: 'bad_child_spec' })
  await t.rejects(node.call(sup, { startChild: { id: 'a', start: worker('a', events), restart: 'sometimes' as never } }),
    { code: 'bad_child_spec' })
  t.ok(node.isAlive(sup))
})

t.test('initial_child_init_failure_fails_the_start_and_stops_earlier_children', async t => {
  const node = new Node()
  const events = new Inbox<WorkerEvent>()
  const boom = new Error('second child failed')
  const start = node.start(supervisor({}, [
    { id: 'a', start: worker('a', events), trapExit: true },
    { id: 'b', start: () => ({ init () { throw boom } }) },
  ]))
  await t.rejects(start, boom)
  const a = await started(events, 'a')
  t.match(events.pending, [{ stopped: 'a', pid: a, reason: 'shutdown' }])
  t.notOk(node.isAlive(a))
})

t.test('bad_flags_are_refused', async t => {
  t.throws(() => supervisor({ strategy: 'rest_for_one' as never }), { code: 'bad_flags' })
  t.throws(() => supervisor({ intensity: -1 }), { code: 'bad_flags' })
  t.throws(() => supervisor({ intensity: 1.5 }), { code: 'bad_flags' })
  t.throws(() => supervisor({ period: 0 }), { code: 'bad_flags' })
  t.throws(() => supervisor({}, [{ id: '', start: () => ({}) }]), { code: 'bad_child_spec' })
})
