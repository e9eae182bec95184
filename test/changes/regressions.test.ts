// Regressions of the change streams, each named for the behaviour it pins:
// waits that end by timeout hold nothing; one subscriber leaving wakes no
// other; a reader behind a rename gets its events and `renamed`; overflow
// is for a reader that stops reading, and resuming from it makes progress;
// the node stream refuses a resume it cannot serve (too old, or past its
// last id) as the table stream does; bad `since`/`wait`/`Last-Event-ID` is
// 400. Every wait is on an event (or a round trip), never on time.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import type { Commit } from '../../src/ets/table.js'
import { HeirloomError } from '../../src/errors.js'
import { ChangeHub, type Next, Waiters } from '../../src/tables/changes.js'
import { KEPT, LifecycleLog } from '../../src/tables/lifecycle.js'
import { call, until } from '../http/client.js'
import { listen, type TestOptions } from '../helpers.js'

type App = Awaited<ReturnType<typeof listen>>['app']

const commit = (revision: number): Commit => ({ revision, reset: false, changes: [{ key: 'k', values: [revision] }], bytes: 40 })

function hub (limits: { historyEvents?: number; watchLag?: number } = {}): ChangeHub {
  return new ChangeHub({ historyEvents: 1000, historyBytes: 1e9, historyTotalBytes: 1e9, watchLag: 1000, watchInterval: 0, watchRate: 0, ...limits }, () => 0)
}

/** What `next` gave, as plain data: `{ rev }` for an event, the end itself, or undefined. */
const seen = (next: Next): { rev: number } | object | undefined =>
  next === undefined ? undefined : 'event' in next ? { rev: next.event.id } : next.end

async function withTable (t: Test, options: TestOptions = {}): Promise<{ app: App; url: string }> {
  const server = await listen(t, options)
  t.equal((await call(server.url, 'POST', '/v1/tables', { name: 'users', type: 'set' })).status, 201)
  return server
}

/** An SSE stream of `path`, its text so far, and a way to wait for a pattern in it. */
async function openStream (t: Test, url: string, path: string): Promise<{ res: IncomingMessage; seen: () => string; until: (pattern: RegExp) => Promise<void> }> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    httpRequest(url + path, { headers: { accept: 'text/event-stream' } }, resolve).on('error', reject).end()
  })
  t.teardown(() => res.destroy())
  res.setEncoding('utf8')
  let text = ''
  let ended = false
  const waiting: Array<() => void> = []
  const wakeAll = (): void => { for (const wake of waiting.splice(0)) wake() }
  res.on('data', chunk => { text += chunk; wakeAll() })
  res.on('close', () => { ended = true; wakeAll() })
  return {
    res,
    seen: () => text,
    until: async pattern => {
      while (!pattern.test(text)) {
        if (ended) throw new Error(`the stream ended without ${pattern}: ${text.slice(-300)}`)
        await new Promise<void>(resolve => waiting.push(resolve))
      }
    },
  }
}

t.test('waits_that_time_out_or_abort_leave_nothing_held', async t => {
  const waiters = new Waiters()
  for (let i = 0; i < 10_000; i++) {
    const stop = new AbortController()
    const wait = waiters.wait(stop.signal)
    stop.abort()
    await wait
  }
  t.equal(waiters.size, 0, 'aborted waits left the set')
  // Timers of our own: AbortSignal.timeout's do not hold the event loop, and nothing else here does,
  // so the test could end (unfinished) before they fire.
  const timeout = (ms: number): AbortSignal => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), ms)
    return controller.signal
  }
  await Promise.all(Array.from({ length: 1000 }, () => waiters.wait(timeout(1))))
  t.equal(waiters.size, 0, 'timed-out waits left the set')
  const stopped = waiters.wait(undefined, stop => stop())
  await stopped
  t.equal(waiters.size, 0, 'a stopped wait left the set')
})

