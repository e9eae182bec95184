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
    const ets = normalise(type, ops[i], etsOutcomes[i])
    const expected = canonical(ets)
    const actual = canonical(resultsOnlyLike(ets, normalise(type, ops[i], heirloom[i])))
    if (expected !== actual) return { type, ops: ops.slice(0, i + 1), ets: expected, heirloom: actual }
  }
  return undefined
}

/**
 * What is compared of an outcome. Orders ETS leaves unspecified compare as
 * multisets: hash-table (set, bag, duplicate_bag) traversals — select and
 * its kin, walks, tab2list. A hash table's first/last says only whether the
 * table is empty, a hash next/prev only whether it raised (the key must be
 * in the table). A select with a limit compares its chunk sizes and all
 * results; the empty chunk a continuation may end on is no chunk.
 * Two things JSON cannot say are normalised on both sides: a result that
 * holds ETS's atom 'EXIT' (a call in a match-spec body raised) is left out,
 * as Heirloom leaves it out (ETS counts it in a chunk's limit, so such
 * chunks compare by their results only); and an integral float (only
 * arithmetic in a body makes one: 1.5 + 0.5 is 2.0 in ETS, 2 in JSON) is
 * the integer.
 */
function normalise (type: TableType, op: Op, outcome: ETerm): ETerm {
  if (isError(outcome)) return outcome
  outcome = integralFloats(outcome)
  const hash = type !== 'ordered_set'
  const unordered = (e: ETerm): ETerm => (hash && e.t === 'list' ? list(sortedByText(e.v)) : e)
  switch (op.op) {
    case 'select': case 'select_reverse': case 'match': case 'match_object': {
      if (op.limit === undefined || outcome.t !== 'list') return unordered(withoutExit(outcome))
      const chunks = outcome.v.map(chunk => (chunk.t === 'list' ? chunk.v : [chunk]))
      while (chunks.length > 0 && chunks[chunks.length - 1].length === 0) chunks.pop()
      const results = withoutExit(list(chunks.flat()))
      if (results.t === 'list' && results.v.length < chunks.flat().length) return tuple(atom('exit_dropped'), unordered(results))
      return tuple(atom('chunks'), list(chunks.map(c => atom(String(c.length)))), unordered(results))
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

/** Heirloom's chunks compared by their results only, when ETS's chunks held a result that was left out. */
function resultsOnlyLike (ets: ETerm, heirloom: ETerm): ETerm {
  const tagged = (e: ETerm, tag: string): e is { t: 'tuple'; v: ETerm[] } => e.t === 'tuple' && e.v[0].t === 'atom' && e.v[0].v === tag
  return tagged(ets, 'exit_dropped') && tagged(heirloom, 'chunks') ? tuple(atom('exit_dropped'), heirloom.v[2]) : heirloom
}

/** The results that hold no 'EXIT' atom. */
function withoutExit (results: ETerm): ETerm {
  return results.t === 'list' ? list(results.v.filter(r => !holdsExit(r))) : results
}

function holdsExit (e: ETerm): boolean {
  if (e.t === 'atom') return e.v === 'EXIT'
  if (e.t === 'list' || e.t === 'tuple') return e.v.some(holdsExit)
  if (e.t === 'map') return e.v.some(([k, v]) => holdsExit(k) || holdsExit(v))
  return false
}

function integralFloats (e: ETerm): ETerm {
  switch (e.t) {
    case 'float': return Number.isInteger(e.v) ? { t: 'int', v: BigInt(e.v) } : e
    case 'list': case 'tuple': return { t: e.t, v: e.v.map(integralFloats) }
    case 'map': return { t: 'map', v: e.v.map(([k, v]) => [integralFloats(k), integralFloats(v)]) }
    default: return e
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
