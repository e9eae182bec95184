// The keys a partly bound key pattern can match, as one contiguous range of
// Erlang term order, so that an ordered_set walks that range instead of the
// whole table (ETS does the same for a partly bound key in an ordered_set).
//
// Which patterns bound a range (DESIGN §5 term order):
// - A literal key pattern (no "_", no variable anywhere, objects included)
//   names one term, as ETS takes it: alone it is looked up, and among
//   other clauses it bounds the range at that term (so on an ordered_set a
//   literal object finds larger objects that hold its members only within
//   the range, as in ETS: with clauses [0, "$1"] and [1, {"a": 1}] the key
//   [1, {"a": 1, "b": 2}] lies past the range and is not found).
// - Inside a partly bound key, a literal without objects names one term.
// - An array pattern of n elements matches arrays of length n only. Arrays
//   compare element by element, so those whose first elements equal the
//   pattern's literal prefix are contiguous; the first element that is not
//   a single term narrows the range by its own range, and the elements
//   after it do not narrow it further.
// - An object pattern of k members matches every object that has those
//   members, whatever else it holds: objects of any size ≥ k. Objects order
//   by size first, so the only contiguous range holding them all is "objects
//   of at least k members": no member value narrows it (with {"org": 7} the
//   one-member objects with org 7 are contiguous, but {"org": 7, "x": 1}
//   sits among the two-member objects, past every one-member object).
//   A literal object inside a partly bound key is matched the same way, so
//   there it never counts as a single term.
// - "_" and variables match anything: no range (the table is scanned).
import { isLiteral, isSpecialString } from './match-scope.js'
import { compareRanks, compareTerms, isTermObject, type Term } from './term.js'

/**
 * A contiguous range of term order: `position(key)` is negative for a key
 * before it, positive past it, 0 within. Monotone: a key after another never
 * has a smaller position. Holds every key the pattern matches (and maybe
 * some it does not: the head still decides).
 */
export interface KeyRange {
  position: (key: Term) => number
}

interface PatternRange extends KeyRange {
  /** The pattern names exactly one term (the elements after it in an array may narrow the range). */
  readonly point: boolean
}

/** The range of keys a key pattern can match; undefined when it matches keys of every kind ("_", a variable). O(|pattern|). */
export function keyRangeOf (pattern: Term): KeyRange | undefined {
  if (isLiteral(pattern)) return { position: key => compareTerms(key, pattern) }
  return patternRange(pattern)
}

/**
 * The smallest range holding every range given (a gap between two of them
 * is walked, and the head filters it); undefined when any is unbounded.
 */
export function hullOf (ranges: ReadonlyArray<KeyRange | undefined>): KeyRange | undefined {
  if (ranges.length === 0 || ranges.some(r => r === undefined)) return undefined
  const all = ranges as readonly KeyRange[]
  if (all.length === 1) return all[0]
  return {
    position: key => {
      let before = 0
      let after = 0
      for (const range of all) {
        const p = range.position(key)
        if (p === 0) return 0
        if (p < 0) before++
        else after++
      }
      return before === all.length ? -1 : after === all.length ? 1 : 0
    },
  }
}

function patternRange (pattern: Term): PatternRange | undefined {
  if (typeof pattern === 'string' && isSpecialString(pattern)) return undefined
  if (Array.isArray(pattern)) return arrayRange(pattern)
  if (isTermObject(pattern)) return objectRange(Object.keys(pattern).length)
  return { point: true, position: key => compareTerms(key, pattern) }
}

function arrayRange (pattern: Term[]): PatternRange {
  const elements = pattern.map(patternRange)
  const n = elements.length
  return {
    point: elements.every(e => e?.point === true),
    position: key => {
      if (!Array.isArray(key)) return compareRanks(key, pattern)
      for (let i = 0; i < n; i++) {
        if (i >= key.length) return -1 // a proper prefix of every match
        const element = elements[i]
        if (element === undefined) return 0
        const p = element.position(key[i])
        if (p !== 0 || !element.point) return p
      }
      return key.length > n ? 1 : 0
    },
  }
}

function objectRange (members: number): PatternRange {
  return {
    point: false,
    position: key => {
      if (!isTermObject(key)) return compareRanks(key, {})
      return Object.keys(key).length < members ? -1 : 0
    },
  }
}
