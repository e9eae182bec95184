/** Overload and poison: bounded queues, the memory quota, key and depth limits, a write that crashes its handler. */
import t from 'tap'
import { handlerName } from '../../src/tables/names.js'
import { build, startService, valuesOf } from '../helpers.js'

const json = { 'content-type': 'application/json' }

t.test('a_full_write_queue_answers_503_with_retry_after_and_other_tables_are_unaffected', async t => {
  const service = await startService(t, { maxQueue: 5 })
  await service.create('busy', 'set')
  await service.create('calm', 'set')
  // Issued in one tick: the handler has not run yet, so they queue up.
  const writes = Array.from({ length: 8 }, (_, i) => service.write('busy', 'insert', { objects: [{ key: i, value: i }] }).then(() => 'ok', e => e))
  const calm = service.write('calm', 'insert', { objects: [{ key: 'x', value: 1 }] })
  const outcomes = await Promise.all(writes)
  t.same(outcomes.slice(0, 5), ['ok', 'ok', 'ok', 'ok', 'ok'])
  for (const refused of outcomes.slice(5)) t.match(refused, { code: 'overloaded', status: 503, retryAfter: 1 })
  await calm
  t.equal((await service.info('busy')).size, 5, 'refused writes were not applied')
  t.same(await valuesOf(service, 'calm', 'x'), [1])
})

t.test('past_the_memory_quota_writes_get_507_reads_and_deletes_still_work', async t => {
  const app = await build(t, { maxMemory: 2000 })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'big' } })
  let status = 204
  let i = 0
  while (status === 204 && i < 1000) {
    // Bounded: a quota of 2000 bytes is spent long before 1000 writes.
    const res = await app.inject({ method: 'PUT', url: `/v1/tables/big/objects/k${i++}`, payload: { value: 'x'.repeat(100) } })
    status = res.statusCode
    if (status === 507) {
      t.equal(res.json().code, 'memory_quota')
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    }
  }
  t.equal(status, 507, `refused after ${i} writes`)
  const read = await app.inject({ url: '/v1/tables/big/objects/k0' })
  t.equal(read.statusCode, 200, 'reads keep working')
  const del = await app.inject({ method: 'DELETE', url: '/v1/tables/big/objects/k0' })
  t.equal(del.statusCode, 204, 'deletes keep working')
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})

t.test('a_key_over_the_limit_is_400_limit_exceeded_and_not_stored', async t => {
  const app = await build(t, { maxKeyBytes: 64 })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'k' } })
  const res = await app.inject({ method: 'POST', url: '/v1/tables/k/insert', payload: { key: 'x'.repeat(100), value: 1 } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'limit_exceeded')
  t.equal((await app.tables.info('k')).size, 0)
})

t.test('a_body_nested_past_max_depth_is_400_limit_exceeded', async t => {
  const app = await build(t, { maxDepth: 10 })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'd' } })
  let deep: unknown = 1
  for (let i = 0; i < 20; i++) deep = [deep]
  const res = await app.inject({ method: 'PUT', url: '/v1/tables/d/objects/a', headers: json, payload: JSON.stringify({ value: deep }) })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'limit_exceeded')
  let shallow: unknown = 1
  for (let i = 0; i < 8; i++) shallow = [shallow]
  const ok = await app.inject({ method: 'PUT', url: '/v1/tables/d/objects/a', payload: { value: shallow } })
  t.equal(ok.statusCode, 204)
})

t.test('a_poison_write_fails_once_with_500_and_the_table_survives', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'p', type: 'bag' } })
  await app.inject({ method: 'PUT', url: '/v1/tables/p/objects/a', payload: { value: 1 } })
  const handler = app.tables.node.whereis(handlerName('p'))!
  const armed = await app.inject({ method: 'POST', url: '/v1/faults/poison', payload: { table: 'p' } })
  t.equal(armed.statusCode, 202)
  const exited = app.tables.node.whenExited(handler)
  const poisoned = await app.inject({ method: 'PUT', url: '/v1/tables/p/objects/b', payload: { value: 2 } })
  t.equal(poisoned.statusCode, 500)
  t.equal(poisoned.json().code, 'process_crashed')
  await exited
  const next = await app.inject({ method: 'PUT', url: '/v1/tables/p/objects/c', payload: { value: 3 } })
  t.equal(next.statusCode, 204, 'the restarted handler takes writes')
  t.same((await app.inject({ url: '/v1/tables/p/objects/a' })).json().values, [1], 'earlier writes survive')
  t.equal((await app.inject({ url: '/v1/tables/p/objects/b' })).statusCode, 404, 'the poison write was not applied')
  t.equal((await app.tables.info('p')).restarts, 1)
  t.ok(await app.tables.ready())
})

t.test('a_limit_names_its_flag_and_variable_once_and_counts_in_words', async t => {
  const app = await build(t, { maxTables: 1, maxValueBytes: 64 })
  t.equal((await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'one' } })).statusCode, 201)
  const second = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'two' } })
  t.equal(second.statusCode, 422)
  t.equal(second.json().detail, 'at most 1 table (--max-tables / MAX_TABLES)')
  const big = await app.inject({ method: 'PUT', url: '/v1/tables/one/objects/k', payload: { value: 'v'.repeat(100) } })
  t.equal(big.json().code, 'limit_exceeded')
  t.match(big.json().detail, / \(--max-value-bytes \/ MAX_VALUE_BYTES\)$/)
})
