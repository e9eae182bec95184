// Restart types: which exits a supervisor restarts, and the restart count.
import t from 'tap'
import type { ChildInfo, ChildSpec } from '../../src/runtime/supervisor.js'
import { supervisor } from '../../src/runtime/supervisor.js'
import type { Pid } from '../../src/runtime/types.js'
import { Inbox, ManualClock, Node, started, worker, type WorkerEvent } from './support.js'

t.setTimeout(10_000)

async function supervise (spec: Omit<ChildSpec, 'start'>, intensity = 10) {
  const node = new Node(new ManualClock())
  const events = new Inbox<WorkerEvent>()
  const sup = await node.start(supervisor({ intensity }, [{ ...spec, start: worker(spec.id, events) }]))
  const first = await started(events, spec.id)
  const child = async (): Promise<ChildInfo | undefined> =>
    (await node.call(sup, { whichChildren: true }) as ChildInfo[]).find(c => c.id === spec.id)
  return { node, events, sup, first, child }
}

t.test('permanent_child_is_restarted_after_any_exit', async t => {
  const { node, events, first, child } = await supervise({ id: 'p', restart: 'permanent' })
  let pid: Pid = first
  for (const [i, exit] of (['crash', { exit: 'normal' }, { exit: 'shutdown' }] as const).entries()) {
    node.cast(pid, exit)
    const next = await started(events, 'p')
    t.not(next, pid, `a new process after ${JSON.stringify(exit)}`)
    pid = next
    t.match(await child(), { pid, restarts: i + 1 })
  }
})

t.test('transient_child_is_restarted_only_after_an_abnormal_exit', async t => {
  const { node, events, first, child } = await supervise({ id: 'tr', restart: 'transient' })
  node.cast(first, 'crash')
  const second = await started(events, 'tr')
  t.match(await child(), { pid: second, restarts: 1 })
  node.exit(second, 'kill')
  const third = await started(events, 'tr')
  t.match(await child(), { pid: third, restarts: 2 }, 'killed is abnormal')
  node.cast(third, { exit: 'normal' })
  await node.whenExited(third)
  t.match(await child(), { pid: undefined, restarts: 2 }, 'not after normal; kept')
})

t.test('transient_child_is_not_restarted_after_shutdown', async t => {
  const { node, first, child } = await supervise({ id: 'tr', restart: 'transient' })
  node.cast(first, { exit: 'shutdown' })
  await node.whenExited(first)
  t.match(await child(), { pid: undefined, restarts: 0 })
})

t.test('temporary_child_is_never_restarted_and_is_forgotten', async t => {
  const { node, first, child } = await supervise({ id: 'tmp', restart: 'temporary' })
  node.cast(first, 'crash')
  await node.whenExited(first)
  t.equal(await child(), undefined)
})

t.test('restarted_child_takes_its_name_again', async t => {
  const { node, events, first } = await supervise({ id: 'n', name: 'well_known' })
  t.equal(node.whereis('well_known'), first)
  node.exit(first, 'kill')
  const second = await started(events, 'n')
  t.equal(node.whereis('well_known'), second)
})

t.test('child_whose_restart_fails_once_is_tried_again', async t => {
  const node = new Node(new ManualClock())
  const events = new Inbox<WorkerEvent>()
  let starts = 0
  const flaky = worker('f', events)
  const sup = await node.start(supervisor({ intensity: 3 }, [{
    id: 'f',
    start: ctx => {
      const behaviour = flaky(ctx)
      return { ...behaviour, init () { if (++starts === 2) throw new Error('second start fails'); behaviour.init?.() } }
    },
  }]))
  const first = await started(events, 'f')
  node.cast(first, 'crash')
  const third = await started(events, 'f')
  t.equal(starts, 3)
  t.match(await node.call(sup, { whichChildren: true }), [{ id: 'f', pid: third, restarts: 1 }])
})

t.test('child_whose_restart_keeps_failing_spends_the_intensity_and_escalates', async t => {
  const node = new Node(new ManualClock())
  const events = new Inbox<WorkerEvent>()
  let starts = 0
  const sup = await node.start(supervisor({ intensity: 3 }, [
    { id: 'bystander', start: worker('bystander', events) },
    { id: 'f', start: ctx => ({ init () { if (++starts > 1) throw new Error('cannot start'); events.push({ started: 'f', pid: ctx.self }) } }) },
  ]))
  const bystander = await started(events, 'bystander')
  node.exit(await started(events, 'f'), 'kill')
  t.equal(await node.whenExited(sup), 'shutdown')
  t.equal(starts, 4, 'the first start and three failed restarts')
  t.notOk(node.isAlive(bystander), 'its other children were shut down')
})
