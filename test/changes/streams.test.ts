// Change streams over a real listening server: the `eventsource` package
// (what browsers and many SDKs use) through a handler crash, long-poll,
// history limits (410), dump-then-watch convergence under writes, slow
// readers ending with `overflow`, heartbeats, and the final renamed /
// dropped events. Every wait is on an event, never on time.
import { request as httpRequest } from 'node:http'
import { EventSource } from 'eventsource'
import t, { type Test } from 'tap'
import { call, until } from '../http/client.js'
import { listen, type TestOptions } from '../helpers.js'

interface Change { rev: number; changes: Array<{ key: unknown; values: unknown[] }>; reset?: true }

/** Applies an event to a reconstruction of the table: each listed key takes its values; a reset empties first. */
function apply (state: Map<string, unknown[]>, change: Change): void {
  if (change.reset === true) state.clear()
  for (const { key, values } of change.changes) {
    if (values.length === 0) state.delete(JSON.stringify(key))
    else state.set(JSON.stringify(key), values)
  }
}

async function dumpOf (url: string, table: string): Promise<{ revision: number; state: Map<string, unknown[]> }> {
  const res = await fetch(`${url}/v1/tables/${table}/dump`)
  const revision = Number(res.headers.get('heirloom-revision'))
  const state = new Map<string, unknown[]>()
  for (const line of (await res.text()).split('\n')) {
    if (line === '') continue
    const { key, value } = JSON.parse(line)
    state.set(JSON.stringify(key), [...state.get(JSON.stringify(key)) ?? [], value])
  }
  return { revision, state }
}

async function withTable (t: Test, options: TestOptions = {}, type = 'bag'): Promise<string> {
  const { url } = await listen(t, options)
  t.equal((await call(url, 'POST', '/v1/tables', { name: 'users', type })).status, 201)
  return url
}

/** Events of an open EventSource, awaited one at a time. */
function eventsOf (source: EventSource, types: string[]): { next: (type?: string) => Promise<MessageEvent> } {
  const queue: MessageEvent[] = []
  const waiters: Array<(e: MessageEvent) => void> = []
  for (const type of types) {
    source.addEventListener(type, event => {
      const waiter = waiters.shift()
      if (waiter) waiter(event)
      else queue.push(event)
    })
  }
  return {
    next: async type => {
      for (;;) {
        const event = queue.shift() ?? await new Promise<MessageEvent>(resolve => waiters.push(resolve))
        if (type === undefined || event.type === type) return event
      }
    },
  }
}

t.test('writes_answer_their_revision_and_table_info_shows_it', async t => {
  const url = await withTable(t)
  const put = await fetch(`${url}/v1/tables/users/objects/a`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"value":1}' })
  t.equal(put.headers.get('heirloom-revision'), '1')
  const unchanged = await call(url, 'POST', '/v1/tables/users/delete', { key: 'absent' })
  t.equal(unchanged.headers.get('heirloom-revision'), '1', 'a write that changed nothing is no new revision')
  const batch = await call(url, 'POST', '/v1/tables/users/batch', { ops: [{ op: 'insert', objects: [{ key: 'b', value: 2 }] }, { op: 'delete', key: 'a' }] })
  t.equal(batch.headers.get('heirloom-revision'), '2', 'a batch is one revision')
  t.equal((await call(url, 'GET', '/v1/tables/users')).body.revision, 2)
})

t.test('an_eventsource_client_follows_a_table_through_a_handler_crash', async t => {
  const url = await withTable(t)
  const source = new EventSource(`${url}/v1/tables/users/changes?since=0`)
  t.teardown(() => source.close())
  const events = eventsOf(source, ['change', 'progress'])
  t.same(JSON.parse((await events.next('progress')).data), { rev: 0 }, 'up to date at revision 0')
  await call(url, 'POST', '/v1/tables/users/insert', { objects: [{ key: 'a', value: 1 }, { key: 'a', value: 2 }] })
  const first = await events.next('change')
  t.equal(first.lastEventId, '1')
  t.same(JSON.parse(first.data), { rev: 1, changes: [{ key: 'a', values: [1, 2] }] })
  t.equal((await call(url, 'POST', '/v1/faults/crash', { process: 'table_handler', table: 'users' })).status, 202)
  await call(url, 'PUT', '/v1/tables/users/objects/b', { value: 3 })
  t.same(JSON.parse((await events.next('change')).data), { rev: 2, changes: [{ key: 'b', values: [3] }] }, 'the stream outlived the handler')
  await call(url, 'POST', '/v1/tables/users/delete_all_objects')
  t.same(JSON.parse((await events.next('change')).data), { rev: 3, changes: [], reset: true })
})

