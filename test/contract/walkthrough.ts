/**
 * The README's walkthrough and one call of every operation, written as a
 * user of a generated client writes them: `openapi-fetch` over the types
 * `openapi-typescript` generates from openapi.yaml (api.d.ts, with the
 * generator's defaults). `tsc -p test/contract` type-checks this file
 * against those types; client.test.ts runs it against a real server.
 */
import { deepEqual, equal, ok } from 'node:assert/strict'
import createClient, { type Client } from 'openapi-fetch'
import type { paths } from './api.js'

export type HeirloomClient = Client<paths>

export function heirloomClient (baseUrl: string, options: { token?: string; fetch?: typeof fetch } = {}): HeirloomClient {
  return createClient<paths>({
    baseUrl,
    fetch: options.fetch,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
  })
}

const table = (name: string): { params: { path: { table: string } } } => ({ params: { path: { table: name } } })

/** The README's walkthrough: create, store, read, delete, describe, the tree, a crash. */
export async function readmeWalkthrough (client: HeirloomClient): Promise<void> {
  const created = await client.POST('/v1/tables', { body: { name: 'users', type: 'bag' } })
  equal(created.response.status, 201)
  equal(created.data?.name, 'users')
  equal(created.data?.heirName, 'table_manager')

  const put = await client.PUT('/v1/tables/{table}/objects/{key}', {
    params: { path: { table: 'users', key: 'alice' } },
    body: { value: { age: 30 } },
  })
  equal(put.response.status, 204)

  const got = await client.GET('/v1/tables/{table}/objects/{key}', { params: { path: { table: 'users', key: 'alice' } } })
  deepEqual(got.data, { key: 'alice', values: [{ age: 30 }] })

  const deleted = await client.DELETE('/v1/tables/{table}/objects/{key}', { params: { path: { table: 'users', key: 'alice' } } })
  equal(deleted.response.status, 204)
  const gone = await client.GET('/v1/tables/{table}/objects/{key}', { params: { path: { table: 'users', key: 'alice' } } })
  equal(gone.response.status, 404)
  equal(gone.error?.code, 'object_not_found')

  const echoed = await client.PUT('/v1/tables/{table}/objects/{key}', {
    params: { path: { table: 'users', key: 'bob' }, header: { prefer: 'return=representation' } },
    body: { value: { age: 25 } },
  })
  deepEqual(echoed.data, { key: 'bob', value: { age: 25 } })

  const info = await client.GET('/v1/tables/{table}', table('users'))
  equal(info.data?.size, 1)
  ok(!Number.isNaN(Date.parse(info.data?.created ?? '')))

  const tree = await client.GET('/v1/processes')
  const tableSup = tree.data?.tree?.children?.find(child => child.name === 'table_sup')
  deepEqual(tableSup?.children?.map(child => child.table), ['users'])

  // The crash demo: the handler dies, the table survives.
  const crashed = await client.POST('/v1/faults/crash', { body: { process: 'table_handler', table: 'users' } })
  equal(crashed.response.status, 202)
  for (;;) {
    const after = await client.GET('/v1/tables/{table}', table('users'))
    if (after.data?.restarts === 1 && after.data.owner !== null) break
  }
  const kept = await client.GET('/v1/tables/{table}/objects/{key}', { params: { path: { table: 'users', key: 'bob' } } })
  deepEqual(kept.data?.values, [{ age: 25 }])
}