t.test('many_timed_out_long_polls_on_a_quiet_table_leave_no_waiter_behind', async t => {
  const { app, url } = await withTable(t)
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(Array.from({ length: 50 }, () => call(url, 'GET', '/v1/tables/users/changes?wait=0.001')))
    t.ok(answers.every(a => a.status === 200 && a.body.events.length === 0), `round ${round}: every poll timed out empty`)
  }
  t.equal(app.tables.changes.waiting('users'), 0, 'no wait of the table is held')
  await Promise.all(Array.from({ length: 50 }, () => call(url, 'GET', '/v1/changes?wait=0.001')))
  t.equal(app.tables.lifecycle.waiting, 0, 'no wait of the node stream is held')
})

/**
 * A long-poll with wait=1 s waiting beside an SSE subscriber of the same
 * stream; the subscriber disconnects: the long-poll is still answered only
 * at its deadline.
 */
async function longPollOutlivesADisconnect (t: Test, app: App, url: string, path: string, waiting: () => number): Promise<void> {
  const stream = await openStream(t, url, path)
  await stream.until(/event: progress/)
  // One round trip to the server per look: the subscriber is waiting once its first frame is out.
  const look = async (wanted: (n: number) => boolean): Promise<true | undefined> => {
    await call(url, 'GET', '/v1/tables')
    return wanted(waiting()) ? true : undefined
  }
  await until('the subscriber waiting', () => look(n => n === 1))
  const started = performance.now()
  const polling = call(url, 'GET', `${path}${path.includes('?') ? '&' : '?'}wait=1`)
  let answeredAt: number | undefined
  void polling.then(() => { answeredAt = performance.now() })
  await until('the long-poll waiting too', () => look(n => n === 2))
  stream.res.destroy()
  await until('the subscriber gone', () => look(n => n < 2))
  t.equal(answeredAt, undefined, 'not answered when the other subscriber left')
  const answer = await polling
  t.equal(answer.status, 200)
  t.same(answer.body.events, [], 'nothing came')
  t.ok(answeredAt! - started >= 950, `answered at its deadline (${(answeredAt! - started).toFixed(0)} ms)`)
}

t.test('a_long_poll_is_not_answered_early_when_another_subscriber_of_the_table_disconnects', async t => {
  const { app, url } = await withTable(t)
  await longPollOutlivesADisconnect(t, app, url, '/v1/tables/users/changes', () => app.tables.changes.waiting('users'))
})

t.test('a_long_poll_of_the_node_is_not_answered_early_when_another_subscriber_disconnects', async t => {
  const { app, url } = await withTable(t)
  const since = (await call(url, 'GET', '/v1/changes')).body.rev
  await longPollOutlivesADisconnect(t, app, url, `/v1/changes?since=${since}`, () => app.tables.lifecycle.waiting)
})

t.test('interrupt_stops_only_its_own_readers_wait', async t => {
  const changes = hub()
  const [a, b] = [changes.read('t', 0), changes.read('t', 0)]
  let bWoken = false
  const aWait = a.changed()
  void b.changed().then(() => { bWoken = true })
  a.interrupt()
  await aWait
  t.equal(bWoken, false, 'the other reader still waits')
  t.equal(changes.waiting('t'), 1)
  changes.publish('t', commit(1))
  await until('the change to wake b', async () => bWoken ? true : undefined)
  t.equal(changes.waiting('t'), 0)
})

t.test('a_reader_behind_a_rename_gets_its_remaining_events_then_renamed', async t => {
  const changes = hub({ watchLag: 5 })
  for (let rev = 1; rev <= 4; rev++) changes.publish('a', commit(rev))
  const reader = changes.read('a', 0)
  for (let rev = 1; rev <= 4; rev++) t.same(seen(reader.next()), { rev })
  changes.publish('a', commit(5))
  changes.renamed('a', 'b')
  // Far more than the reader's allowance, all under the new name: none of it is this reader's.
  for (let rev = 6; rev <= 40; rev++) changes.publish('b', commit(rev))
  t.equal(reader.lagging, false, 'one event behind on its own stream')
  t.same(seen(reader.next()), { rev: 5 })
  t.same(seen(reader.next()), { type: 'renamed', rev: 5, name: 'b' })
})

