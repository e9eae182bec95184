import { badarg } from './errors.js'

/**
 * A JSON value: what a key or a value of a table object may be.
 * Terms held by a table are shared, never copied: callers must treat every
 * term they pass in or get back as immutable (ETS copies instead; Heirloom's
 * callers parse a fresh term per request and serialise results at once).
 */
export type Term = null | boolean | number | string | Term[] | { [name: string]: Term }

export type TermObject = { [name: string]: Term }

/** Nesting deeper than this is refused on insert, so no stored term can
 *  overflow the stack of the recursive functions below. */
export const MAX_TERM_DEPTH = 512

/**
 * The atom 'EXIT': what a call that raises gives inside a match-spec body,
 * as in ETS, where evaluation carries on with it (is_atom of it is true, it
 * sorts among the atoms before false). It never leaves the engine: JSON has
 * no such atom, so a result that holds it is left out (see match-spec.ts).
 * Frozen and compared by identity; never stored in a table.
 */
export const EXIT: TermObject = Object.freeze({}) as TermObject

// Erlang's order of the terms JSON maps to: number < atom < map < list < binary,
// and the atoms 'EXIT' < false < null < true sort alphabetically as atoms do.
const enum Rank { Number, Exit, False, Null, True, Object, Array, String }

function rank (t: Term): Rank {
  switch (typeof t) {
    case 'number': return Rank.Number
    case 'boolean': return t ? Rank.True : Rank.False
    case 'string': return Rank.String
    default: return t === null ? Rank.Null : Array.isArray(t) ? Rank.Array : t === EXIT ? Rank.Exit : Rank.Object
  }
}

/** Sign of the order of the classes of two terms (number < atoms < object < array < string), ignoring their contents. O(1). */
export function compareRanks (a: Term, b: Term): number {
  return Math.sign(rank(a) - rank(b))
}

export function isTermObject (t: Term): t is TermObject {
  return typeof t === 'object' && t !== null && !Array.isArray(t)
}

const hasOwnProperty = Object.prototype.hasOwnProperty

/**
 * Object.hasOwn, which V8 (Node 20) does not inline: called through the
 * prototype's method, a member check costs half as much, and the engine
 * makes one per member of every value it measures.
 */
export function hasOwn (obj: object, name: PropertyKey): boolean {
  return hasOwnProperty.call(obj, name)
}

/**
 * Erlang term order of two JSON terms (DESIGN §5): negative, zero or
 * positive. Zero exactly when the terms are structurally equal.
 * Complexity: O(size of the smaller term), plus sorting member names of
 * objects of equal size.
 */
export function compareTerms (a: Term, b: Term): number {
  if (a === b) return 0
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  switch (ra) {
    case Rank.Number: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
    case Rank.String: return compareStrings(a as string, b as string)
    case Rank.Array: return compareArrays(a as Term[], b as Term[])
    case Rank.Object: return compareObjects(a as TermObject, b as TermObject)
    default: return 0 // the same atom
  }
}

/**
 * Strings by Unicode code point, which is also the byte order of their UTF-8
 * encoding (Erlang compares binaries bytewise). JS `<` compares UTF-16 code
 * units instead, and disagrees exactly when a surrogate (an astral code
 * point) meets a unit in U+E000..U+FFFF: there the surrogate must win.
 */
export function compareStrings (a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i)
    let cb = b.charCodeAt(i)
    if (ca === cb) continue
    if (ca >= 0xd800 && cb >= 0xd800) {
      ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000
      cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000
    }
    return ca < cb ? -1 : 1
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