/** One call of every operation (the registry's, the tables', health, faults). */
export async function everyOperation (client: HeirloomClient): Promise<void> {
  equal((await client.GET('/healthz')).data?.status, 'ok')
  equal((await client.GET('/readyz')).data?.status, 'ready')
  ok((await client.GET('/metrics', { parseAs: 'text' })).data?.includes('heirloom_http_requests_total'))
  await client.POST('/v1/tables', { body: { name: 'ops', type: 'ordered_set' } })
  deepEqual((await client.GET('/v1/tables')).data?.tables.map(t => t.name).includes('ops'), true)

  const inv = table('ops')
  equal((await client.POST('/v1/tables/{table}/insert', { ...inv, body: { objects: [{ key: 1, value: 'a' }, { key: 2, value: 'b' }] } })).response.status, 204)
  deepEqual((await client.POST('/v1/tables/{table}/insert_new', { ...inv, body: { key: 3, value: 'c' } })).data, { inserted: true, present: [] })
  deepEqual((await client.POST('/v1/tables/{table}/lookup', { ...inv, body: { key: 1 } })).data, { key: 1, values: ['a'] })
  deepEqual((await client.POST('/v1/tables/{table}/member', { ...inv, body: { key: 9 } })).data, { member: false })
  // first and last take no body: the document says it is optional.
  deepEqual((await client.POST('/v1/tables/{table}/first', inv)).data, { key: 1 })
  deepEqual((await client.POST('/v1/tables/{table}/last', inv)).data, { key: 3 })
  deepEqual((await client.POST('/v1/tables/{table}/next', { ...inv, body: { key: 3 } })).data, { end: true })
  deepEqual((await client.POST('/v1/tables/{table}/prev', { ...inv, body: { key: 3 } })).data, { key: 2 })
  // A member with a default is optional in a request: {limit: 2} alone type-checks.
  const page = await client.POST('/v1/tables/{table}/page', { ...inv, body: { limit: 2 } })
  deepEqual(page.data?.objects.map(o => o.key), [1, 2])
  const rest = await client.POST('/v1/tables/{table}/page', { ...inv, body: { limit: 2, cursor: page.data?.cursor } })
  deepEqual(rest.data?.objects.map(o => o.key), [3])
  const selected = await client.POST('/v1/tables/{table}/select', {
    ...inv,
    body: { spec: [{ head: { key: '$1', value: '$2' }, guards: [['>', '$1', 1]], result: '$2' }], limit: 1 },
  })
  deepEqual(selected.data?.results, ['b'])
  const more = await client.POST('/v1/tables/{table}/select', {
    ...inv,
    body: { spec: [{ head: { key: '$1', value: '$2' }, guards: [['>', '$1', 1]], result: '$2' }], continuation: selected.data?.continuation },
  })
  deepEqual(more.data?.results, ['c'])
  deepEqual((await client.POST('/v1/tables/{table}/select_count', { ...inv, body: { spec: [{ head: '_', result: true }] } })).data, { count: 3 })
  deepEqual((await client.POST('/v1/tables/{table}/select_replace', {
    ...inv,
    body: { spec: [{ head: { key: 3, value: '_' }, result: { key: 3, value: 'C' } }] },
  })).data, { replaced: 1 })
  deepEqual((await client.POST('/v1/tables/{table}/update_counter', { ...inv, body: { key: 'n', ops: 5, default: { key: 'n', value: 0 } } })).data, { values: [5] })
  await client.POST('/v1/tables/{table}/insert', { ...inv, body: { key: 'doc', value: { a: 1, b: 2 } } })
  deepEqual((await client.POST('/v1/tables/{table}/merge_patch', { ...inv, body: { key: 'doc', patch: { b: null } } })).data, { key: 'doc', value: { a: 1 } })
  deepEqual((await client.POST('/v1/tables/{table}/take', { ...inv, body: { key: 'n' } })).data, { key: 'n', values: [5] })
  equal((await client.POST('/v1/tables/{table}/delete', { ...inv, body: { key: 'doc' } })).response.status, 204)
  equal((await client.POST('/v1/tables/{table}/delete_object', { ...inv, body: { key: 2, value: 'b' } })).response.status, 204)
  deepEqual((await client.POST('/v1/tables/{table}/batch', {
    ...inv,
    body: { ops: [{ op: 'insert', objects: [{ key: 4, value: 'd' }] }, { op: 'delete', key: 4 }] },
  })).data, { results: [true, true] })
  deepEqual((await client.POST('/v1/tables/{table}/select_delete', { ...inv, body: { spec: [{ head: { key: 1 }, result: true }] } })).data, { deleted: 1 })
  deepEqual((await client.POST('/v1/tables/{table}/select_reverse', { ...inv, body: { spec: [{ head: '_', result: '$_' }], limit: 5 } })).data, { results: [{ key: 3, value: 'C' }] })
  deepEqual((await client.POST('/v1/tables/{table}/match', { ...inv, body: { pattern: { key: '$1', value: 'C' } } })).data, { results: [[3]] })
  deepEqual((await client.POST('/v1/tables/{table}/match_object', { ...inv, body: { pattern: { key: 3 } } })).data, { results: [{ key: 3, value: 'C' }] })
  deepEqual((await client.POST('/v1/tables/{table}/lookup_element', { ...inv, body: { key: 3 } })).data, { value: 'C' })
  deepEqual((await client.POST('/v1/tables/{table}/update_element', { ...inv, body: { key: 3, elements: { value: 'C' } } })).data, { updated: true })
  equal((await client.POST('/v1/tables/{table}/match_delete', { ...inv, body: { pattern: { key: 99 } } })).response.status, 204)

  // The dump is NDJSON: read it as text, one object a line.
  const dump = await client.GET('/v1/tables/{table}/dump', { ...inv, parseAs: 'text' })
  deepEqual(dump.data?.trim().split('\n').map(line => JSON.parse(line)), [{ key: 3, value: 'C' }])
  // A load is NDJSON too: the spec types one line; the serializer writes it as one.
  const loaded = await client.POST('/v1/tables/{table}/load', {
    ...inv,
    body: { key: 5, value: 'e' },
    bodySerializer: line => JSON.stringify(line) + '\n',
    headers: { 'content-type': 'application/x-ndjson' },
  })
  deepEqual({ loaded: loaded.data?.loaded, chunks: loaded.data?.chunks }, { loaded: 1, chunks: 1 })
  // A failed load says how far it got: its problem carries `loaded`, as the spec must allow.
  const failed = await client.POST('/v1/tables/{table}/load', {
    ...inv,
    body: { key: 6, value: 'f' },
    bodySerializer: line => JSON.stringify(line) + '\nnot json\n',
    headers: { 'content-type': 'application/x-ndjson' },
  })
  deepEqual({ code: failed.error?.code, loaded: failed.error?.loaded }, { code: 'bad_request', loaded: 0 })

  equal((await client.POST('/v1/tables/{table}/delete_all_objects', inv)).response.status, 204)
  const renamed = await client.POST('/v1/tables/{table}/rename', { ...inv, body: { name: 'ops2' } })
  equal(renamed.data?.name, 'ops2')
  const poisoned = await client.POST('/v1/faults/poison', { body: { table: 'ops2' } })
  equal(poisoned.response.status, 202)
  const crashedWrite = await client.POST('/v1/tables/{table}/insert', { ...table('ops2'), body: { key: 1, value: 1 } })
  equal(crashedWrite.error?.code, 'process_crashed')
  equal((await client.DELETE('/v1/tables/{table}', table('ops2'))).response.status, 204)
}