t.test('long_poll_answers_at_once_waits_for_the_first_change_or_times_out_empty', async t => {
  const url = await withTable(t)
  await call(url, 'PUT', '/v1/tables/users/objects/a', { value: 1 })
  t.same((await call(url, 'GET', '/v1/tables/users/changes?since=0')).body, { rev: 1, events: [{ rev: 1, changes: [{ key: 'a', values: [1] }] }] })
  const started = performance.now()
  t.same((await call(url, 'GET', '/v1/tables/users/changes?since=1&wait=0.2')).body, { rev: 1, events: [] })
  t.ok(performance.now() - started >= 190, 'waited for its timeout')
  const waiting = call(url, 'GET', '/v1/tables/users/changes?since=1&wait=30')
  // The write goes after the poll is waiting: its answer names revision 2 either way.
  await call(url, 'PUT', '/v1/tables/users/objects/b', { value: 2 })
  t.same((await waiting).body, { rev: 2, events: [{ rev: 2, changes: [{ key: 'b', values: [2] }] }] })
  t.same((await call(url, 'GET', '/v1/tables/users/changes?since=0&limit=1')).body.events.length, 1, 'limit')
})

t.test('since_older_than_the_history_or_past_the_table_answers_410_with_the_oldest_kept', async t => {
  const url = await withTable(t, { historyEvents: 3 })
  for (let i = 0; i < 5; i++) await call(url, 'PUT', `/v1/tables/users/objects/k${i}`, { value: i })
  const old = await call(url, 'GET', '/v1/tables/users/changes?since=1')
  t.equal(old.status, 410)
  t.match(old.body, { code: 'history_compacted', oldest: 2 })
  t.equal((await call(url, 'GET', '/v1/tables/users/changes?since=2')).body.events.length, 3, 'the oldest kept still serves')
  t.equal((await call(url, 'GET', '/v1/tables/users/changes?since=6')).status, 410, 'a revision the table never reached')
})

t.test('the_history_keeps_at_most_its_bytes_counting_each_event_as_the_objects_it_names', async t => {
  // Each PUT names one object of about 32 + 4 + 1000 bytes: 5 such events pass 4,000 bytes, 3 do not.
  const url = await withTable(t, { historyBytes: 4000 })
  for (let i = 0; i < 8; i++) await call(url, 'PUT', `/v1/tables/users/objects/k${i}`, { value: 'x'.repeat(998) })
  const kept = await call(url, 'GET', '/v1/tables/users/changes?since=5')
  t.equal(kept.status, 200)
  t.same(kept.body.events.map((e: Change) => e.rev), [6, 7, 8])
  const old = await call(url, 'GET', '/v1/tables/users/changes?since=4')
  t.equal(old.status, 410, 'a fourth event of about 1 KB would pass 4,000 bytes')
  t.match(old.body, { code: 'history_compacted', oldest: 5 })
})

t.test('dump_then_watch_from_its_revision_converges_while_writes_run', async t => {
  const url = await withTable(t, {}, 'set')
  const run = { writing: true }
  const writer = (async () => {
    for (let i = 0; run.writing || i < 50; i++) {
      const key = `k${i % 40}`
      if (i % 7 === 3) await call(url, 'POST', '/v1/tables/users/delete', { key })
      else await call(url, 'PUT', `/v1/tables/users/objects/${key}`, { value: i })
    }
  })()
  await until('some writes', async () => (await call(url, 'GET', '/v1/tables/users')).body.revision > 20 ? true : undefined)
  const { revision, state } = await dumpOf(url, 'users')
  run.writing = false
  await writer
  let since = revision
  const final = (await call(url, 'GET', '/v1/tables/users')).body.revision
  while (since < final) {
    const page = (await call(url, 'GET', `/v1/tables/users/changes?since=${since}&limit=7`)).body
    for (const event of page.events) apply(state, event)
    since = page.events.at(-1).rev
  }
  t.same(state, (await dumpOf(url, 'users')).state, 'dump + events = the table')
})