function compareArrays (a: Term[], b: Term[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compareTerms(a[i], b[i])
    if (c !== 0) return c
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

// Erlang maps: smaller first, then the sorted keys pairwise, then the values
// in key order.
function compareObjects (a: TermObject, b: TermObject): number {
  const na = namesInOrder(a)
  const nb = namesInOrder(b)
  if (na.length !== nb.length) return na.length < nb.length ? -1 : 1
  return compareSorted(a, b, na, nb)
}

/** Objects with at least this many members keep their sorted names (below it, sorting again costs less than the memory). */
const SORTED_NAMES_FROM = 32

/**
 * Member names in term order, sorted once per large object: terms are
 * never changed in place, and a guard or a tree compares the same objects
 * again and again (240 guards comparing two 18k-member values sorted their
 * names 480 times: 5 s). O(k) after the first time, O(k log k) then.
 */
const sortedNames = new WeakMap<TermObject, string[]>()
function namesInOrder (t: TermObject): string[] {
  const cached = sortedNames.get(t)
  if (cached !== undefined) return cached
  const names = Object.keys(t).sort(compareStrings)
  if (names.length >= SORTED_NAMES_FROM) sortedNames.set(t, names)
  return names
}

function compareSorted (a: TermObject, b: TermObject, na: string[], nb: string[]): number {
  for (let i = 0; i < na.length; i++) {
    const c = compareStrings(na[i], nb[i])
    if (c !== 0) return c
  }
  for (let i = 0; i < na.length; i++) {
    const c = compareTerms(a[na[i]], b[nb[i]])
    if (c !== 0) return c
  }
  return 0
}

/**
 * Structural equality: object member order is irrelevant, -0 equals 0.
 * Same answer as `compareTerms(a, b) === 0`, faster. Complexity: O(size).
 */
export function termEquals (a: Term, b: Term): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || a === EXIT || b === EXIT) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!termEquals(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const names = Object.keys(a)
  if (names.length !== Object.keys(b).length) return false
  for (const name of names) {
    if (!hasOwn(b, name) || !termEquals(a[name], b[name])) return false
  }
  return true
}

/**
 * A canonical string for a term, used as a Map key by the hash tables:
 * `termKey(a) === termKey(b)` exactly when `termEquals(a, b)`.
 * A string key is the cheapest case (one concatenation): its encoding starts
 * with `s`, which no other encoding does (they start with a digit, `-`,
 * `t`, `f`, `n`, `[` or `{`). Complexity: O(size), plus sorting member names.
 */
export function termKey (t: Term): string {
  return typeof t === 'string' ? 's' + t : encode(t)
}

function encode (t: Term): string {
  switch (typeof t) {
    case 'string': return JSON.stringify(t)
    case 'number': return String(t) // String(-0) is "0": -0 and 0 are one key
    case 'boolean': return t ? 'true' : 'false'
  }
  if (t === null) return 'null'
  if (Array.isArray(t)) {
    let out = '['
    for (let i = 0; i < t.length; i++) out += (i === 0 ? '' : ',') + encode(t[i])
    return out + ']'
  }
  const names = Object.keys(t).sort()
  let out = '{'
  for (let i = 0; i < names.length; i++) {
    out += (i === 0 ? '' : ',') + JSON.stringify(names[i]) + ':' + encode(t[names[i]])
  }
  return out + '}'
}

/**
 * The bytes of a term's JSON text (UTF-8, no whitespace): what it costs to
 * store and to send. Table memory, the memory quota and the value, key and
 * response limits all measure this, so a term that holds one sub-term many
 * times by reference (a select_replace result can) counts each mention, as
 * its serialisation will. With `cap`, it stops as soon as the count passes
 * the cap and returns that partial count (> cap), so measuring a hostile
 * term costs O(cap), never O(its serialised size).
 *
 * Also the gate that refuses what is not a JSON term (undefined, NaN,
 * Infinity, class instances, nesting beyond MAX_TERM_DEPTH) with `badarg`,
 * so it runs on everything a table stores. Complexity: O(min(size, cap)).
 */
export function termBytes (t: Term, cap = Infinity): number {
  // Most keys are strings: no walk to start.
  return typeof t === 'string' ? stringBytes(t) : measure(t, 0, cap)
}

/**
 * Whether a term's JSON is longer than `max` bytes, measured up to `max`
 * at most; a string that cannot be (each UTF-16 unit is at most 6 bytes of
 * JSON, the \u00XX escape of a control character) is not measured at all:
 * a 1,000-object insert's keys, all checked against the key limit, cost
 * nothing. Checks the term only as far as it measures it.
 */
export function termBytesOver (t: Term, max: number): boolean {
  if (typeof t === 'string' && t.length * 6 + 2 <= max) return false
  return termBytes(t, max) > max
}

/**
 * Bytes of `t`'s JSON, counted until they pass `cap` (then a partial count
 * above it). Returns the count rather than adding to a shared meter, so
 * measuring allocates nothing: every stored value pays it.
 */
function measure (t: unknown, depth: number, cap: number): number {
  switch (typeof t) {
    case 'number': return numberBytes(t)
    case 'boolean': return t ? 4 : 5
    case 'string': return stringBytes(t)
    case 'object': break
    default: throw badarg(`a ${typeof t} is not a JSON term`)
  }
  if (t === null) return 4
  if (depth >= MAX_TERM_DEPTH) throw badarg(`a term nested deeper than ${MAX_TERM_DEPTH} levels`)
  let bytes = 2
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length && bytes <= cap; i++) bytes += (i === 0 ? 0 : 1) + member(t[i], depth + 1, cap - bytes)
    return bytes
  }
  const proto = Object.getPrototypeOf(t)
  if (proto !== Object.prototype && proto !== null) throw badarg('only plain objects are JSON terms')
  let first = true
  for (const name in t) {
    if (bytes > cap) return bytes
    if (!hasOwn(t, name)) continue
    bytes += stringBytes(name) + (first ? 1 : 2)
    first = false
    bytes += member((t as TermObject)[name], depth + 1, cap - bytes)
  }
  return bytes
}

