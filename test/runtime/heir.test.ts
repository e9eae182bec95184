// Heirs: who gets a table when its owner exits, the ETS-TRANSFER message, and
// the holding pen for a named heir that is not alive (DESIGN §3.4).
import t from 'tap'
import { Crash } from '../../src/runtime/types.js'
import { idle, Node, startProbe } from './support.js'

t.setTimeout(10_000)

const TABLE = { objects: 'opaque to the registry' }

t.test('owner_exit_gives_the_table_to_the_heir_pid', async t => {
  const node = new Node()
  const heir = await startProbe(node)
  const owner = await startProbe(node)
  owner.ctx.tables.create('users', TABLE, { pid: heir.pid, data: { why: 'heir' } })
  node.exit(owner.pid, new Crash(new Error('boom')))
  t.same(await heir.inbox.take(), { type: 'ETS-TRANSFER', table: 'users', from: owner.pid, data: { why: 'heir' } })
  t.equal(node.tables.get('users')?.owner, heir.pid)
  t.equal(node.tables.get('users')?.table, TABLE, 'the same table object')
  t.same(node.tables.ownedBy(heir.pid), ['users'])
  t.ok(heir.ctx.tables.owns('users'))
})

t.test('owner_exit_gives_the_table_to_the_living_named_heir', async t => {
  const node = new Node()
  const heir = await startProbe(node, { name: 'table_manager' })
  const owner = await startProbe(node)
  owner.ctx.tables.create('users', TABLE, { name: 'table_manager', data: 7 })
  node.exit(owner.pid, 'kill')
  t.same(await heir.inbox.take(), { type: 'ETS-TRANSFER', table: 'users', from: owner.pid, data: 7 })
  t.equal(node.tables.get('users')?.owner, heir.pid)
  t.same(node.tables.held(), {})
})

t.test('normal_exit_passes_the_table_on_too', async t => {
  const node = new Node()
  const heir = await startProbe(node)
  const owner = await node.start(ctx => ({
    init () { ctx.tables.create('t', TABLE, { pid: heir.pid }) },
    handleCast () { ctx.exitSelf('normal') },
  }))
  node.cast(owner, 'stop')
  t.match(await heir.inbox.take(), { type: 'ETS-TRANSFER', table: 't', from: owner })
})

t.test('absent_named_heir_holds_the_table_until_a_process_registers_the_name', async t => {
  const node = new Node()
  const owner = await startProbe(node)
  owner.ctx.tables.create('users', TABLE, { name: 'table_manager', data: 'd' })
  node.exit(owner.pid, 'kill')
  t.same(node.tables.held(), { table_manager: ['users'] })
  t.equal(node.tables.get('users')?.owner, undefined, 'owned by no one while held')
  t.same(node.tables.names(), ['users'], 'but not lost')
  let ownedDuringInit = false
  const manager = await startProbe(node, { name: 'table_manager' }, ctx => ({
    init () { ownedDuringInit = ctx.tables.owns('users') },
  }))
  t.ok(ownedDuringInit, 'delivered before init runs')
  t.same(await manager.inbox.take(), { type: 'ETS-TRANSFER', table: 'users', from: owner.pid, data: 'd' })
  t.same(node.tables.held(), {})
  t.equal(node.tables.get('users')?.owner, manager.pid)
})

t.test('named_heir_that_is_the_owner_itself_survives_its_restart', async t => {
  // The manager names itself heir of the tables it holds (crash window 1).
  const node = new Node()
  const first = await startProbe(node, { name: 'table_manager' })
  first.ctx.tables.create('fresh', TABLE, { name: 'table_manager' })
  node.exit(first.pid, 'kill')
  t.same(node.tables.held(), { table_manager: ['fresh'] })
  const second = await startProbe(node, { name: 'table_manager' })
  t.match(await second.inbox.take(), { type: 'ETS-TRANSFER', table: 'fresh', from: first.pid })
})

t.test('held_table_goes_back_to_the_pen_if_the_new_holder_fails_init', async t => {
  const node = new Node()
  const owner = await startProbe(node)
  owner.ctx.tables.create('users', TABLE, { name: 'table_manager' })
  node.exit(owner.pid, 'kill')
  await t.rejects(node.start(() => ({ init () { throw new Error('manager init failed') } }), { name: 'table_manager' }))
  t.same(node.tables.held(), { table_manager: ['users'] })
  const manager = await startProbe(node, { name: 'table_manager' })
  t.equal(node.tables.get('users')?.owner, manager.pid)
})

t.test('tables_of_several_owners_wait_for_the_same_name', async t => {
  const node = new Node()
  const owners = [await startProbe(node), await startProbe(node)]
  owners[0].ctx.tables.create('a', TABLE, { name: 'm' })
  owners[1].ctx.tables.create('b', TABLE, { name: 'm' })
  owners[1].ctx.tables.create('c', TABLE, { name: 'other' })
  for (const o of owners) node.exit(o.pid, 'kill')
  t.same(node.tables.held(), { m: ['a', 'b'], other: ['c'] })
  const m = await startProbe(node, { name: 'm' })
  t.same(node.tables.ownedBy(m.pid).sort(), ['a', 'b'])
  t.same(node.tables.held(), { other: ['c'] })
})

t.test('dead_heir_pid_deletes_the_table', async t => {
  const node = new Node()
  const heir = await node.start(idle)
  const owner = await startProbe(node)
  owner.ctx.tables.create('t', TABLE, { pid: heir })
  node.exit(heir, 'kill')
  node.exit(owner.pid, 'kill')
  t.equal(node.tables.get('t'), undefined, 'as in OTP')
  t.same(node.tables.held(), {})
})

t.test('no_heir_deletes_the_table', async t => {
  const node = new Node()
  const owner = await startProbe(node)
  owner.ctx.tables.create('t', TABLE)
  node.exit(owner.pid, 'kill')
  t.equal(node.tables.get('t'), undefined)
  t.same(node.tables.names(), [])
})

t.test('heir_pid_that_is_the_owner_deletes_the_table', async t => {
  const node = new Node()
  const owner = await startProbe(node)
  owner.ctx.tables.create('t', TABLE, { pid: owner.pid })
  node.exit(owner.pid, 'kill')
  t.equal(node.tables.get('t'), undefined)
})

t.test('heir_exit_chains_the_table_to_the_next_heir', async t => {
  const node = new Node()
  const last = await startProbe(node, { name: 'last' })
  const middle = await startProbe(node)
  const owner = await startProbe(node)
  owner.ctx.tables.create('t', TABLE, { pid: middle.pid })
  node.exit(owner.pid, 'kill')
  await middle.inbox.take()
  middle.ctx.tables.setHeir('t', { name: 'last', data: 2 })
  node.exit(middle.pid, 'kill')
  t.same(await last.inbox.take(), { type: 'ETS-TRANSFER', table: 't', from: middle.pid, data: 2 })
})
