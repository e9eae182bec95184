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
import { type Case, objectCases, operationCases, otherCases, tableCases } from './requests.js'
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
