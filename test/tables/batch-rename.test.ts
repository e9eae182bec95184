/** Batches are all or nothing; rename moves the catalog record and the handler, and survives crashes. */
import t from 'tap'
import type { TableType } from '../../src/ets/table.js'
import { Crash } from '../../src/runtime/types.js'
import { Catalog } from '../../src/tables/catalog.js'
import { handlerName, MANAGER } from '../../src/tables/names.js'
import type { Args } from '../../src/tables/operations.js'
import type { TableService } from '../../src/tables/service.js'
import { FaultyLevel } from '../faulty-level.js'
import { engineTable, startService, valuesOf } from '../helpers.js'

type BatchOp = Args<'batch'>['ops'][number]

/**
 * Each key's values, in order, keys sorted: a rolled-back batch may move a
 * key in a hash table's iteration order (unspecified in ETS), nothing else.
 */
const dump = (service: TableService, name: string): unknown =>
  [...service.objects(name)]
    .reduce<Array<[string, unknown[]]>>((keys, { key, value }) => {
      const k = JSON.stringify(key)
      const held = keys.find(([held]) => held === k)
      if (held) held[1].push(value)
      else keys.push([k, [value]])
      return keys
    }, [])
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)

const failing: BatchOp = { op: 'update_counter', key: 'missing', ops: 1 }

for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as TableType[]) {
  t.test(`a_failing_batch_changes_nothing (${type})`, async t => {
    const service = await startService(t)
    await service.create('b', type)
    await service.write('b', 'insert', { objects: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'b', value: 3 }, { key: 'c', value: { n: 1 } }] })
    const before = dump(service, 'b')
    const spec = [{ head: { key: '_', value: '_' }, result: true }]
    const ops: BatchOp[] = [
      { op: 'insert', objects: [{ key: 'a', value: 9 }, { key: 'new', value: 0 }] },
      { op: 'delete', key: 'b' },
      { op: 'delete_object', key: 'a', value: 1 },
      { op: 'take', key: 'c' },
      { op: 'insert_new', objects: [{ key: 'other', value: 1 }] },
      { op: 'select_delete', spec },
      { op: 'delete_all_objects' },
      { op: 'insert', objects: [{ key: 'late', value: 1 }] },
    ]
    // For set types the failure is the missing counter; bags fail at update_counter itself (badarg).
    await t.rejects(service.write('b', 'batch', { ops: [...ops, failing] }), { code: 'badarg' })
    t.same(dump(service, 'b'), before, 'every object as it was')
    engineTable(service, 'b').checkValid()
    t.equal((await service.info('b')).memory, engineTable(service, 'b').memory)
  })
}

t.test('a_successful_batch_applies_in_order_with_one_result_each', async t => {
  const service = await startService(t)
  await service.create('b', 'set')
  const { result, revision } = await service.write('b', 'batch', {
    ops: [
      { op: 'insert', objects: [{ key: 'n', value: 1 }] },
      { op: 'update_counter', key: 'n', ops: 5 },
      { op: 'take', key: 'n' },
      { op: 'insert_new', objects: [{ key: 'n', value: 0 }] },
    ],
  })
  t.same(result, { results: [true, { values: [6] }, { key: 'n', values: [6] }, { inserted: true, present: [] }] })
  t.equal(revision, 1, 'a batch is one revision')
  t.same(await valuesOf(service, 'b', 'n'), [0])
})

t.test('rename_moves_record_handler_and_objects', async t => {
  const service = await startService(t)
  await service.create('old', 'bag')
  await service.write('old', 'insert', { objects: [{ key: 'k', value: 1 }] })
  const info = await service.rename('old', 'new')
  t.equal(info.name, 'new')
  t.same(await valuesOf(service, 'new', 'k'), [1])
  t.equal(service.node.whereis(handlerName('old')), undefined)
  t.equal(info.owner, service.node.whereis(handlerName('new')))
  await t.rejects(service.info('old'), { code: 'table_not_found' })
  await service.write('new', 'insert', { objects: [{ key: 'k', value: 2 }] })
  t.same(await valuesOf(service, 'new', 'k'), [1, 2])
  await t.rejects(service.rename('old', 'x'), { code: 'table_not_found' })
  await service.create('other', 'set')
  await t.rejects(service.rename('new', 'other'), { code: 'table_exists' })
})

t.test('rename_survives_a_manager_crash_after_the_catalog_write', async t => {
  const db = new FaultyLevel()
  const service = await startService(t, { catalog: await Catalog.over(db) })
  await service.create('old', 'set')
  await service.write('old', 'insert', { objects: [{ key: 'k', value: 1 }] })
  // The manager dies once the catalog holds the new name, before the table follows.
  db.afterBatch = () => {
    db.afterBatch = undefined
    service.node.exit(service.node.whereis(MANAGER)!, new Crash(new Error('crash mid-rename')))
  }
  await t.rejects(service.rename('old', 'new'), { code: 'unavailable' })
  await service.create('probe', 'set') // the new manager has reconciled by now
  t.same(await valuesOf(service, 'new', 'k'), [1], 'the next manager finished the rename; nothing lost')
  t.equal(service.node.tables.get('old'), undefined)
  t.equal(service.node.tables.get('new')?.owner, service.node.whereis(handlerName('new')))
})
