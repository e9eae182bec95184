// Issue 13's routes over HTTP: what they answer, their 4xx problems (with
// nothing changed), and the limits that bound them.
import t from 'tap'
import type { App } from '../../src/server.js'
import { build } from '../helpers.js'

async function post (app: App, path: string, payload?: unknown): Promise<{ status: number; body: any }> {
  const answer = await app.inject({ method: 'POST', url: `/v1/tables/${path}`, payload: payload as object })
  return { status: answer.statusCode, body: answer.body === '' ? undefined : answer.json() }
}

async function filled (app: App, name: string, type: string, objects: unknown[]): Promise<void> {
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name, type } })
  await post(app, `${name}/insert`, { objects })
}

const dump = async (app: App, name: string): Promise<string> => (await app.inject({ url: `/v1/tables/${name}/dump` })).body

t.test('select_reverse, match and match_object page with continuations', async t => {
  const app = await build(t)
  await filled(app, 'o', 'ordered_set', Array.from({ length: 5 }, (_, i) => ({ key: ['k', i], value: { n: i } })))
  const first = await post(app, 'o/select_reverse', { spec: [{ head: { key: ['k', '$1'] }, result: '$1' }], limit: 2 })
  t.same(first.body.results, [4, 3])
  const second = await post(app, 'o/select_reverse', { spec: [{ head: { key: ['k', '$1'] }, result: '$1' }], limit: 2, continuation: first.body.continuation })
  t.same(second.body.results, [2, 1])
  const matched = await post(app, 'o/match', { pattern: { key: '_', value: { n: '$1' } }, limit: 3 })
  t.same(matched.body.results, [[0], [1], [2]])
  t.ok(matched.body.continuation)
  t.same((await post(app, 'o/match_object', { pattern: { key: ['k', 1] } })).body.results, [{ key: ['k', 1], value: { n: 1 } }])
})

t.test('bad arguments are 4xx problems and change nothing', async t => {
  const app = await build(t)
  await filled(app, 's', 'set', [{ key: 'k', value: { a: 1 } }])
  await filled(app, 'b', 'bag', [{ key: 'k', value: 1 }])
  const before = await dump(app, 's')
  const cases: Array<[string, unknown, number, string]> = [
    ['s/update_element', { key: 'k', elements: { path: 'missing', value: 1 } }, 400, 'badarg'],
    ['s/update_element', { key: 'k', elements: [{ path: 'a', value: 2 }, { path: 'b', value: 1 }] }, 400, 'badarg'],
    ['s/update_element', { key: 'k', elements: [] }, 400, 'validation_failed'],
    ['s/update_element', { key: 'k', elements: { path: 7, value: 1 } }, 400, 'validation_failed'],
    ['b/update_element', { key: 'k', elements: { value: 2 } }, 400, 'badarg'],
    ['s/lookup_element', { key: 'nope' }, 400, 'badarg'],
    ['s/lookup_element', { key: 'k', path: 'zz' }, 400, 'badarg'],
    ['s/match', { pattern: { key: '$_' } }, 400, 'bad_match_spec'],
    ['s/match_delete', { pattern: { key: '$_' } }, 400, 'bad_match_spec'],
    ['s/select_reverse', { spec: [{ head: '_', result: ['team', 1] }] }, 400, 'bad_match_spec'],
    ['s/select_replace', { spec: [{ head: { key: '$1', value: '$2' }, result: { key: '$1', value: ['hd', '$2'] } }] }, 400, 'badarg'],
    ['s/match', { pattern: '_', extra: 1 }, 400, 'validation_failed'],
  ]
  for (const [path, body, status, code] of cases) {
    const answer = await post(app, path, body)
    t.equal(answer.status, status, `${path} ${JSON.stringify(body)}`)
    t.equal(answer.body?.code, code, `${path}: ${answer.body?.detail}`)
  }
  t.equal(await dump(app, 's'), before, 'nothing changed')
  t.same((await post(app, 's/update_element', { key: 'k', elements: { path: 'a', value: 2 } })).body, { updated: true })
})

t.test('the new routes are bounded: spec terms, answer bytes, value bytes, scans per batch', async t => {
  const app = await build(t, { maxSpecTerms: 50, maxResponseBytes: 2000, maxValueBytes: 500 })
  await filled(app, 'big', 'set', [{ key: 'big', value: { s: 'x'.repeat(400) } }, { key: 'small', value: { s: 'y' } }])
  const wide = { key: '_', value: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`m${i}`, '_'])) }
  t.equal((await post(app, 'big/match', { pattern: wide })).body.code, 'limit_exceeded', 'a pattern counts as spec terms')
  const repeated = { spec: [{ head: { key: '$1', value: '$2' }, result: ['$2', '$2', '$2', '$2', '$2', '$2'] }] }
  const huge = await post(app, 'big/select_reverse', repeated)
  t.equal(huge.body.code, 'limit_exceeded', 'a result repeating a large value is measured, not built into an answer')
  t.equal((await post(app, 'big/select_reverse', { ...repeated, limit: 10 })).body.code, 'limit_exceeded', 'one result past the limit alone')
  t.same((await post(app, 'big/lookup_element', { key: 'big', path: 's' })).body.value.length, 400)
  const grown = await post(app, 'big/update_element', { key: 'small', elements: { path: 's', value: 'z'.repeat(600) } })
  t.equal(grown.body.code, 'limit_exceeded', 'an updated value is bounded by max-value-bytes')
  const scans = Array.from({ length: 17 }, () => ({ op: 'match_delete', pattern: { key: 'none' } }))
  t.equal((await post(app, 'big/batch', { ops: scans })).body.code, 'limit_exceeded', 'match_delete counts as a scan of a batch')
  t.same((await post(app, 'big/batch', { ops: [{ op: 'update_element', key: 'small', elements: { path: 's', value: 'w' } }, { op: 'match_delete', pattern: { key: 'big' } }] })).body,
    { results: [{ updated: true }, true] })
  t.same((await post(app, 'big/match_object', { pattern: '_' })).body.results, [{ key: 'small', value: { s: 'w' } }])
})