t.test('a_reader_that_stops_reading_ends_with_overflow_naming_the_last_revision_it_was_given', async t => {
  // A history that keeps all 100 events of 64 KiB, so that the reader can resume where it stopped.
  const url = await withTable(t, { watchLag: 20, historyBytes: 16 * 1024 ** 2 })
  const received: string[] = []
  const res = await new Promise<import('node:http').IncomingMessage>(resolve => {
    httpRequest(`${url}/v1/tables/users/changes?since=0`, { headers: { accept: 'text/event-stream' } }, resolve).end()
  })
  res.setEncoding('utf8')
  res.pause()
  // Big values fill the socket's buffers long before 100 events are written.
  const big = 'x'.repeat(64 * 1024)
  for (let i = 0; i < 100; i++) await call(url, 'PUT', `/v1/tables/users/objects/k${i}`, { value: big })
  res.on('data', chunk => received.push(chunk))
  res.resume()
  await new Promise(resolve => res.on('end', resolve))
  const text = received.join('')
  const ids = [...text.matchAll(/^id: (\d+)\nevent: change$/gm)].map(m => Number(m[1]))
  const overflow = /event: overflow\ndata: (.*)\n/.exec(text)
  t.ok(overflow, 'ended with overflow')
  t.ok(ids.length < 100, `stopped early (${ids.length} events)`)
  t.same(ids, ids.map((_, i) => i + 1), 'a gapless prefix')
  t.same(JSON.parse(overflow![1]), { type: 'overflow', rev: ids.at(-1) ?? 0 })
  t.same((await call(url, 'GET', `/v1/tables/users/changes?since=${ids.at(-1) ?? 0}`)).status, 200, 'and resumes from it')
})

t.test('idle_streams_get_heartbeats_and_progress_events', async t => {
  const url = await withTable(t, { heartbeat: 50 })
  const text = await new Promise<string>(resolve => {
    let seen = ''
    httpRequest(`${url}/v1/tables/users/changes`, { headers: { accept: 'text/event-stream' } }, res => {
      res.setEncoding('utf8')
      res.on('data', chunk => {
        seen += chunk
        if ((seen.match(/: heartbeat/g) ?? []).length >= 2) { res.destroy(); resolve(seen) }
      })
    }).end()
  })
  t.match(text, /id: 0\nevent: progress\ndata: \{"rev":0\}/)
  t.ok((text.match(/event: progress/g) ?? []).length >= 2, 'a progress event per idle tick')
})

t.test('rename_and_drop_end_streams_with_a_final_event', async t => {
  const url = await withTable(t)
  const source = new EventSource(`${url}/v1/tables/users/changes`)
  t.teardown(() => source.close())
  const events = eventsOf(source, ['change', 'progress', 'renamed', 'dropped'])
  await events.next('progress')
  await call(url, 'PUT', '/v1/tables/users/objects/a', { value: 1 })
  await call(url, 'POST', '/v1/tables/users/rename', { name: 'people' })
  t.same(JSON.parse((await events.next('change')).data).rev, 1)
  t.same(JSON.parse((await events.next('renamed')).data), { type: 'renamed', rev: 1, name: 'people' })
  source.close()
  const follow = await call(url, 'GET', '/v1/tables/people/changes?since=0')
  t.same(follow.body.events.map((e: Change) => e.rev), [1], 'the history followed the table')
  const dropping = call(url, 'GET', '/v1/tables/people/changes?since=1&wait=30')
  await call(url, 'DELETE', '/v1/tables/people')
  t.same((await dropping).body, { rev: 1, events: [], end: { type: 'dropped', rev: 1 } })
})

t.test('the_lifecycle_stream_tells_a_crash_the_restart_and_the_table_going_to_its_heir_and_back', async t => {
  const url = await withTable(t)
  const since = (await call(url, 'GET', '/v1/changes')).body.rev
  const crashed = (await call(url, 'POST', '/v1/faults/crash', { process: 'table_handler', table: 'users' })).body.crashed[0]
  const types = await until('the restart', async () => {
    const { events } = (await call(url, 'GET', `/v1/changes?since=${since}`)).body
    const seen = events.map((e: { type: string }) => e.type)
    return seen.includes('child_restarted') && seen.filter((s: string) => s === 'table_transferred').length >= 2 ? events : undefined
  })
  t.match(types[0], { type: 'process_crashed', pid: crashed, name: 'table_handler:users', reason: 'Error: fault injected' })
  t.match(types.find((e: { type: string }) => e.type === 'table_transferred'), { table: 'users', from: crashed, inherited: true })
  t.match(types.filter((e: { type: string }) => e.type === 'table_transferred').at(-1), { table: 'users', inherited: false }, 'handed back to the new handler')
})
