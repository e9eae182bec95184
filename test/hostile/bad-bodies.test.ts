/**
 * Bodies made of many small bad parts, against a real server with a
 * 256 MiB heap. zod reports every issue of a body, so before these bounds
 * a 928 KB batch of 1,000 inserts of 300 `{}` (600,000 issues) held the
 * event loop about 4 s and answered 80 MB. Now such a batch is refused
 * before validation, and an answer lists a bounded number of issues.
 */
import t from 'tap'
import { MAX_ISSUES } from '../../src/app.js'
import { MAX_LIST } from '../../src/tables/operations.js'
import { call, hostileServer, LATENCY_BOUND_MS, probeTable, whileProbing } from './support.js'

const RSS_BOUND_MB = 400

t.test('a_batch_of_many_bad_list_elements_is_refused_before_validation_in_a_few_ms', async t => {
  const server = await hostileServer(t)
  const { url } = server
  const other = await probeTable(url)
  await call(url, '/v1/tables', { name: 'big' })
  const op = `{"op":"insert","objects":[${Array(300).fill('{}').join(',')}]}`
  const body = `{"ops":[${Array(1000).fill(op).join(',')}]}`
  const { result, ms, probe } = await whileProbing(url, other, () => call(url, '/v1/tables/big/batch', body))
  t.equal(result.status, 400)
  t.equal(result.json.code, 'limit_exceeded')
  t.match(result.json.detail, `at most ${MAX_LIST} list elements`)
  t.ok(result.bytes < 1000, `a short answer (${result.bytes} bytes)`)
  t.comment(`${body.length} bytes, 300,000 bad objects: ${ms.toFixed(0)} ms, probe p99 ${probe.p99.toFixed(1)} ms, peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  // Parsing 928 KB of JSON into 300,000 objects is most of what is left (about 40 ms here).
  t.ok(probe.p99 < 4 * LATENCY_BOUND_MS, `probe p99 ${probe.p99.toFixed(1)} ms`)
  t.ok(server.peakRssMb() < RSS_BOUND_MB, `peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(server.alive())

  // The bound counts every op's lists: at it a batch is taken, one past it is refused.
  const objects = (from: number, n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ key: from + i, value: i }))
  const ops = (n: number): unknown[] => Array.from({ length: 10 }, (_, i) => ({ op: 'insert', objects: objects(i * 1000, i === 9 ? n - 9000 : 1000) }))
  const over = await call(url, '/v1/tables/big/batch', { ops: ops(MAX_LIST + 1) })
  t.equal(over.status, 400)
  t.match(over.json, { code: 'limit_exceeded', detail: `this one holds ${MAX_LIST + 1}` })
  t.equal((await call(url, '/v1/tables/big')).json.size, 0, 'refused: nothing stored')
  const at = await call(url, '/v1/tables/big/batch', { ops: ops(MAX_LIST) })
  t.equal(at.status, 200)
  t.equal((await call(url, '/v1/tables/big')).json.size, MAX_LIST)
})

t.test('a_body_with_many_issues_is_answered_with_the_first_ones_and_how_many_are_left_out', async t => {
  const server = await hostileServer(t)
  const { url } = server
  const other = await probeTable(url)
  await call(url, '/v1/tables', { name: 'big' })
  // 10,000 objects of a batch's allowance, each missing both members: 20,000 issues.
  const body = `{"ops":[${Array(1000).fill(`{"op":"insert","objects":[${Array(10).fill('{}').join(',')}]}`).join(',')}]}`
  const { result, probe } = await whileProbing(url, other, () => call(url, '/v1/tables/big/batch', body))
  t.equal(result.status, 400)
  t.equal(result.json.code, 'validation_failed')
  t.equal(result.json.issues.length, MAX_ISSUES + 1, 'the first ones, and one that counts the rest')
  t.same(result.json.issues[0], { path: 'body/ops/0/objects/0/key', message: 'a JSON value is required' })
  t.same(result.json.issues[MAX_ISSUES], { path: 'body', message: `and ${20_000 - MAX_ISSUES} more issues, not listed` })
  t.equal(result.json.detail, result.json.issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`).join('; '))
  t.ok(result.bytes < 10_000, `a short answer (${result.bytes} bytes)`)
  t.ok(probe.p99 < 4 * LATENCY_BOUND_MS, `probe p99 ${probe.p99.toFixed(1)} ms: zod still walks 10,000 elements`)
  t.ok(server.alive())
})

t.test('a_batch_that_rewrites_a_large_value_many_times_is_refused_after_16_copies', async t => {
  const server = await hostileServer(t)
  const { url } = server
  await call(url, '/v1/tables', { name: 'wide' })
  // A value of 58,000 members, 522 KB of JSON (just under --max-value-bytes, 512 KiB).
  const names = Array.from({ length: 58_000 }, (_, i) => i.toString(36).padStart(4, '0'))
  const value = Object.fromEntries(names.map(name => [name, 0]))
  t.equal((await call(url, '/v1/tables/wide/insert', { key: 'w', value })).status, 204)
  const steps = {
    update_counter: (i: number) => ({ op: 'update_counter', key: 'w', ops: { incr: 1, path: names[i] } }),
    merge_patch: (i: number) => ({ op: 'merge_patch', key: 'w', patch: { [names[i]]: 1 } }),
    update_element: (i: number) => ({ op: 'update_element', key: 'w', elements: { path: names[i], value: 1 } }),
  }
  for (const [op, step] of Object.entries(steps)) {
    const many = await call(url, '/v1/tables/wide/batch', { ops: Array.from({ length: 1000 }, (_, i) => step(i)) })
    t.equal(many.status, 400, `${op} ×1000: refused`)
    t.match(many.json, { code: 'limit_exceeded', detail: /^ops\[16\] \(\w+\): the write would copy more than \d+ bytes of stored values.*--max-value-bytes/ })
    t.comment(`${op} ×1000 on a 522 KB value: ${many.ms.toFixed(0)} ms, peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
    t.ok(many.ms < 10_000, `answered in ${many.ms.toFixed(0)} ms (the copies of 16 steps)`)
    t.ok(server.alive())
    // Once is always allowed, whatever the size: a single step, or a batch of one.
    t.equal((await call(url, '/v1/tables/wide/batch', { ops: [step(1)] })).status, 200, `${op} once in a batch`)
  }
  const [stored] = (await call(url, '/v1/tables/wide/lookup', { key: 'w' })).json.values
  t.same([stored[names[0]], stored[names[1]], stored[names[2]]], [0, 1, 0], 'the single steps changed it, the refused batches nothing')
  t.ok(server.peakRssMb() < RSS_BOUND_MB, `peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  // Many small values: a thousand steps are fine.
  await call(url, '/v1/tables/wide/insert', { objects: Array.from({ length: 1000 }, (_, i) => ({ key: i, value: { n: 0 } })) })
  const small = await call(url, '/v1/tables/wide/batch', { ops: Array.from({ length: 1000 }, (_, i) => ({ op: 'update_counter', key: i, ops: { incr: 1, path: 'n' } })) })
  t.equal(small.status, 200, '1,000 counters of small values in one batch')
})
