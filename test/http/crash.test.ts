// Crashes over a real listening server (plain fetch): tables and
// acknowledged writes outlive their handler and their heir.
import t, { type Test } from 'tap'
import type { Pid } from '../../src/runtime/types.js'
import type { App } from '../../src/server.js'
import { listen } from '../helpers.js'
import { call, until } from './client.js'

interface ProcessNode { pid?: string; name?: string; tables?: string[]; children?: ProcessNode[] }

function findProcess (node: ProcessNode | null | undefined, name: string): ProcessNode | undefined {
  if (!node) return undefined
  if (node.name === name) return node
  for (const child of node.children ?? []) {
    const found = findProcess(child, name)
    if (found) return found
  }
}

const processNamed = async (url: string, name: string): Promise<ProcessNode | undefined> =>
  findProcess((await call(url, 'GET', '/v1/processes')).body.tree, name)

/** The pid of the table's handler once a handler (other than `old`) owns the table. */
const handlerOwning = (url: string, table: string, old?: string): Promise<string> =>
  until(`a new handler owning ${table}`, async () => {
    const handler = await processNamed(url, `table_handler:${table}`)
    const owns = handler?.pid !== undefined && handler.pid !== old && handler.tables?.includes(table)
    return owns ? handler.pid : undefined
  })

async function crash (t: Test, app: App, url: string, body: unknown): Promise<Pid[]> {
  const res = await call(url, 'POST', '/v1/faults/crash', body)
  t.equal(res.status, 202, `crashed ${JSON.stringify(body)}`)
  await Promise.all(res.body.crashed.map((pid: Pid) => app.tables.node.whenExited(pid)))
  return res.body.crashed
}

async function seeded (t: Test, type = 'set'): Promise<{ app: App; url: string; owner: string }> {
  const { app, url } = await listen(t)
  const created = await call(url, 'POST', '/v1/tables', { name: 'users', type })
  t.equal(created.status, 201)
  for (const key of ['ada', 'alan', 'grace']) {
    t.equal((await call(url, 'PUT', `/v1/tables/users/objects/${key}`, { value: { name: key } })).status, 204)
  }
  return { app, url, owner: created.body.owner }
}

/** Every seeded object is there, a new write lands, and the heir is the living manager. */
async function expectWhole (t: Test, app: App, url: string, oldOwner: string): Promise<void> {
  const owner = await handlerOwning(url, 'users', oldOwner)
  for (const key of ['ada', 'alan', 'grace']) {
    t.same((await call(url, 'GET', `/v1/tables/users/objects/${key}`)).body, { key, values: [{ name: key }] }, `${key} survived`)
  }
  t.equal((await call(url, 'PUT', '/v1/tables/users/objects/linus', { value: 1 })).status, 204, 'a new write is accepted')
  t.same((await call(url, 'GET', '/v1/tables/users/objects/linus')).body.values, [1])
  const info = (await call(url, 'GET', '/v1/tables/users')).body
  const manager = await processNamed(url, 'table_manager')
  t.equal(info.owner, owner, 'owned by the new handler')
  t.not(owner, oldOwner, 'the handler pid changed')
  t.equal(info.size, 4)
  t.equal(info.heir, manager?.pid, 'heir is the manager now registered')
  t.ok(app.tables.node.isAlive(info.heir), 'and it is alive')
}

t.test('a_handler_crash_keeps_every_object', async t => {
  const { app, url, owner } = await seeded(t)
  await crash(t, app, url, { process: 'table_handler', table: 'users' })
  await expectWhole(t, app, url, owner)
  t.equal((await call(url, 'GET', '/v1/tables/users')).body.restarts, 1, 'one restart counted')
})

t.test('a_manager_crash_then_a_handler_crash_keeps_every_object', async t => {
  const { app, url, owner } = await seeded(t)
  const [oldManager] = await crash(t, app, url, { process: 'table_manager' })
  await crash(t, app, url, { process: 'table_handler', table: 'users' })
  await expectWhole(t, app, url, owner)
  t.not((await processNamed(url, 'table_manager'))?.pid, oldManager, 'a new manager')
})

t.test('a_manager_and_a_handler_crashed_in_the_same_tick_keep_every_object', async t => {
  const { app, url, owner } = await seeded(t, 'bag')
  const crashed = await crash(t, app, url, [{ process: 'table_manager' }, { process: 'table_handler', table: 'users' }])
  t.equal(crashed.length, 2)
  await expectWhole(t, app, url, owner)
  t.same((await call(url, 'GET', '/v1/processes')).body.holdingPen, {}, 'nothing left in the holding pen')
})

t.test('writes_racing_crashes_are_all_acknowledged_once_and_visible', async t => {
  const { url } = await listen(t)
  // duplicate_bag: a write applied twice would show as two copies.
  t.equal((await call(url, 'POST', '/v1/tables', { name: 'users', type: 'duplicate_bag' })).status, 201)
  const handler = { process: 'table_handler', table: 'users' }
  const manager = { process: 'table_manager' }
  const crashes = [handler, manager, [manager, handler], handler, [handler, manager], manager, handler, [manager, handler]]
  const perRound = 200 / crashes.length
  const writes: Array<Promise<number>> = []
  const crashStatuses: number[] = []
  for (let round = 0; round < crashes.length; round++) {
    for (let i = 0; i < perRound; i++) {
      const key = `k${round}-${i}`
      writes.push(call(url, 'PUT', `/v1/tables/users/objects/${key}`, { value: key }).then(r => r.status))
    }
    // A target mid-restart may be briefly unregistered (404): that round crashes less.
    const res = await call(url, 'POST', '/v1/faults/crash', crashes[round])
    crashStatuses.push(res.status)
  }
  const statuses = await Promise.all(writes)
  t.ok(crashStatuses.every(s => s === 202 || s === 404), `crashes answered ${crashStatuses}`)
  t.ok(crashStatuses.filter(s => s === 202).length >= crashes.length / 2, 'most crashes landed')
  t.same(statuses.filter(s => s !== 204), [], 'every write was acknowledged')
  await handlerOwning(url, 'users')
  const missing: string[] = []
  for (let round = 0; round < crashes.length; round++) {
    for (let i = 0; i < perRound; i++) {
      const key = `k${round}-${i}`
      const got = await call(url, 'GET', `/v1/tables/users/objects/${key}`)
      if (statuses[round * perRound + i] === 204 && JSON.stringify(got.body?.values) !== JSON.stringify([key])) missing.push(`${key}: ${got.status} ${JSON.stringify(got.body)}`)
    }
  }
  t.same(missing, [], 'every acknowledged write is there exactly once')
  t.equal((await call(url, 'GET', '/v1/tables/users')).body.size, statuses.filter(s => s === 204).length, 'and nothing else')
})
