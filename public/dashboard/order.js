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

/**
 * As the server's compareStrings, exactly: by UTF-16 code unit, except that
 * where two units from U+D800 up differ, a surrogate sorts after U+E000…U+FFFF.
 * For well-formed strings that is code point order (Erlang compares UTF-8
 * bytes); a lone surrogate is one unit, ordered as the server orders it
 * (by code point it would be U+D800…U+DFFF, before U+E000).
 */
function compareStrings (a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    return x >= 0xd800 && y >= 0xd800 ? surrogatesLast(x) - surrogatesLast(y) : x - y
  }
  return a.length - b.length
}

// U+D800…U+DFFF moved above U+FFFF, U+E000…U+FFFF down into their place.
const surrogatesLast = unit => unit >= 0xe000 ? unit - 0x800 : unit + 0x2000

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
