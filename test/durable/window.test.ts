/**
 * The window between a durable write's memory update and its fsync (README,
 * Durable tables): a reader may see the write before its writer has a 2xx;
 * the revision in table info is the acknowledged one; a write undone by a
 * failed disk write disappears again. The batch is held in the fault hook,
 * so the window is as long as the test wants, with no sleep.
 */
import t from 'tap'
import { until } from '../http/client.js'
import { tempDir, valuesOf } from '../helpers.js'
import { durableService, loaded } from './support.js'

t.test('a_reader_may_see_a_durable_write_before_its_writer_is_answered', async t => {
  let release!: (fail: boolean) => void
  let held = false
  let reached!: () => void
  /** Holds the next batch in the hook; resolves once it is there. */
  const hold = (): Promise<void> => {
    held = true
    return new Promise<void>(resolve => { reached = resolve })
  }
  const beforeBatch = async (): Promise<void> => {
    if (!held) return
    held = false
    const fail = await new Promise<boolean>(resolve => { release = resolve; reached() })
    if (fail) throw new Error('disk gone')
  }
  const { service } = await durableService(t, await tempDir(t), { storage: { beforeBatch } })
  await loaded(service)
  await service.create('d', 'set', 'disk')
  await service.write('d', 'insert', { key: 'a', value: 1 })

  const inHook = hold()
  let answered = false
  const write = service.write('d', 'insert', { key: 'a', value: 2 }).finally(() => { answered = true })
  await inHook
  t.same(await valuesOf(service, 'd', 'a'), [2], 'the reader sees the write')
  t.notOk(answered, 'before the writer is answered')
  t.equal((await service.info('d')).revision, 1, 'table info shows the acknowledged revision')
  release(false)
  t.equal((await write).revision, 2)
  t.equal((await service.info('d')).revision, 2)

  const inHookAgain = hold()
  const undone = service.write('d', 'insert', { key: 'a', value: 3 }).then(() => 'stored', (e: { code: string }) => e.code)
  await inHookAgain
  t.same(await valuesOf(service, 'd', 'a'), [3], 'seen in the window…')
  release(true)
  t.equal(await undone, 'storage_unavailable')
  await until('memory to agree with disk', async () => service.storage.of('d')!.state === 'ready' || undefined)
  t.same(await valuesOf(service, 'd', 'a'), [2], '…and gone once the disk write failed')
})
