/**
 * Crash recovery through the table service (no HTTP): DESIGN §3's steps and
 * the crash windows it lists, each caused for real by killing processes.
 */
import t, { type Test } from 'tap'
import { Crash } from '../../src/runtime/types.js'
import { handlerName, MANAGER, TABLE_SUP } from '../../src/tables/names.js'
import type { TableService } from '../../src/tables/service.js'
import { startService, valuesOf } from '../helpers.js'

const crash = (service: TableService, name: string): void => {
  const pid = service.node.whereis(name)
  if (pid === undefined) throw new Error(`${name} is not running`)
  service.node.exit(pid, new Crash(new Error('test crash')))
}

async function withUsers (t: Test): Promise<TableService> {
  const service = await startService(t)
  await service.create('users', 'bag')
  await service.write('users', 'insert', { objects: [{ key: 'alice', value: 1 }, { key: 'alice', value: 2 }, { key: 'bob', value: 3 }] })
  return service
}

t.test('handler_crash_keeps_objects_and_restarts_handler', async t => {
  const service = await withUsers(t)
  const before = (await service.info('users')).owner
  crash(service, handlerName('users'))
  // The table went to its heir, the manager, in the same tick.
  t.equal(service.node.tables.get('users')?.owner, service.node.whereis(MANAGER))
  await service.write('users', 'insert', { objects: [{ key: 'carol', value: 4 }] })
  const after = await service.info('users')
  t.not(after.owner, before, 'a new handler owns the table')
  t.equal(after.owner, service.node.whereis(handlerName('users')))
  t.equal(after.heir, service.node.whereis(MANAGER))
  t.same(await valuesOf(service, 'users', 'alice'), [1, 2])
  t.same(await valuesOf(service, 'users', 'carol'), [4])
  t.equal(after.size, 4)
  t.equal(after.restarts, 1)
})

t.test('manager_crash_does_not_restart_handlers (root is one_for_one)', async t => {
  const service = await withUsers(t)
  const handler = service.node.whereis(handlerName('users'))
  const sup = service.node.whereis(TABLE_SUP)
  const manager = service.node.whereis(MANAGER)!
  crash(service, MANAGER)
  await service.write('users', 'insert', { objects: [{ key: 'dave', value: 5 }] })
  await service.create('other', 'set') // a call that needs the new manager
  t.not(service.node.whereis(MANAGER), manager)
  t.equal(service.node.whereis(handlerName('users')), handler, 'same handler pid')
  t.equal(service.node.whereis(TABLE_SUP), sup, 'same table_sup pid')
  t.equal((await service.info('users')).heir, service.node.whereis(MANAGER), 'heir is the living manager')
})

t.test('manager_crash_then_handler_crash', async t => {
  const service = await withUsers(t)
  crash(service, MANAGER)
  await service.create('other', 'set')
  crash(service, handlerName('users'))
  await service.write('users', 'insert', { objects: [{ key: 'erin', value: 6 }] })
  t.same(await valuesOf(service, 'users', 'bob'), [3])
  t.equal((await service.info('users')).size, 4)
})

t.test('handler_and_manager_crash_in_the_same_tick (holding pen)', async t => {
  const service = await withUsers(t)
  crash(service, MANAGER)
  crash(service, handlerName('users'))
  t.same(service.node.tables.held(), { [MANAGER]: ['users'] }, 'the table waits for the next manager')
  t.same((await service.processes()).heirs, [{ table: 'users', owner: null, heir: null, heirName: MANAGER }], 'as /v1/processes shows')
  await service.write('users', 'insert', { objects: [{ key: 'frank', value: 7 }] })
  t.same(service.node.tables.held(), {})
  t.same((await service.processes()).heirs, [{ table: 'users', owner: service.node.whereis(handlerName('users')), heir: service.node.whereis(MANAGER), heirName: MANAGER }])
  t.same(await valuesOf(service, 'users', 'alice'), [1, 2])
  t.equal((await service.info('users')).owner, service.node.whereis(handlerName('users')))
})

t.test('manager_dies_while_holding_a_table (crash window 1)', async t => {
  const service = await withUsers(t)
  crash(service, handlerName('users'))
  // The manager holds the table now; it dies before handing it over.
  t.equal(service.node.tables.get('users')?.owner, service.node.whereis(MANAGER))
  crash(service, MANAGER)
  await service.write('users', 'insert', { objects: [{ key: 'gina', value: 8 }] })
  t.equal((await service.info('users')).size, 4)
})

