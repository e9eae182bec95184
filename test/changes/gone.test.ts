/**
 * A reader that comes back to a table's name after the table left it
 * (renamed or dropped while the reader was away: a long-poll between two
 * polls, an SSE client reconnecting with Last-Event-ID) is given what it
 * missed and then the end, as if it had never gone; before, it got 404 and
 * could not learn where the table went. Without a revision to resume from,
 * the 404 says where the table went.
 */
import t from 'tap'
import { EventSource } from 'eventsource'
import { HeirloomError } from '../../src/errors.js'
import { ChangeHub, ENDS_KEPT, GONE_KEPT, type StreamReader } from '../../src/tables/changes.js'
import type { TableService } from '../../src/tables/service.js'
import { call } from '../http/client.js'
import { drain, listen, startService, tempDir } from '../helpers.js'

/** The error `watch` throws, as `code: detail`. */
function refusal (service: TableService, table: string, since: number | undefined): string {
  try {
    service.watch(table, since)
  } catch (error) {
    if (error instanceof HeirloomError) return `${error.code}: ${error.message}`
    throw error
  }
  return 'no error'
}

async function writes (service: TableService, table: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await service.write(table, 'insert', { objects: [{ key: i, value: i }] })
}

t.test('a_reader_back_after_a_rename_gets_what_it_missed_then_renamed', async t => {
  const service = await startService(t)
  await service.create('t', 'set')
  await writes(service, 't', 3)
  await service.rename('t', 'u')
  await writes(service, 'u', 2)
  t.same(drain(service.watch('t', 1)), [2, 3, { type: 'renamed', rev: 3, name: 'u' }], 'the events up to the rename, then the end')
  t.same(drain(service.watch('t', 3)), [{ type: 'renamed', rev: 3, name: 'u' }], 'up to date: the end alone')
  t.equal(refusal(service, 't', 4), 'table_not_found: no table t: it was renamed to u at revision 3', 'a revision past the end is not this stream')
  t.equal(refusal(service, 't', undefined), 'table_not_found: no table t: it was renamed to u at revision 3', 'without since: where it went')
  await service.rename('u', 'v')
  t.same(drain(service.watch('t', 2)), [3, { type: 'renamed', rev: 3, name: 'v' }], 'renamed again: the name it has now')
  t.same(drain(service.watch('u', 4)), [5, { type: 'renamed', rev: 5, name: 'v' }])
})

t.test('a_reader_back_after_a_rename_is_told_the_name_the_table_has_when_it_reads_the_end', async t => {
  const service = await startService(t)
  await service.create('t', 'set')
  await writes(service, 't', 3)
  await service.rename('t', 'u')
  const back = service.watch('t', 1)
  await service.rename('u', 'v')
  await service.create('u', 'set')
  t.same(drain(back), [2, 3, { type: 'renamed', rev: 3, name: 'v' }], 'renamed again while it read: v, not the new u')
  t.equal(refusal(service, 't', undefined), 'table_not_found: no table t: it was renamed to v at revision 3')
})

t.test('a_reader_that_comes_while_a_durable_table_is_dropped_starts_from_what_the_disk_has', async t => {
  let held!: () => void
  const batchHeld = new Promise<void>(resolve => { held = resolve })
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  let hold = false
  let attached!: (reader: StreamReader) => void
  const inWindow = new Promise<StreamReader>(resolve => { attached = resolve })
  const service: TableService = await startService(t, {
    storage: { beforeBatch: async () => { if (!hold) return; hold = false; held(); await gate } },
    afterStep: (step, table) => { if (step === 'drop_catalogued' && table === 't') attached(service.watch('t', undefined)) },
  })
  await service.create('t', 'set', 'disk')
  hold = true
  const write = service.write('t', 'insert', { objects: [{ key: 1, value: 1 }] })
  await batchHeld
  const drop = service.drop('t')
  const reader = await inWindow
  t.equal(reader.delivered, 0, 'the write in memory is not on disk yet: the reader starts before it')
  release()
  // Answered before its handler is stopped, or told the table is gone: the drop's race, either way applied.
  t.match(await write.then(() => 'acknowledged', (error: { code: string }) => error.code), /^(acknowledged|table_not_found)$/)
  await drop
  t.same(drain(reader), [1, { type: 'dropped', rev: 1 }], 'then the write, which reached the disk, then the drop')
})

t.test('a_reader_back_after_a_drop_gets_dropped', async t => {
  const service = await startService(t)
  await service.create('t', 'set', 'disk')
  await writes(service, 't', 3)
  await service.drop('t')
  t.same(drain(service.watch('t', 1)), [{ type: 'dropped', rev: 3 }], "the table's events went with it: the end at once")
  t.equal(refusal(service, 't', undefined), 'table_not_found: no table t: it was dropped at revision 3')
  await service.create('other', 'set')
  await service.rename('other', 'renamed')
  await service.drop('renamed')
  t.same(drain(service.watch('other', 0)), [{ type: 'renamed', rev: 0, name: 'renamed' }], 'a table never written has its end too')
  t.same(drain(service.watch('renamed', 0)), [{ type: 'dropped', rev: 0 }])
})

t.test('a_durable_table_never_written_since_its_load_is_dropped_at_its_revision', async t => {
  const dataDir = await tempDir(t)
  const service = await startService(t, { dataDir })
  await service.create('t', 'set', 'disk')
  await writes(service, 't', 2)
  await service.stop()
  const again = await startService(t, { dataDir })
  await again.storage.of('t')!.whenLoaded()
  t.equal(again.revision('t'), 2, 'loaded at its revision')
  await again.drop('t')
  t.same(drain(again.watch('t', 2)), [{ type: 'dropped', rev: 2 }])
})

