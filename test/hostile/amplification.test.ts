/**
 * Classes 1 and 2 of issue 8 against a real server with a 256 MiB heap:
 * a request that names one key many times, a batch that scans many times,
 * result templates that repeat "$_" or a variable, and select_replace that
 * grows a value by sharing. Each gets a bounded answer or a clear 4xx, the
 * server stays alive with a bounded RSS, and /healthz and a read on
 * another table keep answering within the latency bound meanwhile.
 */
import t from 'tap'
import { call, fill, hostileServer, LATENCY_BOUND_MS, probeTable, whileProbing } from './support.js'

const RSS_BOUND_MB = 400

t.test('amplification_by_repetition_lookup_of_one_key_named_many_times_and_a_batch_of_scans', async t => {
  const server = await hostileServer(t)
  const { url } = server
  const other = await probeTable(url)
  await call(url, '/v1/tables', { name: 'dup', type: 'duplicate_bag' })
  await fill(url, 'dup', 5000, i => ({ key: 'k', value: { i, pad: 'x'.repeat(40) } }))
  const keys = Array.from({ length: 10_000 }, () => 'k') // a 60 KB request naming one key 10,000 times
  const { result, ms, probe } = await whileProbing(url, other, () => call(url, '/v1/tables/dup/lookup', { keys }))
  t.equal(result.status, 400, 'refused: the answer would repeat 5000 values 10,000 times')
  t.equal(result.json.code, 'limit_exceeded')
  t.match(result.json.detail, /--max-response-bytes/)
  t.comment(`lookup ×10000 of a 5000-value key: ${ms.toFixed(0)} ms, probe p99 ${probe.p99.toFixed(1)} ms (${probe.samples}; attempts ${probe.attempts.map(p => p.toFixed(0)).join(' ')}), peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(probe.p99 < LATENCY_BOUND_MS, `probe p99 ${probe.p99.toFixed(1)} ms`)

  // Repeated keys that fit are answered in full, each mention with its values.
  const few = await call(url, '/v1/tables/other/lookup', { keys: Array.from({ length: 1000 }, () => 'probe') })
  t.equal(few.status, 200)
  t.equal(few.json.results.length, 1000)
  t.same(few.json.results[999], { key: 'probe', values: [1] })

  // A batch of scans: at most 16 of them; those that delete nothing record nothing to undo.
  await call(url, '/v1/tables', { name: 'wide' })
  await fill(url, 'wide', 10_000, i => ({ key: i, value: i }))
  const scan = { op: 'select_delete', spec: [{ head: { key: '$1' }, guards: [['<', '$1', -1]], result: true }] }
  const many = await call(url, '/v1/tables/wide/batch', { ops: Array.from({ length: 1000 }, () => scan) })
  t.equal(many.status, 400, 'a thousand scans in one batch: refused')
  t.equal(many.json.code, 'limit_exceeded')
  const inserts = Array.from({ length: 900 }, (_, i) => ({ op: 'insert', objects: [{ key: i, value: -i }] }))
  const batch = await call(url, '/v1/tables/wide/batch', { ops: [...Array.from({ length: 16 }, () => scan), ...inserts, { op: 'take', key: 'absent' }] })
  t.equal(batch.status, 200)
  t.equal(batch.json.results.length, 917)
  const fails = await call(url, '/v1/tables/wide/batch', { ops: [...Array.from({ length: 16 }, () => scan), ...inserts, { op: 'update_counter', key: 'absent', ops: 1 }] })
  t.equal(fails.status, 400, 'the last step fails: the whole batch is undone')
  const kept = await call(url, '/v1/tables/wide/lookup', { key: 899 })
  t.same(kept.json.values, [-899], 'the earlier batch stands, the failed one changed nothing')
  t.comment(`batch of 16 empty select_deletes + 900 inserts over 10k objects: ${batch.ms.toFixed(0)} ms; undone: ${fails.ms.toFixed(0)} ms; peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(server.alive(), 'the server is alive')
  t.ok(server.peakRssMb() < RSS_BOUND_MB, `peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
})

t.test('output_amplification_result_templates_and_select_replace_growth', async t => {
  const server = await hostileServer(t)
  const { url } = server
  const other = await probeTable(url)
  await call(url, '/v1/tables', { name: 'src' })
  await fill(url, 'src', 3000, i => ({ key: i, value: 'v'.repeat(1000) }), 500)
  // 6 KB of spec, every object answered 900 times: about 2.7 GB of JSON unbounded.
  const spec = [{ head: '_', result: Array.from({ length: 900 }, () => '$_') }]
  const unbounded = await whileProbing(url, other, () => call(url, '/v1/tables/src/select', { spec }))
  t.equal(unbounded.result.status, 400, 'without a limit: refused, not truncated')
  t.equal(unbounded.result.json.code, 'limit_exceeded')
  t.match(unbounded.result.json.detail, /limit.*continuation/)
  t.comment(`select "$_"×900 over 3000 objects: ${unbounded.ms.toFixed(0)} ms, probe p99 ${unbounded.probe.p99.toFixed(1)} ms (attempts ${unbounded.probe.attempts.map(p => p.toFixed(0)).join(' ')}), peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(unbounded.probe.p99 < LATENCY_BOUND_MS, `probe p99 ${unbounded.probe.p99.toFixed(1)} ms`)

  const paged = await whileProbing(url, other, () => call(url, '/v1/tables/src/select', { spec, limit: 10_000 }))
  t.equal(paged.result.status, 200, 'with a limit: a page that ends early')
  t.ok(paged.result.bytes <= 1024 ** 2 + 1024, `answer of ${paged.result.bytes} bytes`)
  t.ok(paged.result.json.results.length > 0 && paged.result.json.results.length < 3000)
  t.type(paged.result.json.continuation, 'string', 'with a continuation')
  t.ok(paged.probe.p99 < LATENCY_BOUND_MS, `probe p99 ${paged.probe.p99.toFixed(1)} ms (attempts ${paged.probe.attempts.map(p => p.toFixed(0)).join(' ')})`)
  t.comment(`same with limit 10000: ${paged.ms.toFixed(0)} ms, ${(paged.result.bytes / 1024 ** 2).toFixed(1)} MiB answered, probe p99 ${paged.probe.p99.toFixed(1)} ms (attempts ${paged.probe.attempts.map(p => p.toFixed(0)).join(' ')})`)

  // select_replace whose result repeats a bound variable: x100 per call by sharing, until the value limit.
  await call(url, '/v1/tables', { name: 'grow' })
  await call(url, '/v1/tables/grow/objects/g', { value: 'x'.repeat(100) }, 'PUT')
  const grow = [{ head: { key: '$1', value: '$2' }, result: { key: '$1', value: Array.from({ length: 100 }, () => '$2') } }]
  const statuses: number[] = []
  let last
  for (let i = 0; i < 4; i++) {
    last = await call(url, '/v1/tables/grow/select_replace', { spec: grow })
    statuses.push(last.status)
  }
  t.same(statuses, [200, 400, 400, 400], 'grows to 10 KB of JSON, then refused (1 MB would pass 512 KiB)')
  t.equal(last!.json.code, 'limit_exceeded')
  t.match(last!.json.detail, /--max-value-bytes/)
  const stored = await call(url, '/v1/tables/grow/objects/g', undefined, 'GET')
  t.ok(stored.bytes < 512 * 1024, `the value stayed ${stored.bytes} bytes`)
  t.ok(server.alive(), 'the server is alive')
  t.ok(server.peakRssMb() < RSS_BOUND_MB, `peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
})
