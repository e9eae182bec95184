/** GET /metrics: Prometheus text that parses, follows the naming conventions, and counts real crashes. */
import { Registry } from 'prom-client'
import t from 'tap'
import { exposition } from '../../src/metrics.js'
import { TABLES_PER_TURN } from '../../src/tables/service.js'
import { until } from '../http/client.js'
import { listen } from '../helpers.js'
import { type Family, parseExposition, valueOf } from './exposition.js'

async function scrape (url: string, token?: string): Promise<Map<string, Family>> {
  const response = await fetch(`${url}/metrics`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`)
  if (!/^text\/plain; version=0\.0\.4/.test(response.headers.get('content-type') ?? '')) throw new Error(`content-type ${response.headers.get('content-type')}`)
  return parseExposition(await response.text())
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

t.test('the_exposition_parser_refuses_malformed_text', async t => {
  t.throws(() => parseExposition('orphan 1\n'), /no # TYPE/)
  t.throws(() => parseExposition('# TYPE x counter\nx{a="1" 2\n'), /not a sample|bad labels/)
  t.throws(() => parseExposition('# TYPE x counter\nx abc\n'), /bad value/)
  t.equal(valueOf(parseExposition('# TYPE x_total counter\nx_total{k="a\\"b"} 3\n'), 'x_total', { k: 'a"b' }), 3)
})

t.test('metrics_follow_prometheus_naming_conventions', async t => {
  const { url } = await listen(t)
  await fetch(`${url}/v1/tables`)
  const families = await scrape(url)
  for (const family of families.values()) {
    if (!family.name.startsWith('heirloom_')) continue
    t.ok(family.help.length > 0, `${family.name} has help`)
    if (family.type === 'counter') t.match(family.name, /_total$/, `${family.name}: a counter ends in _total`)
    else t.notMatch(family.name, /_total$/, `${family.name}: only counters end in _total`)
    t.notMatch(family.name, /_(ms|milliseconds|kb|mb)$/, `${family.name}: base units`)
  }
  // Node's default metrics, event-loop lag among them.
  t.ok(families.has('nodejs_eventloop_lag_seconds'))
  t.ok(families.has('process_resident_memory_bytes'))
  t.equal(families.get('heirloom_http_request_duration_seconds')?.type, 'histogram')
  t.equal(valueOf(families, 'heirloom_http_requests_total', { method: 'GET', route: '/v1/tables', status: '200' }), 1)
})

t.test('the_latency_histogram_has_cumulative_buckets_that_add_up_to_the_request_count', async t => {
  const { url } = await listen(t)
  for (let i = 0; i < 7; i++) await fetch(`${url}/v1/tables`)
  const families = await scrape(url)
  const labels = { method: 'GET', route: '/v1/tables', status: '200' }
  const samples = families.get('heirloom_http_request_duration_seconds')!.samples
    .filter(s => s.labels.route === labels.route && s.labels.method === labels.method && s.labels.status === labels.status)
  const buckets = samples.filter(s => s.name.endsWith('_bucket'))
  t.ok(buckets.length > 2, 'one sample per bound and +Inf')
  t.equal(buckets.at(-1)!.labels.le, '+Inf')
  const bound = (le: string): number => le === '+Inf' ? Infinity : Number(le)
  for (let i = 1; i < buckets.length; i++) {
    t.ok(bound(buckets[i].labels.le) > bound(buckets[i - 1].labels.le), 'bounds ascend')
    t.ok(buckets[i].value >= buckets[i - 1].value, 'counts are cumulative')
  }
  t.equal(buckets.at(-1)!.value, 7)
  t.equal(samples.find(s => s.name.endsWith('_count'))?.value, 7)
  const sum = samples.find(s => s.name.endsWith('_sum'))!.value
  t.ok(sum > 0 && sum < 7 * 5, 'the sum is the seconds the requests took')
  t.equal(valueOf(families, 'heirloom_http_requests_total', labels), 7)
})

t.test('crash_and_restart_counters_count_a_real_crash_by_kind', async t => {
  const { url } = await listen(t, { faults: true })
  await fetch(`${url}/v1/tables`, json({ name: 'users' }))
  await fetch(`${url}/v1/tables/users/insert`, json({ objects: [{ key: 1, value: 'a' }, { key: 2, value: 'b' }] }))
  await fetch(`${url}/v1/tables/users/lookup`, json({ key: 1 }))
  const before = await scrape(url)
  t.equal(valueOf(before, 'heirloom_process_crashes_total', { kind: 'handler' }), 0)
  t.equal(valueOf(before, 'heirloom_table_objects', { table: 'users' }), 2)
  t.ok(valueOf(before, 'heirloom_table_memory_bytes', { table: 'users' })! > 0)
  t.equal(valueOf(before, 'heirloom_table_operations_total', { table: 'users', access: 'write' }), 1)
  t.equal(valueOf(before, 'heirloom_table_operations_total', { table: 'users', access: 'read' }), 1)
  const sup = valueOf(before, 'heirloom_supervisor_restart_headroom', { supervisor: 'table_sup' })!
  const root = valueOf(before, 'heirloom_supervisor_restart_headroom', { supervisor: 'root' })!

  t.equal((await fetch(`${url}/v1/faults/crash`, json({ process: 'table_handler', table: 'users' }))).status, 202)
  t.equal((await fetch(`${url}/v1/faults/crash`, json({ process: 'table_manager' }))).status, 202)
  const after = await until('both restarts counted', async () => {
    const families = await scrape(url)
    const restarted = (kind: string): number => valueOf(families, 'heirloom_process_restarts_total', { kind }) ?? 0
    return restarted('handler') === 1 && restarted('manager') === 1 ? families : undefined
  })
  t.equal(valueOf(after, 'heirloom_process_crashes_total', { kind: 'handler' }), 1)
  t.equal(valueOf(after, 'heirloom_process_crashes_total', { kind: 'manager' }), 1)
  t.equal(valueOf(after, 'heirloom_process_crashes_total', { kind: 'table_sup' }), 0)
  t.equal(valueOf(after, 'heirloom_table_inheritances_total'), 1, 'the handler\'s table went to its heir')
  t.equal(valueOf(after, 'heirloom_tables_lost_total'), 0)
  t.equal(valueOf(after, 'heirloom_supervisor_restart_headroom', { supervisor: 'table_sup' }), sup - 1)
  t.equal(valueOf(after, 'heirloom_supervisor_restart_headroom', { supervisor: 'root' }), root - 1)
  t.equal(valueOf(after, 'heirloom_holding_pen_tables'), 0)
  t.equal(valueOf(after, 'heirloom_table_objects', { table: 'users' }), 2, 'no object lost')

  // A dropped table's series go.
  await fetch(`${url}/v1/tables/users`, { method: 'DELETE' })
  const dropped = await scrape(url)
  t.equal(valueOf(dropped, 'heirloom_table_objects', { table: 'users' }), undefined)
  t.equal(valueOf(dropped, 'heirloom_table_operations_total', { table: 'users' }), undefined)
  // A drop or a rename stops the table's handler, and its table goes to the heir: not a crash, not counted.
  t.equal((await fetch(`${url}/v1/tables`, json({ name: 'moved' }))).status, 201)
  t.equal((await fetch(`${url}/v1/tables/moved/rename`, json({ name: 'moved2' }))).status, 200)
  const orderly = await scrape(url)
  t.equal(valueOf(orderly, 'heirloom_table_inheritances_total'), 1, 'still the one crash')
  t.equal(valueOf(orderly, 'heirloom_process_crashes_total', { kind: 'handler' }), 1)
})

t.test('unknown_tables_and_routes_add_no_series (labels stay bounded)', async t => {
  const { url } = await listen(t)
  for (let i = 0; i < 20; i++) {
    await fetch(`${url}/v1/tables/nope${i}/lookup`, json({ key: 1 }))
    await fetch(`${url}/nowhere/${i}`)
  }
  const families = await scrape(url)
  t.equal(families.get('heirloom_table_operations_total')?.samples.length ?? 0, 0)
  t.equal(valueOf(families, 'heirloom_http_requests_total', { route: 'unmatched', status: '404' }), 20)
  t.equal(valueOf(families, 'heirloom_http_requests_total', { route: '/v1/tables/:table/lookup', status: '404' }), 20)
})

t.test('requests_refused_before_routing_are_counted (a bad URL encoding)', async t => {
  const { url } = await listen(t)
  for (let i = 0; i < 3; i++) {
    const refused = await fetch(`${url}/v1/tables/t${i}/objects/%E0%A4%A`)
    t.equal(refused.status, 400, await refused.text())
  }
  const families = await scrape(url)
  t.equal(valueOf(families, 'heirloom_http_requests_total', { method: 'GET', route: 'unmatched', status: '400' }), 3)
})

t.test('metrics_need_the_token_when_one_is_set', async t => {
  const { url } = await listen(t, { token: 'tok' })
  t.equal((await fetch(`${url}/metrics`)).status, 401)
  t.ok((await scrape(url, 'tok')).has('heirloom_http_requests_total'))
})

t.test('a_scrape_formats_at_most_TABLES_PER_TURN_tables_a_turn (a scrape of 10,000 tables held the event loop 80 ms)', async t => {
  const tables = Array.from({ length: 2 * TABLES_PER_TURN + 1 }, (_, i) => `t${i}`)
  // A turn counter: each turn of the event loop's check phase adds one, before the scrape's next part.
  let turn = 0
  let ticking = true
  const tick = (): void => {
    turn++
    if (ticking) setImmediate(tick)
  }
  setImmediate(tick)
  const perTurn = new Map<number, number>()
  const values = (table: string): number[] => {
    perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1)
    return [Number(table.slice(1)), 0]
  }
  let text = ''
  const families = [
    { name: 'x_total', help: 'per table and side', type: 'counter' as const, tables, labels: ['side="a"', 'side="b"'], values },
    { name: 'y', help: 'per table', type: 'gauge' as const, tables: tables.slice(0, 3), values: (table: string) => [table.length] },
    // A table gone while the scrape ran (dropped, and forgotten by another scrape): no series, no error.
    { name: 'z', help: 'per table', type: 'gauge' as const, tables: ['t0', 'gone'], values: (table: string) => table === 'gone' ? [] : [1] },
  ]
  for await (const part of exposition(new Registry(), families)) text += part
  ticking = false
  t.same([...perTurn.values()], [TABLES_PER_TURN, TABLES_PER_TURN, 1], 'the tables of x_total, a turn at a time')
  const parsed = parseExposition(text)
  t.equal(parsed.get('x_total')?.samples.length, 2 * tables.length, 'every series, once')
  t.equal(valueOf(parsed, 'x_total', { table: 't2000', side: 'a' }), 2000)
  t.equal(valueOf(parsed, 'x_total', { table: 't2000', side: 'b' }), 0)
  t.same(parsed.get('y')?.samples.map(s => s.value), [2, 2, 2])
  t.same(parsed.get('z')?.samples.map(s => s.labels.table), ['t0'])
})
