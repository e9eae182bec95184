// Paced wakes (src/tables/changes.ts): a busy table's readers are woken at
// most once every watchInterval ms, each time with everything that came
// meanwhile; the first change after a quiet spell goes out at once.
import t from 'tap'
import type { Commit } from '../../src/ets/table.js'
import { ChangeHub } from '../../src/tables/changes.js'

const INTERVAL = 40

function hub (): ChangeHub {
  return new ChangeHub({ historyEvents: 100_000, historyBytes: 1e9, historyTotalBytes: 1e9, watchLag: 100_000, watchInterval: INTERVAL }, () => 0)
}

const commit = (revision: number): Commit => ({ revision, reset: false, changes: [{ key: 'k', values: [revision] }], bytes: 40 })

t.test('the_first_change_after_a_quiet_spell_wakes_its_reader_at_once', async t => {
  const changes = hub()
  const reader = changes.read('t', 0)
  const woken = reader.changed()
  const published = performance.now()
  changes.publish('t', commit(1))
  await woken
  t.ok(performance.now() - published < INTERVAL, 'woken on the next turn, not after the interval')
  const next = reader.next()
  t.equal(next !== undefined && 'event' in next ? next.event.id : undefined, 1, 'the change')
  t.equal(reader.next(), undefined, 'nothing more')
})

t.test('a_busy_table_wakes_its_readers_at_most_once_per_interval_with_all_that_came', async t => {
  const changes = hub()
  const reader = changes.read('t', 0)
  let revision = 0
  const started = performance.now()
  const run = { writing: true }
  // A write every turn of the event loop for 250 ms.
  const writer = (async () => {
    while (performance.now() - started < 250) {
      changes.publish('t', commit(++revision))
      await new Promise(resolve => setImmediate(resolve))
    }
    run.writing = false
    reader.interrupt()
  })()
  const wakes: number[] = []
  let delivered = 0
  while (run.writing) {
    await reader.changed()
    wakes.push(performance.now())
    for (let next = reader.next(); next !== undefined; next = reader.next()) if ('event' in next) delivered = next.event.id
  }
  await writer
  const gaps = wakes.slice(1, -1).map((at, i) => at - wakes[i])
  t.ok(revision > wakes.length * 2, `${revision} writes, ${wakes.length} wakes: several writes per wake`)
  t.ok(gaps.length >= 2, 'several wakes')
  // A timer may fire a little early (libuv counts from the time its loop turn began); unpaced wakes would be about 0 ms apart.
  t.ok(Math.min(...gaps) >= INTERVAL * 0.75, `wakes ${Math.min(...gaps).toFixed(1)} ms apart at the least, the interval being ${INTERVAL}`)
  t.equal(delivered, revision, 'every write was delivered')
})
