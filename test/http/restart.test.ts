// Node restarts: the catalog in LevelDB brings every table back (empty: they
// are memory tables), a dropped table stays gone, and a data directory
// serves one server at a time.
import t from 'tap'
import { withDefaults } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { DataDirError } from '../../src/tables/catalog.js'
import { build, tempDir } from '../helpers.js'
import { expectProblem } from './problem.js'

const TYPES = ['set', 'ordered_set', 'bag', 'duplicate_bag']

t.test('every_table_comes_back_empty_with_a_running_handler', async t => {
  const dataDir = await tempDir(t)
  const first = await buildServer(withDefaults({ dataDir }))
  for (const type of TYPES) {
    t.equal((await first.inject({ method: 'POST', url: '/v1/tables', payload: { name: `t_${type}`, type } })).statusCode, 201)
    await first.inject({ method: 'PUT', url: `/v1/tables/t_${type}/objects/k`, payload: { value: type } })
  }
  const created = (await first.inject({ url: '/v1/tables' })).json().tables
  await first.close()

  const again = await build(t, { dataDir })
  const tables = (await again.inject({ url: '/v1/tables' })).json().tables
  t.same(tables.map((i: any) => [i.name, i.type, i.created]).sort(), created.map((i: any) => [i.name, i.type, i.created]).sort(),
    'same names, types and creation times')
  for (const type of TYPES) {
    const name = `t_${type}`
    const info = (await again.inject({ url: `/v1/tables/${name}` })).json()
    t.equal(info.size, 0, `${name} is empty`)
    t.equal(info.owner, again.tables.node.whereis(`table_handler:${name}`), `${name} is owned by its running handler`)
    t.ok(info.owner, `${name} has an owner`)
    t.equal(info.heir, again.tables.node.whereis('table_manager'))
    await expectProblem(t, await again.inject({ url: `/v1/tables/${name}/objects/k` }), 404, 'object_not_found')
    t.equal((await again.inject({ method: 'PUT', url: `/v1/tables/${name}/objects/k`, payload: { value: 1 } })).statusCode, 204, `${name} takes writes`)
    await expectProblem(t, await again.inject({ method: 'POST', url: '/v1/tables', payload: { name } }), 409, 'table_exists')
  }
  t.same((await again.inject({ url: '/v1/processes' })).json().holdingPen, {})
})

t.test('a_dropped_table_stays_gone_after_a_restart', async t => {
  const dataDir = await tempDir(t)
  const first = await buildServer(withDefaults({ dataDir }))
  await first.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'kept' } })
  await first.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'dropped' } })
  t.equal((await first.inject({ method: 'DELETE', url: '/v1/tables/dropped' })).statusCode, 204)
  await first.close()

  const again = await build(t, { dataDir })
  t.same((await again.inject({ url: '/v1/tables' })).json().tables.map((i: any) => i.name), ['kept'])
  await expectProblem(t, await again.inject({ url: '/v1/tables/dropped' }), 404, 'table_not_found')
  t.equal(again.tables.node.whereis('table_handler:dropped'), undefined, 'no handler for it')
  t.equal((await again.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'dropped' } })).statusCode, 201, 'its name is free')
})

t.test('a_locked_data_dir_fails_with_a_one_line_message_naming_it', async t => {
  const dataDir = await tempDir(t)
  const first = await build(t, { dataDir })
  await first.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const error = await buildServer(withDefaults({ dataDir })).then(() => undefined, (e: unknown) => e)
  t.type(error, DataDirError)
  const message = (error as Error).message
  t.ok(message.includes(dataDir), `names the directory: ${message}`)
  t.notMatch(message, /\n/, 'one line')
  t.equal((await first.inject({ url: '/v1/tables/users' })).statusCode, 200, 'the first server still serves')
  t.equal((await first.inject({ method: 'PUT', url: '/v1/tables/users/objects/k', payload: { value: 1 } })).statusCode, 204)
  await first.close()
  const second = await build(t, { dataDir })
  t.same((await second.inject({ url: '/v1/tables' })).json().tables.map((i: any) => i.name), ['users'], 'free again once the first closed')
})
