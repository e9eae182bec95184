// Tables over HTTP (inject): create, list, describe, drop, and their errors.
import t from 'tap'
import { build } from '../helpers.js'
import { expectProblem } from './problem.js'

t.test('create_answers_201_with_location_and_info', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users', type: 'bag' } })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/v1/tables/users')
  const info = res.json()
  t.match(info, { name: 'users', type: 'bag', size: 0, memory: Number, owner: /^<0\.\d+\.0>$/, heirName: 'table_manager', protection: 'protected', restarts: 0 })
  t.equal(info.heir, app.tables.node.whereis('table_manager'), 'heir is the living manager')
  t.equal(info.owner, app.tables.node.whereis('table_handler:users'), 'owner is the handler')
  t.ok(!Number.isNaN(Date.parse(info.created)), 'created is a date')
})

t.test('create_defaults_to_set', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'plain' } })
  t.equal(res.statusCode, 201)
  t.equal(res.json().type, 'set')
})

t.test('create_of_a_taken_name_is_409_table_exists', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const res = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users', type: 'bag' } })
  await expectProblem(t, res, 409, 'table_exists')
  const info = (await app.inject({ url: '/v1/tables/users' })).json()
  t.equal(info.type, 'set', 'the existing table is untouched')
})

t.test('create_with_a_bad_body_is_400_validation_failed_with_issues', async t => {
  const app = await build(t)
  const cases = [
    [{}, 'body/name'],
    [{ name: 'ok', type: 'heap' }, 'body/type'],
    [{ name: 42 }, 'body/name'],
    [{ name: '' }, 'body/name'],
    [{ name: '.hidden' }, 'body/name'],
    [{ name: '-dash' }, 'body/name'],
    [{ name: 'has space' }, 'body/name'],
    [{ name: 'a/b' }, 'body/name'],
    [{ name: 'x'.repeat(129) }, 'body/name'],
    [[], 'body'],
  ] as const
  for (const [payload, path] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/tables', payload })
    const body = await expectProblem(t, res, 400, 'validation_failed')
    t.ok(body.issues.some((i: any) => i.path.startsWith(path) && typeof i.message === 'string'), `an issue at ${path} for ${JSON.stringify(payload)}`)
  }
  t.same((await app.inject({ url: '/v1/tables' })).json(), { tables: [] }, 'no table was made')
})

t.test('names_at_the_limits_are_accepted', async t => {
  const app = await build(t)
  for (const name of ['a', '_x', '9lives', 'a.b-c_d', 'x'.repeat(128)]) {
    const res = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name } })
    t.equal(res.statusCode, 201, name)
    t.equal((await app.inject({ url: `/v1/tables/${name}` })).json().name, name)
  }
})

t.test('list_shows_every_table', async t => {
  const app = await build(t)
  t.same((await app.inject({ url: '/v1/tables' })).json(), { tables: [] })
  for (const [name, type] of [['a', 'set'], ['b', 'ordered_set'], ['c', 'bag'], ['d', 'duplicate_bag']]) {
    await app.inject({ method: 'POST', url: '/v1/tables', payload: { name, type } })
  }
  const res = await app.inject({ url: '/v1/tables' })
  t.equal(res.statusCode, 200)
  const tables = res.json().tables
  t.same(tables.map((i: any) => [i.name, i.type]).sort(), [['a', 'set'], ['b', 'ordered_set'], ['c', 'bag'], ['d', 'duplicate_bag']])
})

t.test('describe_shows_size_and_memory', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const before = (await app.inject({ url: '/v1/tables/users' })).json()
  await app.inject({ method: 'PUT', url: '/v1/tables/users/objects/ada', payload: { value: { born: 1815 } } })
  const after = (await app.inject({ url: '/v1/tables/users' })).json()
  t.equal(before.size, 0)
  t.equal(after.size, 1)
  t.ok(after.memory > before.memory, 'memory grows')
})

t.test('describe_or_drop_of_a_missing_table_is_404_table_not_found', async t => {
  const app = await build(t)
  await expectProblem(t, await app.inject({ url: '/v1/tables/nope' }), 404, 'table_not_found')
  await expectProblem(t, await app.inject({ method: 'DELETE', url: '/v1/tables/nope' }), 404, 'table_not_found')
})

t.test('a_bad_table_name_in_the_path_is_400', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/v1/tables/bad%20name' })
  const body = await expectProblem(t, res, 400, 'validation_failed')
  t.match(body.issues, [{ path: 'params/table' }])
})

t.test('drop_removes_table_handler_and_record', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  await app.inject({ method: 'PUT', url: '/v1/tables/users/objects/ada', payload: { value: 1 } })
  const res = await app.inject({ method: 'DELETE', url: '/v1/tables/users' })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  await expectProblem(t, await app.inject({ url: '/v1/tables/users' }), 404, 'table_not_found')
  t.same((await app.inject({ url: '/v1/tables' })).json(), { tables: [] })
  t.equal(app.tables.node.whereis('table_handler:users'), undefined, 'no handler')
  t.equal(app.tables.node.tables.get('users'), undefined, 'no table')
  const again = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  t.equal(again.statusCode, 201, 'the name is free again')
  t.equal(again.json().size, 0, 'and the new table is empty')
})
