// Erlang term order over JSON, as the server sorts an ordered_set's keys
// (README "Iteration"; the server's own is src/ets/term.ts, which the browser
// cannot import): number < false < null < true < object < array < string.
// The page needs it to tell whether a new key falls among the keys shown.

function rank (term) {
  if (typeof term === 'number') return 0
  if (typeof term === 'boolean') return term ? 3 : 1
  if (term === null) return 2
  if (typeof term === 'string') return 6
  return Array.isArray(term) ? 5 : 4
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareTerms (a, b) {
  const ranks = rank(a) - rank(b)
  if (ranks !== 0) return ranks
  if (typeof a === 'number') return a - b
  if (typeof a === 'string') return compareStrings(a, b)
  if (Array.isArray(a)) return compareLists(a, b)
  if (typeof a === 'object' && a !== null) return compareObjects(a, b)
  return 0
}

/** By code point (Erlang compares UTF-8 bytes): an astral character sorts after U+E000…U+FFFF, not before as UTF-16 units would. */
function compareStrings (a, b) {
  const x = Array.from(a)
  const y = Array.from(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0)
  }
  return x.length - y.length
}

function compareLists (a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareTerms(a[i], b[i])
    if (order !== 0) return order
  }
  return a.length - b.length
}

// Erlang maps: the smaller first, then the sorted member names pairwise, then the values in name order.
function compareObjects (a, b) {
  const names = [Object.keys(a).sort(compareStrings), Object.keys(b).sort(compareStrings)]
  return names[0].length - names[1].length ||
    compareLists(names[0], names[1]) ||
    compareLists(names[0].map(name => a[name]), names[1].map(name => b[name]))
}
