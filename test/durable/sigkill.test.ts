/**
 * SIGKILL at random moments, 20 cycles (scripts/sigkill-loop.ts runs
 * hundreds): after each restart every acknowledged write is there, nothing
 * no client sent appears, and each write cut by the kill is there whole or
 * not at all. See sigkill-loop.ts for the writers and the check.
 */
import t from 'tap'
import { tempDir } from '../helpers.js'
import { seeded, sigkillLoop } from './sigkill-loop.js'

t.setTimeout(300_000) // about 60 s on an idle 2-core machine: most of a cycle is the child server's start

t.test('after_every_sigkill_the_durable_tables_hold_every_acknowledged_write', async t => {
  const seed = Number(process.env.SEED ?? Date.now() % 1e9)
  const result = await sigkillLoop({ dataDir: await tempDir(t), cycles: Number(process.env.SIGKILL_CYCLES ?? 20), random: seeded(seed), maxWrites: 60 })
  t.same(result.failures, [], `seed ${seed}`)
  t.ok(result.acknowledged > result.cycles * 10, `${result.acknowledged} acknowledged writes checked over ${result.cycles} kills`)
  t.comment(JSON.stringify({ seed, ...result, failures: result.failures.length }))
})