/**
 * measure for an element or member value: strings and numbers, most of
 * them, without the call (a 1,000-object insert measured 20 % faster).
 */
function member (t: unknown, depth: number, cap: number): number {
  return typeof t === 'string' ? stringBytes(t) : typeof t === 'number' ? numberBytes(t) : measure(t, depth, cap)
}

/**
 * Length of String(n), which is what JSON writes for a finite number:
 * counted without making the string for the integers below 1e15 (most
 * stored numbers), which print in plain digits. O(1).
 */
function numberBytes (n: number): number {
  if (!Number.isFinite(n)) throw badarg(`${n} is not a JSON number`)
  if (!Number.isInteger(n) || n <= -1e15 || n >= 1e15) return String(n).length
  let digits = 1
  const a = n < 0 ? -n : n // -0 prints as "0"
  for (let power = 10; a >= power; power *= 10) digits++
  return n < 0 ? digits + 1 : digits
}

/** Bytes of a string's JSON: quotes, escapes, UTF-8 (a lone surrogate is escaped as \uXXXX). O(length). */
function stringBytes (s: string): number {
  let bytes = 2 + s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5
    else if (c === 0x22 || c === 0x5c) bytes += 1
    else if (c < 0x80) continue
    else if (c < 0x800) bytes += 1
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2 // the pair: 2 units, 4 bytes
      i++
    } else if (c >= 0xd800 && c < 0xe000) bytes += 5
    else bytes += 2
  }
  return bytes
}

/**
 * Sets a member of an object built here. `obj[name] = v` would set the
 * prototype when name is `__proto__`; JSON.parse makes it an ordinary
 * member, and so must we.
 */
export function putMember (obj: TermObject, name: string, value: Term): void {
  if (name === '__proto__') {
    Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true })
  } else {
    obj[name] = value
  }
}

/** A shallow copy of an object term, `__proto__` members included. */
export function copyObject (obj: TermObject): TermObject {
  const out: TermObject = {}
  for (const name of Object.keys(obj)) putMember(out, name, obj[name])
  return out
}

/** The terms without repeats (structural equality), first occurrences kept in order. */
export function distinctTerms (terms: readonly Term[]): Term[] {
  return [...new Map(terms.map(t => [termKey(t), t])).values()]
}
