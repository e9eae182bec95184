// Fuzz over every route (inject): ill-formed requests by construction, of
// every kind (wrong types, missing fields, JSON nested 10,000 deep, bodies
// over the limit, long keys and names, unicode, __proto__ and friends, wrong
// media types, empty bodies, bodies where none is taken, unknown query
// parameters, bad match specs, forged cursors). Every answer must be a 4xx
// RFC 9457 problem, none may hang, and afterwards the server is healthy and
// every table holds exactly what it held before.
import fc from 'fast-check'
import t from 'tap'
import { build } from '../helpers.js'
import { type Case, HOSTILE_LIMITS, hostileCases, objectCases, operationCases, otherCases, type Reference, tableCases } from './requests.js'
import { expectHealthy, notAProblem, seedTables, send, snapshot, Tally } from './support.js'

t.setTimeout(120_000)

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))

const groups: Array<[string, fc.Arbitrary<Case>, number]> = [
  ['tables', tableCases, 600],
  ['objects by path key', objectCases, 600],
  ['write operations', operationCases.writes, 1000],
  ['read operations', operationCases.reads, 800],
  ['faults and unknown routes', otherCases, 400],
]

t.test('ill_formed_requests_to_every_route_are_4xx_problems_and_change_nothing', async t => {
  t.comment(`FUZZ_SEED=${seed}`)
  const app = await build(t)
  await seedTables(app)
  const before = await snapshot(app)
  let total = 0
  for (const [name, cases, runs] of groups) {
    const tally = new Tally()
    for (const { route, request } of fc.sample(cases, { numRuns: runs, seed })) {
      const answer = await send(app, request)
      tally.note(route, request, answer, notAProblem(answer))
    }
    total += tally.cases
    const statuses = [...tally.statuses].sort().map(([status, n]) => `${status}×${n}`).join(' ')
    t.comment(`${name}: ${tally.cases} cases (${statuses})`)
    t.same(tally.report(), [], `${name}: every answer a 4xx problem`)
  }
  t.comment(`${total} fuzz cases in all`)
  t.same(await snapshot(app), before, 'every table holds what it held, with no handler restarted')
  await expectHealthy(t, app)
})

t.test('hostile_requests_at_the_limits_are_refused_or_answered_bounded_and_correct_and_change_nothing', async t => {
  t.comment(`FUZZ_SEED=${seed}`)
  const app = await build(t, HOSTILE_LIMITS)
  await seedTables(app)
  const before = await snapshot(app)
  const reference = await referenceOf(app)
  const tally = new Tally()
  for (const { route, request, judge, undo } of fc.sample(hostileCases, { numRuns: 300, seed })) {
    const answer = await send(app, request)
    let fault = notAProblem(answer, status => (status >= 200 && status < 300) || (status >= 400 && status < 500))
    if (fault === undefined && answer.statusCode < 300) {
      fault = judge(answer.body === '' ? undefined : JSON.parse(answer.body), Buffer.byteLength(answer.body), reference)
      if (undo !== undefined) await send(app, undo)
    }
    tally.note(route, request, answer, fault)
  }
  const statuses = [...tally.statuses].sort().map(([status, n]) => `${status}×${n}`).join(' ')
  t.comment(`hostile: ${tally.cases} cases (${statuses})`)
  t.same(tally.report(), [], 'every answer a 4xx problem or a bounded, correct 2xx')
  t.same(await snapshot(app), before, 'every table holds what it held')
  await expectHealthy(t, app)
})

/** Each table's values per key, from its dump (a path apart from lookup and select). */
async function referenceOf (app: Awaited<ReturnType<typeof build>>): Promise<Reference> {
  const reference: Reference = new Map()
  const { tables } = (await app.inject({ url: '/v1/tables' })).json() as { tables: Array<{ name: string }> }
  for (const { name } of tables) {
    const values = new Map<string, unknown[]>()
    const lines = (await app.inject({ url: `/v1/tables/${name}/dump` })).body.split('\n').filter(Boolean)
    for (const line of lines) {
      const { key, value } = JSON.parse(line) as { key: unknown; value: unknown }
      values.set(JSON.stringify(key), [...(values.get(JSON.stringify(key)) ?? []), value])
    }
    reference.set(name, { size: lines.length, values })
  }
  return reference
}