t.test('table_sup_crash_restarts_every_handler_and_keeps_tables', async t => {
  const service = await withUsers(t)
  await service.create('orders', 'ordered_set')
  await service.write('orders', 'insert', { objects: [{ key: 2, value: 'b' }, { key: 1, value: 'a' }] })
  crash(service, TABLE_SUP)
  await service.write('orders', 'insert', { objects: [{ key: 3, value: 'c' }] })
  await service.write('users', 'insert', { objects: [{ key: 'hank', value: 9 }] })
  t.same(await valuesOf(service, 'orders', 1), ['a'])
  t.equal((await service.info('orders')).size, 3)
  t.equal((await service.info('users')).size, 4)
})

t.test('writes_queued_when_the_handler_crashes_are_applied_once', async t => {
  const service = await withUsers(t)
  // Queue several multi-object writes, then crash the handler before it
  // handles any: none was delivered, so each is sent to the new handler.
  const writes = Array.from({ length: 20 }, (_, i) =>
    service.write('users', 'insert', { objects: [{ key: `k${i}`, value: i }, { key: `k${i}`, value: -i - 1 }] }))
  crash(service, handlerName('users'))
  await Promise.all(writes)
  for (let i = 0; i < 20; i++) t.same(await valuesOf(service, 'users', `k${i}`), [i, -i - 1], `k${i} once, in list order`)
  t.equal((await service.info('users')).size, 3 + 40)
})

t.test('writes_arriving_while_the_handler_restarts_wait_for_it', async t => {
  const service = await withUsers(t)
  crash(service, MANAGER)
  crash(service, handlerName('users'))
  // No handler, no manager: these wait for the name, then for the table.
  const writes = [1, 2, 3].map(i => service.write('users', 'insert', { objects: [{ key: 'w', value: i }] }))
  await Promise.all(writes)
  t.same(await valuesOf(service, 'users', 'w'), [1, 2, 3])
})

t.test('restarted_manager_reuses_live_tables (crash window 8)', async t => {
  const service = await withUsers(t)
  crash(service, MANAGER)
  await service.create('other', 'set')
  t.same(await valuesOf(service, 'users', 'alice'), [1, 2], 'not a new empty table')
})

t.test('drop_removes_handler_table_and_record', async t => {
  const service = await withUsers(t)
  await service.drop('users')
  t.equal(service.node.whereis(handlerName('users')), undefined)
  t.equal(service.node.tables.get('users'), undefined)
  t.equal(service.catalog.has('users'), false)
  await t.rejects(service.drop('users'), { code: 'table_not_found' })
  await t.rejects(valuesOf(service, 'users', 'alice'), { code: 'table_not_found' })
  await service.create('users', 'set')
  t.equal((await service.info('users')).size, 0)
})

t.test('manager_restart_while_table_sup_is_down_does_not_wedge_the_root', async t => {
  // table_sup gives up at its first handler crash, in the same tick as the
  // manager's crash: the root must restart both, not wait on the manager's
  // init for a table_sup only the root itself can restart.
  const service = await startService(t, { restartIntensity: { tableSup: { intensity: 0, period: 10 } } })
  await service.create('users', 'set')
  await service.write('users', 'insert', { objects: [{ key: 'a', value: 1 }] })
  const sup = service.node.whereis(TABLE_SUP)
  crash(service, MANAGER)
  crash(service, handlerName('users'))
  await service.write('users', 'insert', { objects: [{ key: 'b', value: 2 }] })
  t.not(service.node.whereis(TABLE_SUP), sup, 'table_sup was restarted')
  t.same(await valuesOf(service, 'users', 'a'), [1])
  t.same(await valuesOf(service, 'users', 'b'), [2])
  t.ok(await service.ready())
})

t.test('not_ready_until_the_manager_has_reconciled', async t => {
  const service = await withUsers(t)
  crash(service, MANAGER)
  // The new manager registers at once; its reconcile is still to come.
  t.notOk(await service.ready())
  await service.create('probe', 'set')
  t.ok(await service.ready())
})
