/**
 * A select of a 100-key range in a 1M-object ordered_set, before and after
 * partly bound keys bound the walk (issue 13): "before" is the same query
 * written so that the head's key is a variable (the guards pick the range),
 * which scans the whole table, as every partly bound key did before;
 * "after" names the key's bound prefix in the head, and the table walks
 * only that range. Both answer the same 100 results; the table's
 * keysVisited counter shows what each walked. Engine only, no HTTP.
 *
 *   npx tsx bench/range.ts [--objects 1000000] [--rounds 5]
 */
import { parseArgs } from 'node:util'
import { compileMatchSpec } from '../src/ets/match-spec.js'
import { createTable } from '../src/ets/table.js'
import type { Term } from '../src/ets/term.js'

const { values: args } = parseArgs({ options: { objects: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '5' } } })
const objects = Number(args.objects)
const rounds = Number(args.rounds)
const GROUP = 100 // keys per group: the range selected

const table = createTable('ordered_set')
let started = performance.now()
const batch: Array<{ key: Term; value: Term }> = []
for (let i = 0; i < objects; i++) {
  batch.push({ key: [`g${Math.floor(i / GROUP)}`, i % GROUP], value: { n: i } })
  if (batch.length === 10_000) table.insert(batch.splice(0))
}
table.insert(batch)
process.stdout.write(`${table.size} objects in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)

const group = `g${Math.floor(objects / GROUP / 2)}`
const cases: Array<[string, Term]> = [
  ['before: key "$1", guards pick the range (full scan)', [{
    head: { key: '$1', value: '$2' },
    guards: [['is_list', '$1'], ['=:=', ['length', '$1'], 2], ['=:=', ['hd', '$1'], group]],
    result: '$2',
  }]],
  [`after: key ["${group}", "$1"] (range walk)`, [{ head: { key: [group, '$1'], value: '$2' }, result: '$2' }]],
]
for (const [name, spec] of cases) {
  const compiled = compileMatchSpec(spec) // once per request, as the routes do
  const times: number[] = []
  let visited = 0
  for (let r = 0; r < rounds; r++) {
    const before = table.info().keysVisited
    started = performance.now()
    const { results } = table.select(compiled)
    times.push(performance.now() - started)
    visited = table.info().keysVisited - before
    if (results.length !== GROUP) throw new Error(`${name}: ${results.length} results`)
  }
  times.sort((a, b) => a - b)
  process.stdout.write(`${name}: median ${times[Math.floor(rounds / 2)].toFixed(3)} ms (min ${times[0].toFixed(3)}), ${visited} keys visited, ${GROUP} results\n`)
}
