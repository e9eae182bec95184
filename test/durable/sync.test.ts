/**
 * What each durable mode asks of the disk, and when a write is answered
 * (README, "Durable tables"): a `disk` table's write is answered once a
 * batch holding it was written with LevelDB's `sync` (the log fsync'd), and
 * not before; a `relaxed` table's once a batch holding it was written
 * without sync, and a synced write follows within the sync interval (it
 * syncs the log, everything before it included). Whether LevelDB then
 * calls fdatasync is LevelDB's: `strace -f -e trace=fdatasync` on a server
 * shows one per group. The database is memory-level, which tells what each
 * batch asked and holds batches on cue, as a slow disk would.
 */
import t, { type Test } from 'tap'
import { Catalog } from '../../src/tables/catalog.js'
import type { TableService } from '../../src/tables/service.js'
import { FaultyLevel, type TakenBatch } from '../faulty-level.js'
import { until } from '../http/client.js'
import { startService } from '../helpers.js'
import { loaded } from './support.js'

t.setTimeout(60_000)

/** Where the objects of durable tables and the stores' records live (src/tables/storage.ts). */
const holdsObjects = (batch: TakenBatch): boolean => batch.keys.some(key => key.startsWith('!objects!'))
const isSyncMarker = (batch: TakenBatch): boolean => batch.sync && batch.keys.includes('!stores!.synced')

async function start (t: Test, db: FaultyLevel, syncInterval = 60_000): Promise<TableService> {
  const service = await startService(t, { catalog: await Catalog.over(db as never), storage: { report: () => {}, syncInterval } })
  await loaded(service)
  return service
}

/**
 * Writes one object while the disk holds its batch: says what that batch
 * asked, and whether the write was answered before the batch was let through.
 */
async function writeThroughHeldBatch (db: FaultyLevel, service: TableService, table: string): Promise<{ batch: TakenBatch; answeredEarly: boolean; revision: number }> {
  let release!: () => void
  db.gate = new Promise(resolve => { release = resolve })
  const taken = db.nextBatch(holdsObjects)
  let answered = false
  const write = service.write(table, 'insert', { key: 'a', value: 1 }).then(written => {
    answered = true
    return written
  })
  const batch = await taken
  // Every microtask and the next turn: an answer that did not wait for the disk has come by then.
  await new Promise(resolve => setImmediate(resolve))
  const answeredEarly = answered
  db.gate = undefined
  release()
  return { batch, answeredEarly, revision: (await write).revision }
}

t.test('a_disk_write_is_answered_once_a_synced_batch_holding_it_is_written', async t => {
  const db = new FaultyLevel()
  const service = await start(t, db)
  await service.create('d', 'set', 'disk')
  const { batch, answeredEarly, revision } = await writeThroughHeldBatch(db, service, 'd')
  t.equal(batch.sync, true, 'the batch asks LevelDB to fsync its log')
  t.equal(answeredEarly, false, 'no answer while the batch is being written')
  t.equal(revision, 1, 'answered once it is written')
})

t.test('a_relaxed_write_is_answered_once_written_unsynced_and_a_synced_write_follows', async t => {
  const db = new FaultyLevel()
  const service = await start(t, db, 20)
  await service.create('r', 'set', 'relaxed')
  const { batch, answeredEarly, revision } = await writeThroughHeldBatch(db, service, 'r')
  t.equal(batch.sync, false, 'not fsync\'d write by write')
  t.equal(answeredEarly, false, 'no answer while the batch is being written (it must reach the log: SIGKILL-safe)')
  t.equal(revision, 1)
  // The sync timer does not keep the process alive (a server's listener does): this handle does, until it comes.
  const keepAlive = setInterval(() => {}, 1000)
  const marker = await db.nextBatch(isSyncMarker).finally(() => { clearInterval(keepAlive) })
  t.equal(marker.sync, true, 'the periodic synced write that syncs the log came')
})

t.test('a_create_rename_and_drop_ask_the_disk_to_sync_their_catalog_batch', async t => {
  const db = new FaultyLevel()
  const service = await start(t, db)
  const isCatalog = (batch: TakenBatch): boolean => batch.keys.some(key => key.startsWith('!catalog!'))
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['create', () => service.create('d', 'set', 'disk')],
    ['rename', () => service.rename('d', 'e')],
    ['drop', () => service.drop('e')],
  ]
  for (const [name, step] of steps) {
    const taken = db.nextBatch(isCatalog)
    const batch = await Promise.all([taken, step()]).then(([batch]) => batch)
    t.equal(batch.sync, true, `${name}: its catalog batch asks LevelDB to fsync its log`)
  }
})

t.test('writes_queued_behind_a_batch_go_to_disk_with_those_that_its_answers_bring_in', async t => {
  const db = new FaultyLevel()
  const service = await start(t, db)
  await service.create('d', 'set', 'disk')
  const store = service.storage.of('d')!
  const before = store.batches
  let release!: () => void
  db.gate = new Promise(resolve => { release = resolve })
  const taken = db.nextBatch(holdsObjects)
  // A's answer brings C in, as a client that writes again once answered does.
  let third: Promise<unknown> | undefined
  const first = service.write('d', 'insert', { key: 'a', value: 1 }).then(() => {
    third = service.write('d', 'insert', { key: 'c', value: 3 })
  })
  await taken
  const second = service.write('d', 'insert', { key: 'b', value: 2 })
  for (let turns = 0; store.describe().queued === 0 && turns < 1000; turns++) await Promise.resolve()
  t.equal(store.describe().queued, 1, 'B waits behind the batch of A')
  db.gate = undefined
  release()
  await Promise.all([first, second])
  await third
  t.equal(store.batches - before, 2, 'two batches: A, then B and C together')
  t.equal(store.revision, 3)
})

t.test('a_write_that_an_answer_brings_in_after_the_last_batch_is_written_too', async t => {
  const db = new FaultyLevel()
  const service = await start(t, db)
  await service.create('d', 'set', 'disk')
  const store = service.storage.of('d')!
  // A's answer comes when its batch, the last one queued, is written; it brings C in at once.
  const written: number[] = []
  const first = service.write('d', 'insert', { key: 'a', value: 1 }).then(({ revision }) => {
    written.push(revision)
    return service.write('d', 'insert', { key: 'c', value: 3 })
  })
  // Bounded: a C that no batch ever takes would leave `first` pending.
  await until('C to be written', async () => store.revision === 2 || undefined)
  written.push((await first).revision)
  t.same(written, [1, 2], 'A, then C, each answered once on disk')
})