t.test('a_reader_that_stops_reading_behind_a_rename_still_overflows', async t => {
  const changes = hub({ watchLag: 5 })
  const reader = changes.read('a', 0)
  for (let rev = 1; rev <= 10; rev++) changes.publish('a', commit(rev))
  changes.renamed('a', 'b')
  t.same(seen(reader.next()), { type: 'overflow', rev: 0 }, 'ten events came while it did not read, allowance five')
})

t.test('a_reader_that_waits_up_to_date_is_not_ended_for_what_came_before_its_wake', async t => {
  // Pacing holds wakes back (up to a second with many readers): what comes meanwhile is not the reader's backlog.
  const changes = new ChangeHub({ historyEvents: 1000, historyBytes: 1e9, historyTotalBytes: 1e9, watchLag: 5, watchInterval: 0, watchRate: 20 }, () => 0)
  const readers = Array.from({ length: 2 }, () => changes.read('t', 0))
  for (let round = 0; round < 3; round++) {
    const woken = Promise.all(readers.map(reader => reader.changed()))
    for (let i = 0; i < 30; i++) changes.publish('t', commit(round * 30 + i + 1))
    await woken
    for (const reader of readers) {
      t.same(reader.take(1000, Infinity).map(e => e.id), Array.from({ length: 30 }, (_, i) => round * 30 + i + 1), `round ${round}: all 30, allowance 5`)
    }
  }
  // One that stops waiting and reading is ended as before.
  for (let rev = 91; rev <= 100; rev++) changes.publish('t', commit(rev))
  t.same(seen(readers[0].next()), { type: 'overflow', rev: 90 })
})

t.test('a_reader_from_the_history_catches_up_and_resuming_from_an_overflow_makes_progress', async t => {
  const changes = hub({ historyEvents: 1000, watchLag: 50 })
  for (let rev = 1; rev <= 200; rev++) changes.publish('t', commit(rev))
  const fromHistory = changes.read('t', 100)
  t.equal(fromHistory.lagging, false)
  t.same(fromHistory.take(1000, Infinity).map(e => e.id), Array.from({ length: 100 }, (_, i) => 101 + i), 'the 100 events after 100')
  // A reader that stops reading while 60 come (allowance 50) overflows, naming where it was …
  const stopped = changes.read('t', 200)
  for (let rev = 201; rev <= 260; rev++) changes.publish('t', commit(rev))
  t.same(seen(stopped.next()), { type: 'overflow', rev: 200 })
  // … and resuming from there is given the next event, not the same overflow again.
  t.same(seen(changes.read('t', 200).next()), { rev: 201 })
})

t.test('resuming_from_an_overflow_always_makes_progress_or_is_refused (property)', async t => {
  // Writes, reads and pauses at random on a small history with a small allowance: every overflow's
  // revision, resumed from, gives the next event at once, or is refused with history_compacted.
  const step = fc.oneof(fc.record({ write: fc.integer({ min: 1, max: 30 }) }), fc.record({ read: fc.integer({ min: 1, max: 30 }) }))
  fc.assert(fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 0, max: 40 }), (steps, start) => {
    const changes = hub({ historyEvents: 40, watchLag: 10 })
    let revision = 0
    for (; revision < 50; revision++) changes.publish('t', commit(revision + 1))
    let reader = changes.read('t', 10 + start)
    let delivered = 10 + start
    for (const s of steps) {
      if ('write' in s) {
        for (let i = 0; i < s.write; i++) changes.publish('t', commit(++revision))
        continue
      }
      for (let i = 0; i < s.read; i++) {
        const next = reader.next()
        if (next === undefined) break
        if ('event' in next) {
          if (next.event.id !== delivered + 1) throw new Error(`event ${next.event.id} after ${delivered}`)
          delivered = next.event.id
          continue
        }
        if (next.end.type !== 'overflow' || next.end.rev !== delivered) throw new Error(`unexpected end ${JSON.stringify(next.end)}`)
        try {
          reader = changes.read('t', delivered)
        } catch (error) {
          if (!(error instanceof HeirloomError && error.code === 'history_compacted')) throw error
          return
        }
        const first = reader.next()
        if (first === undefined || !('event' in first) || first.event.id !== delivered + 1) throw new Error(`resumed from ${delivered}: ${JSON.stringify(seen(first))}`)
        delivered = first.event.id
      }
    }
  }), { numRuns: 500 })
  t.pass('every resume made progress')
})

