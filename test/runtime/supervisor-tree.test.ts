// The supervision tree of DESIGN §2: a one_for_one root over a manager and a
// table_sup. A crash on one side must never restart the other.
import t from 'tap'
import type { ChildInfo } from '../../src/runtime/supervisor.js'
import { supervisor } from '../../src/runtime/supervisor.js'
import type { Pid } from '../../src/runtime/types.js'
import { Inbox, ManualClock, Node, started, worker, type WorkerEvent } from './support.js'

t.setTimeout(10_000)

async function tree () {
  const node = new Node(new ManualClock())
  const events = new Inbox<WorkerEvent>()
  const tableSup = supervisor({ intensity: 1 }, [
    { id: 'users', start: worker('users', events), name: 'table_handler:users' },
    { id: 'orders', start: worker('orders', events), name: 'table_handler:orders' },
  ])
  const root = await node.start(supervisor({ strategy: 'one_for_one', intensity: 3 }, [
    { id: 'table_manager', start: worker('table_manager', events), name: 'table_manager' },
    { id: 'table_sup', start: tableSup, name: 'table_sup', trapExit: true },
  ]), { name: 'root' })
  const children = async (sup: Pid | string): Promise<Record<string, Pid | undefined>> =>
    Object.fromEntries((await node.call(sup, { whichChildren: true }) as ChildInfo[]).map(c => [c.id, c.pid]))
  const manager = await started(events, 'table_manager')
  const handlers = { users: await started(events, 'users'), orders: await started(events, 'orders') }
  return { node, events, root, children, manager, handlers }
}

t.test('manager_crash_restarts_only_the_manager', async t => {
  const { node, events, children, manager, handlers } = await tree()
  const sup = node.whereis('table_sup')
  node.cast(manager, 'crash')
  const newManager = await started(events, 'table_manager')
  t.not(newManager, manager)
  t.equal(node.whereis('table_manager'), newManager)
  t.equal(node.whereis('table_sup'), sup, 'table_sup was not restarted')
  t.same(await children('table_sup'), handlers, 'its handlers were not restarted')
  t.same(events.pending, [], 'nothing else started')
})

t.test('handler_crash_restarts_only_that_handler', async t => {
  const { node, events, root, children, manager, handlers } = await tree()
  const rootChildren = await children(root)
  node.exit(handlers.users, 'kill')
  const users = await started(events, 'users')
  t.same(await children('table_sup'), { users, orders: handlers.orders })
  t.same(await children(root), rootChildren, 'the root saw nothing')
  t.ok(node.isAlive(manager))
})

t.test('table_sup_escalation_restarts_table_sup_not_the_manager', async t => {
  const { node, events, root, children, manager, handlers } = await tree()
  const oldSup = node.whereis('table_sup')!
  node.exit(handlers.users, 'kill')
  const users = await started(events, 'users')
  node.exit(users, 'kill')
  t.equal(await node.whenExited(oldSup), 'shutdown', 'table_sup gave up')
  const restarted = { users: await started(events, 'users'), orders: await started(events, 'orders') }
  t.notOk(node.isAlive(handlers.orders), 'the old handlers were shut down')
  t.same(await children('table_sup'), restarted)
  t.equal((await children(root)).table_manager, manager, 'the manager kept running')
  t.match(await node.call(root, { whichChildren: true }), [
    { id: 'table_manager', restarts: 0 }, { id: 'table_sup', restarts: 1 },
  ])
})

t.test('root_shutdown_stops_the_whole_tree_leaves_first', async t => {
  const { node, root, manager, handlers } = await tree()
  const sup = node.whereis('table_sup')!
  const order: Pid[] = []
  for (const pid of [manager, sup, handlers.users, handlers.orders]) void node.whenExited(pid).then(() => order.push(pid))
  node.exit(root, 'shutdown')
  t.equal(await node.whenExited(root), 'shutdown')
  t.same(order, [handlers.orders, handlers.users, sup, manager])
  t.same(node.pids(), [])
})

t.test('only_one_for_one_is_accepted', async t => {
  // DESIGN §2: rest_for_one would restart table_sup with the manager and lose every table.
  t.throws(() => supervisor({ strategy: 'rest_for_one' as never }), { code: 'bad_flags' })
  t.throws(() => supervisor({ strategy: 'one_for_all' as never }), { code: 'bad_flags' })
})
