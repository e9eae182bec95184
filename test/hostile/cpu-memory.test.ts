/**
 * Classes 3 and 4 of issue 8 against a real server with a 256 MiB heap:
 * match specs with many guard terms (past the limit: refused; within it:
 * scanned in slices), and the memory quota (serialised size, checked with
 * the write's own size, never passed by concurrent writes).
 */
import t from 'tap'
import { call, fill, hostileServer, LATENCY_BOUND_MS, probeTable, whileProbing } from './support.js'

t.test('cpu_per_request_guards_past_the_limit_are_refused_and_scans_within_it_yield', async t => {
  const server = await hostileServer(t)
  const { url } = server
  const other = await probeTable(url)
  await call(url, '/v1/tables', { name: 'scan' })
  await fill(url, 'scan', 20_000, i => ({ key: i, value: { n: i, s: 'x'.repeat(20) } }))
  const guard = (n: number): unknown => ['andalso', ...Array.from({ length: n }, () => ['>=', ['map_get', 'n', '$2'], 0])]
  const huge = [{ head: { key: '$1', value: '$2' }, guards: [guard(20_000)], result: true }]
  const refused = await call(url, '/v1/tables/scan/select_count', { spec: huge })
  t.equal(refused.status, 400)
  t.equal(refused.json.code, 'limit_exceeded')
  t.match(refused.json.detail, /--max-spec-terms/)
  const heavy = [{ head: { key: '$1', value: '$2' }, guards: [guard(130)], result: true }] // ~925 terms
  const { result, ms, probe } = await whileProbing(url, other, () => call(url, '/v1/tables/scan/select_count', { spec: heavy }))
  t.equal(result.status, 200)
  t.equal(result.json.count, 20_000)
  t.comment(`select_count, 925-term guard over 20k objects: ${ms.toFixed(0)} ms, probe p99 ${probe.p99.toFixed(1)} ms (${probe.samples}; attempts ${probe.attempts.map(p => p.toFixed(0)).join(' ')}), peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(probe.p99 < LATENCY_BOUND_MS, `probe p99 ${probe.p99.toFixed(1)} ms`)
  const deleting = await call(url, '/v1/tables/scan/select_delete', { spec: [{ ...heavy[0], guards: [['andalso', guard(128), ['<', '$1', 0]]] }] })
  t.equal(deleting.json.deleted, 0)
  t.comment(`select_delete (atomic, one turn), same spec over 20k objects: ${deleting.ms.toFixed(0)} ms`)
  t.ok(server.alive())
})

t.test('memory_quota_counts_serialised_bytes_and_is_never_passed_by_more_than_one_request', async t => {
  const quota = 4 * 1024 ** 2
  const server = await hostileServer(t, ['--max-memory', String(quota)])
  const { url } = server
  await call(url, '/v1/tables', { name: 'q' })
  // Twenty concurrent writes of 400 KB each: 8 MB asked of a 4 MiB quota.
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    call(url, '/v1/tables/q/insert', { key: i, value: 'x'.repeat(400_000) })))
  const stored = answers.filter(a => a.status === 204).length
  t.ok(answers.every(a => a.status === 204 || a.status === 507), 'stored or 507')
  const info = await call(url, '/v1/tables/q', undefined, 'GET')
  t.ok(info.json.memory <= quota, `memory ${info.json.memory} within the quota (${stored} stored)`)
  t.ok(info.json.memory >= stored * 400_000, 'memory counts the serialised values')
  // select_replace that shares one value many times: counted as serialised, refused past the value limit.
  const shared = await call(url, '/v1/tables/q/select_replace', { spec: [{ head: { key: '$1', value: '$2' }, result: { key: '$1', value: ['$2', '$2'] } }] })
  t.equal(shared.status, 400, 'each value would be 800 KB of JSON')
  t.equal(shared.json.code, 'limit_exceeded')
  const after = await call(url, '/v1/tables/q', undefined, 'GET')
  t.equal(after.json.memory, info.json.memory, 'nothing changed')
  await call(url, '/v1/tables/q/delete', { key: 0 })
  const small = await call(url, '/v1/tables/q/objects/small', { value: 1 }, 'PUT')
  t.ok([204, 507].includes(small.status))
  t.ok(server.alive())
})
