/**
 * A drop or a rename cut short by a manager crash right after its catalog
 * write: the next manager's reconcile finishes it, and tells the change
 * streams and the lifecycle log as the request itself would have. Before,
 * it finished silently: readers of the old table never got `dropped` or
 * `renamed`, a table created again under the dropped name served the old
 * table's history, and a renamed table started a history of its own.
 */
import t, { type Test } from 'tap'
import { Crash } from '../../src/runtime/types.js'
import type { Next, StreamReader } from '../../src/tables/changes.js'
import type { Step } from '../../src/tables/manager.js'
import { MANAGER } from '../../src/tables/names.js'
import type { TableService } from '../../src/tables/service.js'
import type { Durability } from '../../src/tables/storage.js'
import { drain, startService } from '../helpers.js'

/** The table events (created, dropped, renamed) a lifecycle reader has now, as `type table [name]`. */
function tableEvents (reader: StreamReader): string[] {
  const out: string[] = []
  for (let next: Next = reader.next(); next !== undefined; next = reader.next()) {
    if (!('event' in next)) continue
    const event = JSON.parse(next.event.data) as { type: string; table?: string; name?: string }
    if (/^table_(created|dropped|renamed)$/.test(event.type)) out.push([event.type, event.table, event.name].filter(Boolean).join(' '))
  }
  return out
}

/** A service whose manager is crashed once, right after `at` for table `t`; then `t` with five writes. */
async function crashingAt (t: Test, at: Step, durability: Durability): Promise<TableService> {
  let armed = false
  const service: TableService = await startService(t, {
    afterStep: (step, table) => {
      if (!armed || step !== at || table !== 't') return
      armed = false
      service.node.exit(service.node.whereis(MANAGER)!, new Crash(new Error(`crash after ${at}`)))
    },
  })
  await service.create('t', 'set', durability)
  for (let key = 1; key <= 5; key++) await service.write('t', 'insert', { objects: [{ key, value: key }] })
  armed = true
  return service
}

const outcome = (promise: Promise<unknown>): Promise<string> => promise.then(() => 'done', (error: { code: string }) => error.code)

for (const durability of ['memory', 'disk'] as const) {
  t.test(`a_drop_finished_by_the_next_manager_ends_its_streams_${durability}`, async t => {
    const service = await crashingAt(t, 'drop_catalogued', durability)
    const old = service.watch('t', 0)
    const life = service.lifecycle.read(undefined)
    t.equal(await outcome(service.drop('t')), 'unavailable', 'the caller is told to retry')
    // Waits for the new manager, which has reconciled by then.
    await service.create('t', 'set', durability)
    t.same(drain(old), [1, 2, 3, 4, 5, { type: 'dropped', rev: 5 }], 'the old reader got its events, then dropped')
    t.same(drain(service.watch('t', 0)), [], 'the new t has no history of the old')
    await service.write('t', 'insert', { objects: [{ key: 'new', value: 1 }] })
    t.same(drain(service.watch('t', 0)), [1], "the new t's first write is its revision 1")
    t.same(tableEvents(life), ['table_dropped t', 'table_created t'], 'the lifecycle log tells the drop')
  })

  t.test(`a_rename_finished_by_the_next_manager_moves_its_streams_${durability}`, async t => {
    const service = await crashingAt(t, 'rename_catalogued', durability)
    const old = service.watch('t', 0)
    const life = service.lifecycle.read(undefined)
    t.equal(await outcome(service.rename('t', 'u')), 'unavailable', 'the caller is told to retry')
    await service.create('probe', 'set')
    t.same(drain(old), [1, 2, 3, 4, 5, { type: 'renamed', rev: 5, name: 'u' }], 'the old reader got its events, then renamed')
    await service.write('u', 'insert', { objects: [{ key: 6, value: 6 }] })
    t.same(drain(service.watch('u', 0)), [1, 2, 3, 4, 5, 6], 'the history followed the table to its new name')
    t.same(tableEvents(life), ['table_renamed t u', 'table_created probe'], 'the lifecycle log tells the rename')
  })
}

t.test('a_drop_and_a_rename_not_cut_short_tell_the_streams_once', async t => {
  const service = await startService(t)
  await service.create('t', 'set', 'disk')
  const life = service.lifecycle.read(undefined)
  await service.write('t', 'insert', { objects: [{ key: 1, value: 1 }] })
  const old = service.watch('t', 0)
  await service.rename('t', 'u')
  const renamed = service.watch('u', 0)
  await service.drop('u')
  t.same(drain(old), [1, { type: 'renamed', rev: 1, name: 'u' }])
  t.same(drain(renamed), [1, { type: 'dropped', rev: 1 }])
  t.same(tableEvents(life), ['table_renamed t u', 'table_dropped u'])
})

t.test('a_reader_that_comes_in_the_window_of_a_drop_or_rename_waits_for_its_end', async t => {
  // The catalog record goes first: a reader that comes after it, before the end is told, got 404.
  const seen: Record<string, Array<number | object>> = {}
  let window: (() => void) | undefined
  const service: TableService = await startService(t, { afterStep: step => { if (step !== 'table_created') window?.() } })
  await service.create('t', 'set', 'disk')
  for (let key = 1; key <= 3; key++) await service.write('t', 'insert', { objects: [{ key, value: key }] })
  const readers: Array<[string, StreamReader]> = []
  window = () => { readers.push(['rename', service.watch('t', 1)]) }
  await service.rename('t', 'u')
  window = () => { readers.push(['drop', service.watch('u', 2)]) }
  await service.drop('u')
  window = undefined
  for (const [what, reader] of readers) seen[what] = drain(reader)
  t.same(seen, {
    rename: [2, 3, { type: 'renamed', rev: 3, name: 'u' }],
    drop: [3, { type: 'dropped', rev: 3 }],
  })
})

t.test('a_create_cut_short_is_not_told_as_a_drop', async t => {
  let armed = false
  const service: TableService = await startService(t, {
    afterStep: (step, table) => {
      if (!armed || step !== 'given_away' || table !== 't') return
      armed = false
      service.node.exit(service.node.whereis(MANAGER)!, new Crash(new Error('crash after given_away')))
    },
  })
  await service.create('t', 'set')
  await service.write('t', 'insert', { objects: [{ key: 1, value: 1 }] })
  await service.rename('t', 'x')
  const life = service.lifecycle.read(undefined)
  armed = true
  t.equal(await outcome(service.create('t', 'set')), 'unavailable')
  await service.create('probe', 'set')
  t.notOk(service.catalog.has('t'), 'the create left nothing')
  t.same(tableEvents(life), ['table_created probe'], 'no table_dropped for a table nobody saw')
  t.same(drain(service.watch('t', 0)), [1, { type: 'renamed', rev: 1, name: 'x' }], 'what the name left before is still told')
})

t.test('the_store_of_a_drop_cut_short_is_found_by_the_name_its_table_had_last', async t => {
  const service = await startService(t)
  await service.create('t', 'set', 'disk')
  await service.write('t', 'insert', { objects: [{ key: 1, value: 1 }] })
  await service.rename('t', 'u')
  await service.create('t', 'set', 'disk')
  await service.write('t', 'insert', { objects: [{ key: 2, value: 2 }] })
  const store = service.storage.of('t')
  // The record of t gone, as a drop's catalog write leaves it: the reconcile looks for its store.
  await service.catalog.del('t')
  t.equal(service.storage.detached('t'), store, "the new t's store, not u's (which was t's until the rename)")
  t.equal(service.storage.detached('u'), undefined, "u's store is catalogued")
})
