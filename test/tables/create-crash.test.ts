/**
 * A crash injected after each step of create (DESIGN §3.1, crash window 3):
 * the create is either whole (table, handler owning it, catalog record) or
 * leaves nothing behind: no table, no orphan handler, no record.
 */
import t, { type Test } from 'tap'
import { Crash } from '../../src/runtime/types.js'
import { CREATE_STEPS, type CreateStep } from '../../src/tables/manager.js'
import { handlerName, MANAGER } from '../../src/tables/names.js'
import type { TableService } from '../../src/tables/service.js'
import { startService, valuesOf } from '../helpers.js'

type Victim = 'manager' | 'handler' | 'both'

async function createWithCrash (t: Test, at: CreateStep, victim: Victim) {
  let armed = true
  // Runs from afterStep, inside service.create below: service is set by then.
  const kill = (name: string): void => {
    const pid = service.node.whereis(name)
    if (pid !== undefined) service.node.exit(pid, new Crash(new Error(`crash after ${at}`)))
  }
  const service = await startService(t, {
    afterStep: (step, table) => {
      if (!armed || step !== at) return
      armed = false
      if (victim !== 'manager') kill(handlerName(table))
      if (victim !== 'handler') kill(MANAGER)
    },
  })
  const outcome = await service.create('users', 'bag').then(() => 'created', (e: { code: string }) => e.code)
  // A create on another name waits for the (new) manager: it has reconciled by then.
  await service.create('probe', 'set')
  return { service, outcome }
}

function assertWhole (t: Test, service: TableService) {
  t.ok(service.catalog.has('users'), 'catalogued')
  t.ok(service.node.tables.get('users'), 'table exists')
  return service.write('users', 'insert', { objects: [{ key: 'k', value: 1 }] }).then(async () => {
    t.equal(service.node.tables.get('users')?.owner, service.node.whereis(handlerName('users')), 'its handler owns it')
    t.same(await valuesOf(service, 'users', 'k'), [1])
  })
}

function assertNothingLeft (t: Test, service: TableService) {
  t.notOk(service.catalog.has('users'), 'no catalog record')
  t.notOk(service.node.tables.get('users'), 'no table')
  t.equal(service.node.whereis(handlerName('users')), undefined, 'no orphan handler')
  t.same(service.node.tables.held(), {}, 'nothing in the holding pen')
}

for (const at of CREATE_STEPS) {
  t.test(`manager_crash_after_${at}`, async t => {
    const { service, outcome } = await createWithCrash(t, at, 'manager')
    t.equal(outcome, 'unavailable', 'the caller is told to retry')
    if (at === 'catalogued') await assertWhole(t, service)
    else assertNothingLeft(t, service)
    // Either way a retry tells which: created now, or table_exists.
    const retry = await service.create('users', 'bag').then(() => 'created', (e: { code: string }) => e.code)
    t.equal(retry, at === 'catalogued' ? 'table_exists' : 'created')
  })

  if (at !== 'table_created') {
    t.test(`handler_crash_after_${at}`, async t => {
      const { service, outcome } = await createWithCrash(t, at, 'handler')
      t.equal(outcome, 'created', 'a handler crash does not fail the create')
      await assertWhole(t, service)
    })

    t.test(`manager_and_handler_crash_after_${at}`, async t => {
      const { service, outcome } = await createWithCrash(t, at, 'both')
      t.equal(outcome, 'unavailable')
      if (at === 'catalogued') await assertWhole(t, service)
      else assertNothingLeft(t, service)
    })
  }
}
