/**
 * Bad data on disk, on a real LevelDB: a record that does not decode is one
 * line naming the table and the record, that table answers 503 (never half
 * served), the others are served, and `--repair` drops the record; a
 * truncated LevelDB log refuses the start in one line until `--repair`.
 */
import { readdir, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import t, { type Test } from 'tap'
import { DataDirError } from '../../src/tables/catalog.js'
import { TableService } from '../../src/tables/service.js'
import { withDefaults } from '../../src/config.js'
import { tempDir, valuesOf } from '../helpers.js'
import { contents, durableService, loaded } from './support.js'

t.setTimeout(60_000)

async function twoTables (t: Test): Promise<{ dataDir: string; storageId: string }> {
  const dataDir = await tempDir(t)
  const { service } = await durableService(t, dataDir)
  await service.create('good', 'set', 'disk')
  await service.create('bad', 'ordered_set', 'disk')
  for (const name of ['good', 'bad']) {
    await service.write(name, 'insert', { objects: [{ key: 1, value: 'one' }, { key: 2, value: 'two' }, { key: 3, value: 'three' }] })
  }
  const storageId = service.catalog.get('bad')!.storageId!
  await service.stop()
  return { dataDir, storageId }
}

/** Writes straight into the data directory's LevelDB, as damage from outside would. */
async function tamper (dataDir: string, key: string, value: string): Promise<void> {
  const db = new Level<string, string>(dataDir)
  await db.sublevel('objects').put(key, value)
  await db.close()
}

t.test('a_record_that_does_not_decode_is_named_its_table_answers_503_the_others_are_served', async t => {
  const { dataDir, storageId } = await twoTables(t)
  await tamper(dataDir, `${storageId}/0/2`, '["two"')
  const { service, reports } = await durableService(t, dataDir)
  await loaded(service)
  t.equal(reports.length, 1, 'one line')
  t.match(reports[0], new RegExp(`table bad: record "${storageId}/0/2" does not decode .*; start with --repair to drop it`))
  await t.rejects(service.read('bad', 'lookup', { key: 1 }), { code: 'storage_unavailable', status: 503 }, 'never half served')
  await t.rejects(service.write('bad', 'insert', { key: 4, value: 'four' }), { code: 'storage_unavailable' })
  t.same(await valuesOf(service, 'good', 2), ['two'], 'the other table is served')
  t.equal(await service.ready(), true, 'a damaged table does not hold the others back')
  t.match(JSON.stringify((await service.processes())), /"state":"damaged"/)
  await service.stop()

  const repaired = await durableService(t, dataDir, { repair: true })
  await loaded(repaired.service)
  t.match(repaired.reports.join('\n'), new RegExp(`repair: table bad: dropped record "${storageId}/0/2"`))
  t.same(contents(repaired.service, 'bad', 'ordered_set'), [['1', ['one']], ['3', ['three']]], 'the rest kept')
  t.equal((await repaired.service.write('bad', 'insert', { key: 4, value: 'four' })).revision, 2)
  await repaired.service.stop()
  const after = await durableService(t, dataDir)
  await loaded(after.service)
  t.same(after.reports, [], 'repaired for good')
})

t.test('a_malformed_revision_record_is_refused_then_rebuilt_by_repair', async t => {
  const { dataDir, storageId } = await twoTables(t)
  const db = new Level<string, string>(dataDir)
  await db.sublevel('stores').put(storageId, '{"revision":')
  await db.close()
  const { service, reports } = await durableService(t, dataDir)
  await loaded(service)
  t.match(reports.join('\n'), /table bad: its revision record .* is malformed; start with --repair/)
  await service.stop()
  const repaired = await durableService(t, dataDir, { repair: true })
  await loaded(repaired.service)
  t.same(contents(repaired.service, 'bad', 'ordered_set'), [['1', ['one']], ['2', ['two']], ['3', ['three']]])
})

t.test('repair_without_a_revision_record_loads_the_newest_generation_not_one_a_crash_left_behind', async t => {
  const { dataDir, storageId } = await twoTables(t)
  // As a reset (generation 0 to 1) would leave things if a crash came before the old range was cleared.
  const db = new Level<string, string>(dataDir)
  await db.sublevel('objects').put(`${storageId}/1/9`, '["nine"]')
  await db.sublevel('stores').put(storageId, '{"revision":')
  await db.close()
  const repaired = await durableService(t, dataDir, { repair: true })
  await loaded(repaired.service)
  t.match(repaired.reports.join('\n'), /table bad: its revision record .* is malformed; rebuilt at revision 0, generation 1/)
  t.same(contents(repaired.service, 'bad', 'ordered_set'), [['9', ['nine']]], 'the objects of the newest generation')
  await repaired.service.stop()
  const after = await durableService(t, dataDir)
  await loaded(after.service)
  t.same(contents(after.service, 'bad', 'ordered_set'), [['9', ['nine']]], 'and so after the next start')
  t.same(after.reports, [])
})

t.test('a_truncated_leveldb_log_refuses_the_start_in_one_line_until_repair', async t => {
  const { dataDir } = await twoTables(t)
  const logs = (await readdir(dataDir)).filter(file => file.endsWith('.log'))
  const log = join(dataDir, logs.sort().at(-1)!)
  await truncate(log, (await stat(log)).size - 5)
  const error = await TableService.start(withDefaults({ dataDir })).then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof DataDirError)
  t.match((error as Error).message, /is truncated.*start with --repair/)
  t.notOk((error as Error).message.includes('\n'), 'one line')
  const { service, reports } = await durableService(t, dataDir, { repair: true })
  await loaded(service)
  t.same(await valuesOf(service, 'good', 1), ['one'], 'what LevelDB could read is served')
  t.match(reports.join('\n'), new RegExp(`repair: its LevelDB log ${logs.sort().at(-1)!} is truncated .*: dropped`), 'the repair says what it dropped')
})
