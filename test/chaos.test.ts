// The chaos run of bench/chaos.ts, briefly and with a fixed seed: writers and
// readers over a real socket while handlers, the manager, and both in the same
// tick crash; no acknowledged write lost or doubled, no refused write applied,
// no request hung, every failure a clean 503 or 500 process_crashed.
import t from 'tap'
import { chaos } from '../bench/chaos.js'

t.setTimeout(120_000)

t.test('writes_racing_random_crashes_are_never_lost_doubled_or_hung', async t => {
  // ~5 s; on a loaded machine it runs on (at most 20 s) until 1,000 writes are acknowledged.
  const report = await chaos({ seconds: 5, maxSeconds: 20, minWrites: 1001, seed: 20240601, log: line => t.comment(line) })
  t.equal(report.lost, 0, 'no acknowledged write lost')
  t.equal(report.doubled, 0, 'no write applied twice')
  t.equal(report.unexpected, 0, 'no failed or unknown write visible')
  t.equal(report.hung, 0, 'no request hung')
  t.equal(report.unclean, 0, 'every failure a problem+json 503 with Retry-After or a 500 process_crashed')
  t.same(report.missingTables, [], 'every table exists')
  t.same(report.violations, [], 'no violation')
  t.ok(report.crashes.injected > 0, `${report.crashes.injected} processes crashed`)
  t.ok(report.crashes.byKind.both > 0, 'the manager and a handler crashed in the same tick at least once')
  t.ok(report.writes.acknowledged > 1000, `${report.writes.acknowledged} writes acknowledged`)
  t.ok(report.ok, 'the run reports OK')
})
