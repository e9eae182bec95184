// Objects by string key over HTTP (inject): store, look up, delete, and their errors.
import t, { type Test } from 'tap'
import type { App } from '../../src/server.js'
import { build, valuesOf } from '../helpers.js'
import { expectProblem } from './problem.js'

async function withTable (t: Test, type = 'set'): Promise<App> {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users', type } })
  t.equal(res.statusCode, 201, `table users (${type}) created`)
  return app
}

const put = (app: App, key: string, value: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'PUT', url: `/v1/tables/users/objects/${key}`, payload: { value }, headers })

t.test('put_answers_204_and_get_returns_the_values', async t => {
  const app = await withTable(t)
  const res = await put(app, 'ada', { born: 1815, tags: ['math'] })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  const got = await app.inject({ url: '/v1/tables/users/objects/ada' })
  t.equal(got.statusCode, 200)
  t.same(got.json(), { key: 'ada', values: [{ born: 1815, tags: ['math'] }] })
})

t.test('values_of_every_json_type_round_trip', async t => {
  const app = await withTable(t)
  for (const [i, value] of [0, -1.5, true, false, null, 'text', [], [1, [2]], {}, { a: { b: null } }].entries()) {
    t.equal((await put(app, `k${i}`, value)).statusCode, 204)
    t.same((await app.inject({ url: `/v1/tables/users/objects/k${i}` })).json().values, [value], JSON.stringify(value))
  }
})

t.test('prefer_return_representation_answers_200_with_the_object', async t => {
  const app = await withTable(t)
  for (const prefer of ['return=representation', 'respond-async, return=representation', 'return=representation; foo=bar']) {
    const res = await put(app, 'ada', { born: 1815 }, { prefer })
    t.equal(res.statusCode, 200, prefer)
    t.equal(res.headers['preference-applied'], 'return=representation')
    t.same(res.json(), { key: 'ada', value: { born: 1815 } })
  }
  const minimal = await put(app, 'ada', 1, { prefer: 'return=minimal' })
  t.equal(minimal.statusCode, 204, 'return=minimal is the default')
  t.notOk(minimal.headers['preference-applied'])
})

t.test('get_of_a_missing_key_is_404_object_not_found', async t => {
  const app = await withTable(t)
  await expectProblem(t, await app.inject({ url: '/v1/tables/users/objects/nobody' }), 404, 'object_not_found')
})

t.test('object_routes_on_a_missing_table_are_404_table_not_found', async t => {
  const app = await build(t)
  await expectProblem(t, await put(app, 'ada', 1), 404, 'table_not_found')
  await expectProblem(t, await app.inject({ url: '/v1/tables/users/objects/ada' }), 404, 'table_not_found')
  await expectProblem(t, await app.inject({ method: 'DELETE', url: '/v1/tables/users/objects/ada' }), 404, 'table_not_found')
})

t.test('delete_answers_204_whether_or_not_the_key_exists', async t => {
  const app = await withTable(t)
  await put(app, 'ada', 1)
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/tables/users/objects/ada' })).statusCode, 204)
  await expectProblem(t, await app.inject({ url: '/v1/tables/users/objects/ada' }), 404, 'object_not_found')
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/tables/users/objects/ada' })).statusCode, 204, 'again, as ETS')
})

t.test('put_without_a_value_is_400_validation_failed', async t => {
  const app = await withTable(t)
  for (const payload of [{}, { val: 1 }, [], 'x']) {
    const res = await app.inject({ method: 'PUT', url: '/v1/tables/users/objects/ada', payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
    const body = await expectProblem(t, res, 400, 'validation_failed')
    t.ok(body.issues.length > 0, `issues for ${JSON.stringify(payload)}`)
  }
  const noBody = await app.inject({ method: 'PUT', url: '/v1/tables/users/objects/ada' })
  t.equal(noBody.statusCode, 400, 'no body at all')
  t.equal((await app.inject({ url: '/v1/tables/users' })).json().size, 0, 'nothing stored')
})

t.test('url_encoded_keys_are_decoded', async t => {
  const app = await withTable(t)
  const keys = ['a/b', 'ключ 🔑', 'a?b#c', '100%', 'tab\there', ' ', '\u00e9', 'e\u0301']
  for (const key of keys) {
    const url = `/v1/tables/users/objects/${encodeURIComponent(key)}`
    const stored = await app.inject({ method: 'PUT', url, payload: { value: key }, headers: { prefer: 'return=representation' } })
    t.same(stored.json(), { key, value: key }, `stored ${JSON.stringify(key)}`)
    t.same((await app.inject({ url })).json(), { key, values: [key] }, `read ${JSON.stringify(key)}`)
  }
  t.equal((await app.inject({ url: '/v1/tables/users' })).json().size, keys.length, 'one object a key')
  t.same(await valuesOf(app.tables, 'users', 'a/b'), ['a/b'], 'a%2Fb is the key a/b')
})

t.test('the_empty_key_is_a_key', async t => {
  const app = await withTable(t)
  t.equal((await put(app, '', 'empty')).statusCode, 204)
  t.same((await app.inject({ url: '/v1/tables/users/objects/' })).json(), { key: '', values: ['empty'] })
})

t.test('keys_up_to_the_documented_1024_characters_are_accepted', async t => {
  const app = await withTable(t)
  for (const key of ['k'.repeat(101), 'k'.repeat(1024)]) {
    const res = await put(app, key, 1)
    t.equal(res.statusCode, 204, `a key of ${key.length} characters`)
  }
  const tooLong = await put(app, 'k'.repeat(1025), 1)
  await expectProblem(t, tooLong, 400, 'validation_failed')
})

t.test('an_undecodable_key_is_a_problem', async t => {
  const app = await withTable(t)
  await expectProblem(t, await app.inject({ url: '/v1/tables/users/objects/%E0%A4%A' }), 400, 'bad_request')
})