t.test('a_name_taken_again_is_the_new_table_and_a_drop_of_the_renamed_table_keeps_the_old_names_end', async t => {
  const service = await startService(t)
  await service.create('t', 'set')
  await writes(service, 't', 2)
  await service.rename('t', 'u')
  await service.create('t', 'set')
  t.same(drain(service.watch('t', 0)), [], 'the new t, at its revision 0')
  await service.drop('u')
  t.same(drain(service.watch('u', 1)), [{ type: 'dropped', rev: 2 }])
  await service.drop('t')
  t.same(drain(service.watch('t', 0)), [{ type: 'dropped', rev: 0 }], 'the new t dropped: its own end')
})

t.test('the_hub_remembers_the_last_names_only', async t => {
  const hub = new ChangeHub({ historyEvents: 10, historyBytes: 1e6, historyTotalBytes: 1e6, watchLag: 10, watchInterval: 0, watchRate: 0 }, () => 0)
  for (let i = 0; i <= GONE_KEPT; i++) hub.dropped(`t${i}`)
  t.equal(hub.readGone('t0', 0), undefined, 'the oldest name is forgotten')
  t.same(drain(hub.readGone('t1', 0)!), [{ type: 'dropped', rev: 0 }])
  t.same(drain(hub.readGone(`t${GONE_KEPT}`, 0)!), [{ type: 'dropped', rev: 0 }])
})

t.test('a_table_renamed_again_and_again_keeps_its_last_ends_and_an_older_reader_is_ended_with_overflow', async t => {
  const hub = new ChangeHub({ historyEvents: 10, historyBytes: 1e6, historyTotalBytes: 1e6, watchLag: 10, watchInterval: 0, watchRate: 0 }, () => 0)
  hub.publish('a', { revision: 1, reset: false, changes: [{ key: 'k', values: [1] }], bytes: 10 })
  const early = hub.read('a', 0)
  const renames = ENDS_KEPT + 1
  for (let i = 0; i < renames; i++) hub.renamed(i % 2 === 0 ? 'a' : 'b', i % 2 === 0 ? 'b' : 'a')
  t.same(drain(early), [{ type: 'overflow', rev: 0 }], 'its own end is no longer kept: overflow, to resume from')
  t.same(drain(hub.readGone('a', 0)!), [1, { type: 'renamed', rev: 1, name: 'b' }], 'resuming finds what it missed and where the table went')
  const late = hub.read('b', 1)
  hub.renamed('b', 'c')
  t.same(drain(late), [{ type: 'renamed', rev: 1, name: 'c' }], 'a reader from after the trim gets its end')
})

t.test('a_reader_back_at_the_end_needs_no_history_and_one_behind_it_needs_what_it_missed', async t => {
  const service = await startService(t, { historyEvents: 5 })
  await service.create('t', 'set')
  await writes(service, 't', 3)
  await service.rename('t', 'u')
  await writes(service, 'u', 10)
  t.same(drain(service.watch('t', 3)), [{ type: 'renamed', rev: 3, name: 'u' }], 'up to date at the rename: the end, though u has moved on')
  t.equal(refusal(service, 't', 2).split(':')[0], 'history_compacted', 'revision 3 is no longer kept: refused, not skipped')
})

t.test('a_reader_back_after_more_renames_than_ends_kept_still_gets_what_it_missed', async t => {
  const hub = new ChangeHub({ historyEvents: 10, historyBytes: 1e6, historyTotalBytes: 1e6, watchLag: 10, watchInterval: 0, watchRate: 0 }, () => 0)
  for (let rev = 1; rev <= 3; rev++) hub.publish('n0', { revision: rev, reset: false, changes: [{ key: 'k', values: [rev] }], bytes: 10 })
  for (let i = 0; i <= ENDS_KEPT; i++) hub.renamed(`n${i}`, `n${i + 1}`)
  t.same(drain(hub.readGone('n1', 1)!), [2, 3, { type: 'renamed', rev: 3, name: `n${ENDS_KEPT + 1}` }], 'no gap: the events are kept, the end is known')
})

t.test('over_http_a_long_poll_and_an_eventsource_come_back_to_a_renamed_table', async t => {
  const { url } = await listen(t)
  t.equal((await call(url, 'POST', '/v1/tables', { name: 'users', type: 'set' })).status, 201)
  for (let i = 1; i <= 3; i++) await call(url, 'PUT', `/v1/tables/users/objects/k${i}`, { value: i })
  t.equal((await call(url, 'POST', '/v1/tables/users/rename', { name: 'people' })).status, 200)
  const poll = await call(url, 'GET', '/v1/tables/users/changes?since=2')
  t.equal(poll.status, 200)
  t.same(poll.body.events.map((event: { rev: number }) => event.rev), [3])
  t.same(poll.body.end, { type: 'renamed', rev: 3, name: 'people' })
  const lost = await call(url, 'GET', '/v1/tables/users/changes')
  t.equal(lost.status, 404)
  t.match(lost.body.detail, 'it was renamed to people at revision 3')
  // An EventSource that lost its connection after revision 1 reconnects with Last-Event-ID: 1.
  const source = new EventSource(`${url}/v1/tables/users/changes`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, 'last-event-id': '1' } }),
  })
  t.teardown(() => source.close())
  const seen: string[] = []
  await new Promise<void>((resolve, reject) => {
    source.addEventListener('change', event => seen.push(event.lastEventId))
    source.addEventListener('renamed', event => {
      seen.push(`renamed ${JSON.parse(event.data).name}`)
      source.close()
      resolve()
    })
    source.onerror = () => reject(new Error('the stream failed'))
  })
  t.same(seen, ['2', '3', 'renamed people'])
})
