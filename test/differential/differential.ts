// One differential sequence: the same operations on a fresh Heirloom table
// (over HTTP) and in real ETS (the driver), compared outcome by outcome.
// Shared by differential.test.ts and scripts/differential.ts.
import fc from 'fast-check'
import type { TableType } from '../../src/ets/table.js'
import { atom, canonical, type ETerm, isError, list, tuple } from './erlang-term.js'
import { type EtsDriver, sequenceSource } from './ets-driver.js'
import { sequence } from './generators.js'
import { HeirloomTable } from './heirloom-client.js'
import { type Op, toErlang } from './operations.js'

export interface Difference {
  type: TableType
  /** The operations up to and including the one that differs. */
  ops: Op[]
  ets: string
  heirloom: string
}

/**
 * Runs the sequence on both sides; the first operation whose outcomes
 * differ, or undefined. Heirloom answers over HTTP while ETS runs.
 */
export async function compareSequence (driver: EtsDriver, baseUrl: string, type: TableType, ops: Op[]): Promise<Difference | undefined> {
  const table = await HeirloomTable.create(baseUrl, type)
  const ets = driver.run(type, ops.map(toErlang))
  const heirloom: ETerm[] = []
  for (const op of ops) heirloom.push(await table.run(op))
  await table.drop()
  const etsOutcomes = await ets
  for (let i = 0; i < ops.length; i++) {
    const expected = canonical(normalise(type, ops[i], etsOutcomes[i]))
    const actual = canonical(normalise(type, ops[i], heirloom[i]))
    if (expected !== actual) return { type, ops: ops.slice(0, i + 1), ets: expected, heirloom: actual }
  }
  return undefined
}

/**
 * What is compared of an outcome. Orders ETS leaves unspecified compare as
 * multisets: hash-table (set, bag, duplicate_bag) traversals — select,
 * walks, tab2list. A hash table's first/last says only whether the table is
 * empty, a hash next/prev only whether it raised (the key must be in the
 * table). A select with a limit compares its chunk sizes and all results;
 * the empty chunk a continuation may end on is no chunk.
 */
function normalise (type: TableType, op: Op, outcome: ETerm): ETerm {
  if (isError(outcome)) return outcome
  const hash = type !== 'ordered_set'
  const unordered = (e: ETerm): ETerm => (hash && e.t === 'list' ? list(sortedByText(e.v)) : e)
  switch (op.op) {
    case 'select': {
      if (op.limit === undefined || outcome.t !== 'list') return unordered(outcome)
      const chunks = outcome.v.map(chunk => (chunk.t === 'list' ? chunk.v : [chunk]))
      while (chunks.length > 0 && chunks[chunks.length - 1].length === 0) chunks.pop()
      return tuple(atom('chunks'), list(chunks.map(c => atom(String(c.length)))), unordered(list(chunks.flat())))
    }
    case 'walk_next': case 'walk_prev': case 'dump':
      return unordered(outcome)
    case 'first': case 'last':
      return hash && !(outcome.t === 'atom' && outcome.v === '$end_of_table') ? atom('a_key') : outcome
    case 'next': case 'prev':
      return hash ? atom('a_key_or_end') : outcome
    default:
      return outcome
  }
}

function sortedByText (terms: ETerm[]): ETerm[] {
  return terms.map(term => ({ term, text: canonical(term) }))
    .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .map(({ term }) => term)
}

/** A difference for humans: the operations as JSON and as the driver's input, to replay either side. */
export function describeDifference (d: Difference): string {
  const last = d.ops[d.ops.length - 1]
  return [
    `${d.type}: operation ${d.ops.length} ${JSON.stringify(last)}`,
    `  ETS:      ${d.ets}`,
    `  Heirloom: ${d.heirloom}`,
    `  operations (JSON): ${JSON.stringify(d.ops)}`,
    `  driver input (escript test/differential/driver.escript FILE): ${sequenceSource(d.type, d.ops.map(toErlang)).trim()}`,
  ].join('\n')
}

/** Operations run, counted outside of shrinking. */
export interface Tally { ops: number; shrinking: boolean }

/**
 * The fast-check property: a random sequence of `length` operations on a
 * table of the type agrees with ETS. Counts the operations of every run
 * until the first failure (later runs are shrinking).
 */
export function agreesWithEts (driver: EtsDriver, baseUrl: string, type: TableType, length: number, tally: Tally) {
  return fc.asyncProperty(sequence(type, length), async steps => {
    const ops = steps.filter((step): step is Op => step !== undefined)
    if (!tally.shrinking) tally.ops += ops.length
    const difference = await compareSequence(driver, baseUrl, type, ops)
    if (difference === undefined) return
    tally.shrinking = true
    throw new Error(describeDifference(difference))
  })
}
