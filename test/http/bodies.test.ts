// Request bodies every route refuses before doing anything: wrong media type,
// empty or broken JSON, too large, poisoned; and a refused request changes nothing.
import t from 'tap'
import type { App } from '../../src/server.js'
import { build } from '../helpers.js'
import { expectProblem } from './problem.js'

const raw = (app: App, url: string, payload: string, contentType?: string, method: 'POST' | 'PUT' = 'POST') =>
  app.inject({ method, url, payload, headers: contentType === undefined ? {} : { 'content-type': contentType } })

t.test('a_body_that_is_not_json_is_415_unsupported_media_type', async t => {
  const app = await build(t)
  for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    await expectProblem(t, await raw(app, '/v1/tables', '{"name":"users"}', type), 415, 'unsupported_media_type')
  }
  await expectProblem(t, await raw(app, '/v1/tables/users/objects/k', '{"value":1}', 'application/xml', 'PUT'), 415, 'unsupported_media_type')
})

// The 415 title says the body must be application/json; Fastify's built-in
// text/plain parser turns such a body into a string that then fails the schema.
t.test('a_text_plain_body_is_415_too', async t => {
  const app = await build(t)
  await expectProblem(t, await raw(app, '/v1/tables', '{"name":"users"}', 'text/plain'), 415, 'unsupported_media_type')
})

t.test('json_with_a_charset_is_json', async t => {
  const app = await build(t)
  t.equal((await raw(app, '/v1/tables', '{"name":"users"}', 'application/json; charset=utf-8')).statusCode, 201)
})

t.test('an_empty_or_broken_json_body_is_400_bad_request', async t => {
  const app = await build(t)
  for (const payload of ['', '{', '{"name":', 'nul', "{'name':'x'}"]) {
    await expectProblem(t, await raw(app, '/v1/tables', payload, 'application/json'), 400, 'bad_request')
  }
})

t.test('a_missing_body_is_400', async t => {
  const app = await build(t)
  await expectProblem(t, await app.inject({ method: 'POST', url: '/v1/tables' }), 400, 'validation_failed')
})

t.test('a_body_over_the_limit_is_413_payload_too_large', async t => {
  const app = await build(t, { bodyLimit: 256 })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const big = JSON.stringify({ value: 'x'.repeat(300) })
  await expectProblem(t, await raw(app, '/v1/tables/users/objects/k', big, 'application/json', 'PUT'), 413, 'payload_too_large')
  const fits = JSON.stringify({ value: 'x'.repeat(200) })
  t.equal((await raw(app, '/v1/tables/users/objects/k', fits, 'application/json', 'PUT')).statusCode, 204, 'under the limit passes')
})

t.test('proto_and_constructor_members_are_refused', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  for (const payload of ['{"value":{"__proto__":{"admin":true}}}', '{"value":{"constructor":{"prototype":{"admin":true}}}}']) {
    await expectProblem(t, await raw(app, '/v1/tables/users/objects/k', payload, 'application/json', 'PUT'), 400, 'bad_request')
  }
  t.equal(({} as any).admin, undefined, 'no prototype was polluted')
})

t.test('a_refused_request_changes_nothing', async t => {
  const app = await build(t, { bodyLimit: 256 })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users', type: 'bag' } })
  await app.inject({ method: 'PUT', url: '/v1/tables/users/objects/ada', payload: { value: 1 } })
  const snapshot = async () => ({
    tables: (await app.inject({ url: '/v1/tables' })).json(),
    ada: (await app.inject({ url: '/v1/tables/users/objects/ada' })).json(),
    processes: (await app.inject({ url: '/v1/processes' })).json(),
  })
  const before = await snapshot()
  const refused = [
    await raw(app, '/v1/tables', '{"name":"users","type":"heap"}', 'application/json'),
    await raw(app, '/v1/tables', '{"name":"other","type":"heap"}', 'application/json'),
    await raw(app, '/v1/tables', '{"name":"-x"}', 'application/json'),
    await raw(app, '/v1/tables/users/objects/ada', '{"val":2}', 'application/json', 'PUT'),
    await raw(app, '/v1/tables/users/objects/ada', '{"value":', 'application/json', 'PUT'),
    await raw(app, '/v1/tables/users/objects/ada', '{"value":2}', 'application/xml', 'PUT'),
    await raw(app, '/v1/tables/users/objects/ada', JSON.stringify({ value: 'x'.repeat(300) }), 'application/json', 'PUT'),
    await raw(app, '/v1/faults/crash', '{"process":"table_handler"}', 'application/json'),
    await raw(app, '/v1/faults/crash', '[]', 'application/json'),
  ]
  t.same(refused.map(r => r.statusCode), [400, 400, 400, 400, 400, 415, 413, 400, 400])
  t.same(await snapshot(), before, 'tables, objects and processes are as they were')
})

