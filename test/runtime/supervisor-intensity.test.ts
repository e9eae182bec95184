// Restart intensity: at most R restarts in T seconds, a sliding window over
// the injected clock; one more and the supervisor escalates.
import t from 'tap'
import { supervisor } from '../../src/runtime/supervisor.js'
import type { Pid } from '../../src/runtime/types.js'
import { Inbox, ManualClock, Node, started, worker, type WorkerEvent } from './support.js'

t.setTimeout(10_000)

async function setup (intensity: number, period: number, ids = ['c']) {
  const clock = new ManualClock()
  const node = new Node(clock)
  const events = new Inbox<WorkerEvent>()
  const sup = await node.start(supervisor({ intensity, period },
    ids.map(id => ({ id, start: worker(id, events), trapExit: true }))))
  const pids = await Promise.all(ids.map(id => started(events, id)))
  /** Crashes child `c` and resolves with its restarted pid. */
  const crash = async (pid: Pid): Promise<Pid> => { node.cast(pid, 'crash'); return await started(events, 'c') }
  return { clock, node, events, sup, pids, crash }
}

t.test('one_for_one_restarts_within_intensity', async t => {
  const { clock, node, sup, pids, crash } = await setup(3, 10)
  let pid = pids[0]
  for (let i = 0; i < 3; i++) {
    pid = await crash(pid)
    clock.advance(1)
  }
  t.ok(node.isAlive(sup), 'three restarts in ten seconds are allowed')
})

t.test('one_for_one_escalation', async t => {
  const { clock, node, events, sup, pids, crash } = await setup(2, 10)
  let pid = pids[0]
  for (let i = 0; i < 2; i++) {
    pid = await crash(pid)
    clock.advance(4)
  }
  const exited = node.whenExited(sup)
  node.cast(pid, 'crash')
  t.equal(await exited, 'shutdown', 'the third restart in ten seconds is one too many')
  t.same(events.pending, [], 'no restart was attempted')
})

t.test('intensity_window_slides', async t => {
  const { clock, node, sup, pids, crash } = await setup(2, 10)
  let pid = pids[0]
  for (const at of [0, 6, 12]) {
    clock.advance(at - clock.now() / 1000)
    pid = await crash(pid)
  }
  t.ok(node.isAlive(sup), 'at 12 s the restart at 0 s has left the window')
  const exited = node.whenExited(sup)
  clock.advance(1)
  node.cast(pid, 'crash')
  t.equal(await exited, 'shutdown', 'at 13 s the restarts at 6, 12 and 13 s are three in ten seconds')
})

t.test('restarts_far_apart_never_escalate', async t => {
  const { clock, node, sup, pids, crash } = await setup(1, 5)
  let pid = pids[0]
  for (let i = 0; i < 20; i++) {
    clock.advance(6)
    pid = await crash(pid)
  }
  t.ok(node.isAlive(sup))
})

t.test('intensity_zero_escalates_on_the_first_exit', async t => {
  const { node, sup, pids } = await setup(0, 5)
  node.cast(pids[0], 'crash')
  t.equal(await node.whenExited(sup), 'shutdown')
})

t.test('escalation_shuts_children_down_in_reverse_start_order', async t => {
  const { node, events, sup, pids } = await setup(0, 5, ['a', 'b', 'c', 'd'])
  node.exit(pids[1], 'kill')
  t.equal(await node.whenExited(sup), 'shutdown')
  t.same(events.pending, [
    { stopped: 'd', pid: pids[3], reason: 'shutdown' },
    { stopped: 'c', pid: pids[2], reason: 'shutdown' },
    { stopped: 'a', pid: pids[0], reason: 'shutdown' },
  ])
  t.same(pids.map(p => node.isAlive(p)), [false, false, false, false])
})

t.test('a_restart_exactly_one_period_ago_still_counts', async t => {
  // OTP keeps restarts with Then >= Now - Period in the window.
  const { clock, node, sup, pids, crash } = await setup(1, 5)
  const second = await crash(pids[0])
  clock.advance(5)
  node.cast(second, 'crash')
  t.equal(await node.whenExited(sup), 'shutdown')
})
