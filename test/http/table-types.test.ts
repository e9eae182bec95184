// ETS table types as seen through HTTP: what two PUTs under one key leave behind.
import t from 'tap'
import type { App } from '../../src/server.js'
import { build } from '../helpers.js'

async function tableOf (app: App, type: string): Promise<string> {
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: type, type } })
  return `/v1/tables/${type}/objects`
}

async function putAll (app: App, url: string, values: unknown[]): Promise<unknown[]> {
  for (const value of values) await app.inject({ method: 'PUT', url, payload: { value } })
  return (await app.inject({ url })).json().values
}

t.test('set_and_ordered_set_replace_on_insert', async t => {
  const app = await build(t)
  for (const type of ['set', 'ordered_set']) {
    const url = `${await tableOf(app, type)}/k`
    t.same(await putAll(app, url, [1, 2, { a: 1 }]), [{ a: 1 }], type)
  }
})

t.test('bag_keeps_distinct_values_in_insertion_order_and_drops_equal_ones', async t => {
  const app = await build(t)
  const url = `${await tableOf(app, 'bag')}/k`
  t.same(await putAll(app, url, [2, 1, 2, { a: 1, b: 2 }, { b: 2, a: 1 }, 3]), [2, 1, { a: 1, b: 2 }, 3],
    'an equal object (member order aside) is dropped')
  t.equal((await app.inject({ url: '/v1/tables/bag' })).json().size, 4)
})

t.test('duplicate_bag_keeps_identical_copies', async t => {
  const app = await build(t)
  const url = `${await tableOf(app, 'duplicate_bag')}/k`
  t.same(await putAll(app, url, [1, 1, 2, 1]), [1, 1, 2, 1])
  t.equal((await app.inject({ url: '/v1/tables/duplicate_bag' })).json().size, 4)
})

t.test('delete_removes_every_object_of_the_key_in_every_type', async t => {
  const app = await build(t)
  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag']) {
    const objects = await tableOf(app, type)
    await putAll(app, `${objects}/k`, [1, 1, 2])
    await putAll(app, `${objects}/other`, [9])
    t.equal((await app.inject({ method: 'DELETE', url: `${objects}/k` })).statusCode, 204)
    t.equal((await app.inject({ url: `${objects}/k` })).statusCode, 404, `${type}: k is gone`)
    t.same((await app.inject({ url: `${objects}/other` })).json().values, [9], `${type}: other is kept`)
  }
})