t.test('a_body_refused_by_a_union_is_told_what_is_wrong_with_its_closest_form', async t => {
  const app = await build(t)
  const issues = async (url: string, payload: unknown): Promise<Array<{ path: string; message: string }>> => {
    const answer = await app.inject({ method: 'POST', url, payload: payload as object })
    t.equal(answer.statusCode, 400, JSON.stringify(payload))
    t.equal(answer.json().code, 'validation_failed')
    t.equal(answer.json().detail, answer.json().issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`).join('; '))
    return answer.json().issues
  }
  // A crash target, or a list of them: an object is told as a target, a list as a list.
  t.match(await issues('/v1/faults/crash', { process: 'bogus' }), [{ path: 'body/process', message: /Expected 'table_manager' \| 'table_handler'/ }])
  t.match(await issues('/v1/faults/crash', [{ process: 'table_manager' }, { process: 'bogus' }]), [{ path: 'body/1/process', message: /Expected 'table_manager'/ }])
  t.same(await issues('/v1/faults/crash', { process: 'table_handler' }), [{ path: 'body/table', message: 'Invalid input: expected string, received undefined' }])
  t.same(await issues('/v1/faults/crash', 5), [{ path: 'body/', message: 'expected object or array' }])
  // Two forms of one type ({key} or {keys}): the one with fewer issues.
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'c' } })
  t.same(await issues('/v1/tables/c/lookup', { keys: [1], x: 2 }), [{ path: 'body/', message: 'Unrecognized key: "x"' }])
  // update_counter's ops: a number, a step or a list of steps.
  t.same(await issues('/v1/tables/c/update_counter', { key: 'k', ops: 'x' }), [{ path: 'body/ops', message: 'expected number or object or array' }])
})

t.test('a_load_line_is_held_to_the_depth_a_json_body_is_held_to', async t => {
  const app = await build(t, { maxDepth: 8 })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'n' } })
  const line = (levels: number): string => JSON.stringify({ key: levels, value: JSON.parse('['.repeat(levels) + ']'.repeat(levels)) })
  const load = (lines: string[]) => app.inject({ method: 'POST', url: '/v1/tables/n/load', payload: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
  // The line's object is a level: a value of 7 arrays is 8 levels deep.
  const within = await load([line(7)])
  t.equal(within.statusCode, 200)
  t.equal(within.json().loaded, 1)
  const deep = await load([line(1), line(8)])
  t.equal(deep.statusCode, 400)
  t.match(deep.json(), { code: 'limit_exceeded', detail: /^line 2 nests deeper than 8 levels \(--max-depth \/ MAX_DEPTH\)$/, loaded: 0 })
  // The same objects as JSON bodies (insert of one {key, value}): taken and refused alike.
  t.equal((await app.inject({ method: 'POST', url: '/v1/tables/n/insert', payload: JSON.parse(line(7)) })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: '/v1/tables/n/insert', payload: JSON.parse(line(8)) })).json().code, 'limit_exceeded')
})

t.test('the_batch_bound_counts_list_arguments_and_the_rewrite_bound_copies_not_replacements', async t => {
  const app = await build(t, { maxValueBytes: 128 })
  const batch = (table: string, ops: unknown[]) => app.inject({ method: 'POST', url: `/v1/tables/${table}/batch`, payload: { ops } })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'b', type: 'bag' } })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 's' } })
  // Array keys, values and patches are terms, not lists: 1,000 deletes of 11-element values, a 10,001-element patch.
  const value = (i: number): number[] => Array.from({ length: 11 }, (_, j) => i + j)
  t.equal((await batch('b', Array.from({ length: 1000 }, (_, i) => ({ op: 'insert', objects: [{ key: 'k', value: value(i) }] })))).statusCode, 200)
  t.equal((await batch('b', Array.from({ length: 1000 }, (_, i) => ({ op: 'delete_object', key: 'k', value: value(i) })))).statusCode, 200, '11,000 array elements in values')
  // With values of at most 128 bytes: 100 counters of 50 keys, and whole-value replacements, are no copies past the bound.
  await app.inject({ method: 'POST', url: '/v1/tables/s/insert', payload: { objects: Array.from({ length: 50 }, (_, i) => ({ key: `c${i}`, value: 0 })) } })
  t.equal((await batch('s', Array.from({ length: 100 }, (_, i) => ({ op: 'update_counter', key: `c${i % 50}`, ops: 1 })))).statusCode, 200, '100 counters')
  const big = { text: 'x'.repeat(100) }
  await app.inject({ method: 'POST', url: '/v1/tables/s/insert', payload: { key: 'big', value: big } })
  t.equal((await batch('s', Array.from({ length: 100 }, () => ({ op: 'update_element', key: 'big', elements: { value: big } })))).statusCode, 200, 'update_element of the whole value')
  t.equal((await batch('s', Array.from({ length: 100 }, () => ({ op: 'merge_patch', key: 'big', patch: 'y'.repeat(100) })))).statusCode, 200, 'merge_patch with a patch that is not an object')
  const copies = await batch('s', Array.from({ length: 100 }, () => ({ op: 'merge_patch', key: 'big', patch: { n: 1 } })))
  t.equal(copies.statusCode, 200, 'the value is now a string: each patch replaces it, nothing is copied')
  await app.inject({ method: 'POST', url: '/v1/tables/s/insert', payload: { key: 'big', value: big } })
  const copied = await batch('s', Array.from({ length: 100 }, () => ({ op: 'merge_patch', key: 'big', patch: { n: 1 } })))
  t.equal(copied.json().code, 'limit_exceeded', 'an object patched 100 times is 100 copies: past 16 × 128 bytes')
})

t.test('the_issue_cap_holds_after_unions_are_told_as_their_branches', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'c' } })
  const res = await app.inject({ method: 'POST', url: '/v1/tables/c/update_counter', payload: { key: 'c', ops: Array(100).fill({}) } })
  t.equal(res.statusCode, 400)
  const { issues } = res.json()
  t.equal(issues.length, 21)
  t.match(issues[20], { path: 'body', message: /^and \d+ more issues, not listed$/ })
  t.equal(Number(/and (\d+) more/.exec(issues[20].message)![1]) + 20, 100, 'counted after the union is told as its list branch')
})