t.test('since_inside_the_history_but_beyond_the_lag_allowance_is_served_by_long_poll_and_sse', async t => {
  const { url } = await withTable(t, { historyEvents: 1000, watchLag: 50 })
  for (let i = 1; i <= 200; i++) await call(url, 'PUT', `/v1/tables/users/objects/k${i % 7}`, { value: i })
  const expected = Array.from({ length: 100 }, (_, i) => 101 + i)
  const page = (await call(url, 'GET', '/v1/tables/users/changes?since=100')).body
  t.same(page.events.map((e: { rev: number }) => e.rev), expected, 'long-poll: every event after 100')
  t.equal(page.end, undefined, 'and no overflow')
  const stream = await openStream(t, url, '/v1/tables/users/changes?since=100')
  await stream.until(/id: 200\nevent: change\ndata: .*\n\n/)
  t.same([...stream.seen().matchAll(/^id: (\d+)\nevent: change$/gm)].map(m => Number(m[1])), expected, 'SSE: every event after 100')
  t.notMatch(stream.seen(), /event: overflow/)
})

t.test('the_node_stream_refuses_a_resume_older_than_it_keeps_as_the_table_stream_does', async t => {
  const log = new LifecycleLog(0)
  for (let i = 0; i < KEPT + 10; i++) log.table({ type: 'table_created', table: `t${i}`, tableType: 'set' })
  t.throws(() => log.read(5), { code: 'history_compacted', oldest: 10 })
  t.same(seen(log.read(10).next()), { rev: 11 }, 'the oldest kept still serves')
  // A reader that falls behind what is kept overflows once; resuming from its revision is refused, not the same overflow again.
  const behind = log.read(10)
  for (let i = 0; i < 5; i++) log.table({ type: 'table_dropped', table: `t${i}` })
  t.same(seen(behind.next()), { type: 'overflow', rev: 10 })
  t.throws(() => log.read(10), { code: 'history_compacted', oldest: 15 })

  // A short heartbeat: a stream answered 200 (the bug) sends its headers at the first tick.
  const { app, url } = await listen(t, { heartbeat: 100 })
  for (let i = 0; i < KEPT + 10; i++) app.tables.lifecycle.table({ type: 'table_created', table: `t${i}`, tableType: 'set' })
  const oldest = app.tables.lifecycle.lastId - KEPT
  const poll = await call(url, 'GET', '/v1/changes?since=5')
  t.equal(poll.status, 410)
  t.match(poll.body, { code: 'history_compacted', oldest })
  const sse = await fetch(`${url}/v1/changes`, { headers: { accept: 'text/event-stream', 'last-event-id': '5' } })
  t.equal(sse.status, 410, 'an EventSource resuming from 5 is told, not looped')
  t.equal(sse.headers.get('content-type')?.startsWith('application/problem+json'), true)
  await sse.body?.cancel()
  t.equal((await call(url, 'GET', `/v1/changes?since=${oldest}&limit=1`)).body.events[0].id, oldest + 1)
})

