// Paced wakes (src/tables/changes.ts): a busy table's readers are woken at
// most once every watchInterval ms, each time with everything that came
// meanwhile; the first change after a quiet spell goes out at once; and
// many readers are woken no more often than the watch rate allows.
import t from 'tap'
import type { Commit } from '../../src/ets/table.js'
import { ChangeHub, WAKE_BYTES, WAKE_GROUP, Waiters } from '../../src/tables/changes.js'

const INTERVAL = 40

function hub (): ChangeHub {
  return new ChangeHub({ historyEvents: 100_000, historyBytes: 1e9, historyTotalBytes: 1e9, watchLag: 100_000, watchInterval: INTERVAL, watchRate: 0 }, () => 0)
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

/** Waiters whose wakes are scheduled by the test: it reads each wake's delay, and wakes when it likes. */
function recorded (interval: number, rate: number) {
  let scheduled: { wake: () => void; ms: number } | undefined
  const waiters = new Waiters(interval, rate, (wake, ms) => { scheduled = { wake, ms } })
  let wokeAt = -Infinity
  return {
    waiters,
    /**
     * With `readers` waiting, asks for a wake, then wakes them: the wake's
     * delay, and the ms since the last wake when it was asked.
     */
    async round (readers: number): Promise<{ delay: number; since: number }> {
      const woken = Array.from({ length: readers }, () => waiters.wait())
      const since = performance.now() - wokeAt
      waiters.wakeSoon()
      const first = scheduled
      waiters.wakeSoon() // asked again before the wake: still the one wake
      if (first === undefined || scheduled !== first) throw new Error('not one wake scheduled')
      scheduled = undefined
      wokeAt = performance.now()
      first.wake()
      await Promise.all(woken)
      return { delay: first.ms, since }
    },
  }
}

t.test('many_readers_are_woken_no_more_often_than_the_rate_allows_all_together', async t => {
  // interval 10 ms, 10,000 wakes of a reader a second: 100 readers every 10 ms, 500 every 50.
  const paced = recorded(10, 10_000)
  t.equal((await paced.round(500)).delay, 0, 'the first wake after a quiet spell comes on the next turn')
  const spaced = async (readers: number, expected: number, what: string): Promise<void> => {
    const waits = Array.from({ length: readers }, () => paced.waiters.wait())
    t.equal(paced.waiters.gap, expected, `${what}: ${expected} ms between wakes`)
    const { delay, since } = await paced.round(0)
    await Promise.all(waits)
    // The wake comes `expected` ms after the last one: later by `delay` if asked sooner (timers are ms-grained).
    if (delay > 0) t.ok(Math.abs(delay + since - expected) < 2, `${what}: woken ${(delay + since).toFixed(1)} ms after the last wake`)
    else t.ok(since >= expected - 1, `${what}: asked ${since.toFixed(1)} ms after the last wake, woken at once`)
  }
  await spaced(500, 50, '500 readers: 500 / 10,000 s')
  await spaced(100, 10, '100 readers: the interval and the rate agree')
  await spaced(20, 10, '20 readers: the interval')
  await spaced(100_000, 1000, '100,000 readers: never more than a second')
  const unpaced = new Waiters(10, 0)
  for (let i = 0; i < 500; i++) void unpaced.wait()
  t.equal(unpaced.gap, 10, 'rate 0: no bound, the interval alone')
  unpaced.wakeSoon()
})

t.test('a_hub_paces_a_tables_readers_by_its_watch_rate', async t => {
  // 20 readers at 500 wakes a second: every 40 ms, though the interval is 0.
  const changes = new ChangeHub({ historyEvents: 100_000, historyBytes: 1e9, historyTotalBytes: 1e9, watchLag: 100_000, watchInterval: 0, watchRate: 500 }, () => 0)
  const readers = Array.from({ length: 20 }, () => changes.read('t', 0))
  let revision = 0
  const wakes: number[] = []
  for (let wake = 0; wake < 5; wake++) {
    const woken = Promise.all(readers.map(reader => reader.changed()))
    // Writes every turn until the readers are woken.
    const state = { waiting: true }
    void woken.then(() => { state.waiting = false })
    while (state.waiting) {
      changes.publish('t', commit(++revision))
      await new Promise(resolve => setImmediate(resolve))
    }
    wakes.push(performance.now())
    for (const reader of readers) while (reader.next() !== undefined);
  }
  const gaps = wakes.slice(1).map((at, i) => at - wakes[i])
  t.ok(revision > wakes.length * 2, `${revision} writes, ${wakes.length} wakes`)
  // A timer may fire a little early (libuv counts from the time its loop turn began).
  t.ok(Math.min(...gaps) >= 40 * 0.75, `wakes ${Math.min(...gaps).toFixed(1)} ms apart at the least, 40 expected`)
})

t.test('a_wake_of_many_readers_wakes_them_a_group_a_turn_fewer_when_what_came_is_large', async t => {
  const { waiters, round } = recorded(0, 0)
  /** The readers woken by each turn of the event loop, after one wake of `readers`. */
  const turns = async (readers: number, bytes: number): Promise<number[]> => {
    let woken = 0
    const waits = Array.from({ length: readers }, () => waiters.wait().then(() => { woken++ }))
    const counts: number[] = []
    const counting = (async () => {
      for (;;) {
        await new Promise(resolve => setImmediate(resolve))
        counts.push(woken)
        if (counts[counts.length - 1] === readers) return
      }
    })()
    waiters.wakeSoon(bytes)
    await round(0)
    await Promise.all([...waits, counting])
    return counts.filter((n, i) => n > 0 && (i === 0 || n !== counts[i - 1]))
  }
  t.same(await turns(2 * WAKE_GROUP + 50, 0), [WAKE_GROUP, 2 * WAKE_GROUP, 2 * WAKE_GROUP + 50], 'small events: a group a turn, then the rest')
  t.same(await turns(10, 3 * WAKE_BYTES), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'events past WAKE_BYTES: one reader a turn')
  t.same(await turns(10, WAKE_BYTES / 4), [4, 8, 10], 'a quarter of WAKE_BYTES: four a turn')
})
