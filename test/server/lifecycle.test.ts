/** Lifecycle and disk faults, for real: SIGTERM under load, SIGKILL, a catalog that cannot be written. */
import { execFileSync } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { handlerName } from '../../src/tables/names.js'
import { exitOf, listening, run } from '../cli.js'
import { build, tempDir } from '../helpers.js'

const send = (method: string, url: string, body?: unknown): Promise<Response> => fetch(url, {
  method,
  headers: body === undefined ? {} : { 'content-type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
  signal: AbortSignal.timeout(10_000),
})

t.test('sigterm_under_load_exits_0_in_time_and_answers_every_request_cleanly', async t => {
  const dataDir = await tempDir(t)
  const child = run(['--port', '0', '--data-dir', dataDir])
  const exited = exitOf(child)
  const url = await listening(child)
  t.equal((await send('POST', `${url}/v1/tables`, { name: 'load' })).status, 201)
  const statuses = new Map<string, number>()
  const count = (outcome: string): void => { statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1) }
  let acknowledged = 0
  let loaded!: () => void
  const underLoad = new Promise<void>(resolve => { loaded = resolve })
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; i < 5000; i++) { // bounded; the server goes away long before
      try {
        const res = await send('PUT', `${url}/v1/tables/load/objects/w${w}-${i}`, { value: i })
        count(String(res.status))
        if (res.status === 204 && ++acknowledged === 300) loaded()
      } catch (error) {
        count((error as Error).name === 'TimeoutError' ? 'hung' : 'connection closed')
        return
      }
    }
  }
  const writers = Array.from({ length: 16 }, (_, w) => writer(w))
  await underLoad
  const signalled = performance.now()
  child.kill('SIGTERM')
  const { code } = await exited
  const took = performance.now() - signalled
  await Promise.all(writers)
  t.equal(code, 0, 'exit 0')
  t.ok(took < 10_000, `closed in ${Math.round(took)} ms`)
  t.notOk(statuses.has('hung'), 'no request hung')
  for (const outcome of statuses.keys()) t.ok(['204', '503', 'connection closed'].includes(outcome), `outcome ${outcome}`)
  t.comment(JSON.stringify(Object.fromEntries(statuses)))
})

t.test('after_sigkill_the_catalog_is_intact', async t => {
  const dataDir = await tempDir(t)
  const child = run(['--port', '0', '--data-dir', dataDir])
  const exited = exitOf(child)
  const url = await listening(child)
  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag']) {
    t.equal((await send('POST', `${url}/v1/tables`, { name: type, type })).status, 201)
  }
  child.kill('SIGKILL')
  t.equal((await exited).signal, 'SIGKILL')
  const app = await build(t, { dataDir })
  t.same((await app.tables.list()).map(info => [info.name, info.type]).sort(),
    [['bag', 'bag'], ['duplicate_bag', 'duplicate_bag'], ['ordered_set', 'ordered_set'], ['set', 'set']])
})

t.test('a_catalog_that_cannot_be_written_answers_503_and_leaves_nothing_half_made', async t => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  t.equal((await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'before' } })).statusCode, 201)
  // Immutable files and directory (root ignores permission bits, not this).
  const files = [dataDir, ...(await readdir(dataDir)).map(f => join(dataDir, f))]
  execFileSync('chattr', ['+i', ...files])
  t.teardown(() => { execFileSync('chattr', ['-i', ...files]) })
  const res = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'after' } })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'catalog_unavailable')
  t.equal(res.headers['retry-after'], '1')
  t.equal(app.tables.node.tables.get('after'), undefined, 'no table')
  t.equal(app.tables.node.whereis(handlerName('after')), undefined, 'no handler')
  t.same((await app.tables.list()).map(info => info.name), ['before'], 'no record')
  t.equal((await app.inject({ method: 'PUT', url: '/v1/tables/before/objects/a', payload: { value: 1 } })).statusCode, 204,
    'writes to existing tables go on (they are in memory)')
})