t.test('the_node_stream_refuses_an_id_it_never_reached', async t => {
  const log = new LifecycleLog(0)
  for (let i = 0; i < 9; i++) log.table({ type: 'table_dropped', table: `t${i}` })
  t.throws(() => log.read(11), { code: 'history_compacted' })
  t.same(seen(log.read(9).next()), undefined, 'its last id is up to date')

  const { url } = await listen(t, { heartbeat: 100 })
  const last = (await call(url, 'GET', '/v1/changes')).body.rev
  const past = await call(url, 'GET', `/v1/changes?since=${last + 2}`)
  t.equal(past.status, 410)
  t.match(past.body, { code: 'history_compacted', detail: /past the node's last event/ })
  const sse = await fetch(`${url}/v1/changes`, { headers: { accept: 'text/event-stream', 'last-event-id': String(last + 2) } })
  t.equal(sse.status, 410, 'an EventSource of the server before a restart is told')
  await sse.body?.cancel()
  t.equal((await call(url, 'GET', `/v1/changes?since=${last}`)).status, 200, 'the last id itself is fine')
})

t.test('bad_since_wait_limit_or_last_event_id_is_400_and_changes_nothing', async t => {
  const { app, url } = await withTable(t, { heartbeat: 100 })
  await call(url, 'PUT', '/v1/tables/users/objects/a', { value: 1 })
  const lastNode = (await call(url, 'GET', '/v1/changes')).body.rev
  const queries = ['since=', 'since=%20', 'since=0x1', 'since=1e0', 'since=+1', 'wait=', 'wait=%20', 'wait=1e-3', 'limit=', 'limit=0x10']
  for (const path of ['/v1/tables/users/changes', '/v1/changes']) {
    for (const query of queries) {
      const answer = await call(url, 'GET', `${path}?${query}`)
      t.equal(answer.status, 400, `${path}?${query}`)
      t.equal(answer.headers.get('content-type')?.startsWith('application/problem+json'), true)
      t.equal(answer.body.code, 'validation_failed')
    }
    // Digits out of range are told the bound, not that they are not digits.
    const bounds: Array<[string, RegExp]> = [['wait=61', /wait: .*<=60/], ['limit=0', /limit: .*>=1/], ['limit=10001', /limit: .*<=10000/]]
    for (const [query, detail] of bounds) {
      const answer = await call(url, 'GET', `${path}?${query}`)
      t.equal(answer.status, 400, `${path}?${query}`)
      t.match(answer.body, { code: 'validation_failed', detail }, `${path}?${query} names its bound`)
      t.notMatch(answer.body.detail, /written as digits/, `${path}?${query} is digits`)
    }
    t.match((await call(url, 'GET', `${path}?wait=soon`)).body.detail, /wait: seconds, written as digits/, 'text is told what is wanted')
    t.match((await call(url, 'GET', `${path}?since=1.5`)).body.detail, /since: a revision: a whole number/, 'a fraction is told a whole number is wanted')
    t.match((await call(url, 'GET', `${path}?limit=2.5`)).body.detail, /limit: a count: a whole number/)
    for (const id of ['garbage', '1x', '-1', '1.5', '12345678901234567']) {
      for (const accept of ['application/json', 'text/event-stream']) {
        const res = await fetch(url + path, { headers: { accept, 'last-event-id': id } })
        t.equal(res.status, 400, `${path} Last-Event-ID ${JSON.stringify(id)} (${accept})`)
        if (res.status === 400) t.match(JSON.parse(await res.text()), { code: 'validation_failed', detail: /last-event-id/ })
        else await res.body?.cancel()
      }
    }
  }
  t.equal((await call(url, 'GET', '/v1/tables/users')).body.revision, 1, 'the table is as it was')
  t.equal(app.tables.changes.waiting('users') + app.tables.lifecycle.waiting, 0, 'no reader left waiting')
  t.equal((await call(url, 'GET', '/v1/changes')).body.rev, lastNode, 'the node saw nothing new')
  // Good input still works: digits, an empty Last-Event-ID (none), and Last-Event-ID beside since.
  t.same((await call(url, 'GET', '/v1/tables/users/changes', undefined, { 'last-event-id': '0' })).body.events.map((e: { rev: number }) => e.rev), [1])
  t.same((await call(url, 'GET', '/v1/tables/users/changes', undefined, { 'last-event-id': '' })).body, { rev: 1, events: [] })
  t.same((await call(url, 'GET', '/v1/tables/users/changes?since=1&wait=0.01&limit=5')).body, { rev: 1, events: [] })
})

t.test('past max_streams a stream or a waiting long-poll is 503 too_many_streams, and a closed one frees its place', async t => {
  const { url } = await withTable(t, { maxStreams: 2 })
  const first = await openStream(t, url, '/v1/tables/users/changes')
  await first.until(/event: progress/)
  const second = await openStream(t, url, '/v1/changes')
  await second.until(/event: progress/)
  for (const [path, headers] of [
    ['/v1/tables/users/changes', { accept: 'text/event-stream' }],
    ['/v1/tables/users/changes?wait=1', {}],
    ['/v1/changes?wait=1', {}],
  ] as const) {
    // Its head only: a stream that opened (the limit not kept) must not hold the test.
    const opened = new AbortController()
    const res = await fetch(url + path, { headers, signal: opened.signal })
    t.equal(res.status, 503, path)
    if (res.status !== 503) {
      opened.abort()
      continue
    }
    const body = await res.json() as { code: string; detail: string }
    t.equal(body.code, 'too_many_streams')
    t.equal(res.headers.get('retry-after'), '1')
    t.match(body.detail, /2 change streams/)
  }
  t.equal((await call(url, 'GET', '/v1/tables/users/changes')).status, 200, 'a long-poll that does not wait is an ordinary read: served')
  first.res.destroy()
  const freed = await until('a place freed', async () => {
    const answer = await call(url, 'GET', '/v1/tables/users/changes?wait=0.001')
    return answer.status === 200 ? answer : undefined
  })
  t.same(freed.body.events, [])
})

t.test('a_long_poll_whose_client_went_frees_its_place_at_once_not_when_its_wait_ends', async t => {
  const { url } = await withTable(t, { maxStreams: 1 })
  const quick = (): Promise<{ status: number }> => call(url, 'GET', '/v1/tables/users/changes?wait=0.001')
  const gone = new AbortController()
  const abandoned = fetch(`${url}/v1/tables/users/changes?wait=60`, { signal: gone.signal }).catch(() => 'aborted')
  await until('the long-poll holding the one place', async () => (await quick()).status === 503 ? true : undefined)
  gone.abort()
  t.equal(await abandoned, 'aborted')
  const freed = await until('its place freed', async () => {
    const answer = await quick()
    return answer.status === 200 ? answer : undefined
  })
  t.equal(freed.status, 200)
})

t.test('a_waiting_long_poll_is_answered_at_once_when_the_server_closes', async t => {
  const { app, url } = await withTable(t, { maxStreams: 1 })
  const waiting = call(url, 'GET', '/v1/tables/users/changes?wait=20')
  await until('the long-poll waiting', async () => (await call(url, 'GET', '/v1/tables/users/changes?wait=0.001')).status === 503 ? true : undefined)
  const closing = performance.now()
  const closed = app.close()
  const answer = await waiting
  const after = performance.now() - closing
  t.equal(answer.status, 200)
  t.same(answer.body, { rev: 0, events: [] }, 'what it had: nothing')
  t.ok(after < 10_000, `answered ${after.toFixed(0)} ms into the close, not at the end of its 20 s wait`)
  await closed
})

t.test('a client of the node stream before a restart is told, even once the new run has more events than the old one', async t => {
  const before = await listen(t, { heartbeat: 100 })
  const lastBefore = (await call(before.url, 'GET', '/v1/changes')).body.rev as number
  await before.app.close()
  const after = await listen(t, { heartbeat: 100 })
  // Ids numbered from 1 in each run would have met: the new run passes the old one's last id.
  for (let i = 0; after.app.tables.lifecycle.lastId - after.app.tables.lifecycle.oldest < 50; i++) {
    await after.app.tables.create(`t${i}`, 'set')
  }
  t.ok(after.app.tables.lifecycle.oldest > lastBefore, 'the new run numbers past the old one')
  const resumed = await call(after.url, 'GET', `/v1/changes?since=${lastBefore}`)
  t.equal(resumed.status, 410, 'resuming from the old run is refused, not a silent skip')
  t.match(resumed.body, { code: 'history_compacted', oldest: after.app.tables.lifecycle.oldest })
  const sse = await fetch(`${after.url}/v1/changes`, { headers: { accept: 'text/event-stream', 'last-event-id': String(lastBefore) } })
  t.equal(sse.status, 410, 'an EventSource reconnecting after the restart is told')
  await sse.body?.cancel()
})
