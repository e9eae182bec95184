// Random operation sequences for the differential test, over small domains
// so that keys collide, counters count and match specs match.
//
// What the generators leave out on purpose, each because JSON or the
// JSON ↔ Erlang mapping cannot say it (never to hide a Heirloom difference):
// - Integral floats (1.0): JSON has one number 1, so every float is
//   non-integral; Erlang's ordered_set keys 1 and 1.0 (equal under ==,
//   different under =:=) never meet.
// - Integers beyond ±2^53 and arithmetic that could reach them: JSON
//   numbers are doubles.
// - Arithmetic whose result feeds =:=, =/=, a type test, div or rem: ETS
//   computes 1.5 + 0.5 = 2.0, a float, where Heirloom (JSON) has 2, so
//   is_integer, =:= and div disagree by construction. Arithmetic feeds only
//   <, >, =<, >=, == and /=, which compare numbers by value in both, or
//   stands in a select's result (an integral float there compares as the
//   integer: differential.ts).
// - A select_replace value that can raise (arithmetic, hd, map_get…): ETS
//   stores the atom 'EXIT' in the object, which JSON cannot hold, so
//   Heirloom refuses the call (badarg) instead. Replaced values are built
//   from variables, literals, comparisons and type tests, which never raise.
//   In a select's result a raising call is generated freely: both sides
//   leave out a result holding 'EXIT' (differential.ts).
// - element/2: ETS's takes a tuple, and JSON arrays are Erlang lists; no
//   match-spec function indexes a list, so Heirloom's array `element` has
//   no ETS counterpart.
// - lookup_element's default (OTP 26's lookup_element/4; the oracle is OTP
//   25), and the `path` of lookup_element and update_element: a member of
//   an object value has no ETS position (the value itself is position 2).
// - The whole object in a guard ('$_', or a head that is one variable):
//   it is the tuple {K, V} in ETS and the object {"key", "value"} in
//   Heirloom, so is_map or == on it differ by construction. It appears in
//   results only (and never inside a select_replace value, where ETS would
//   store the tuple).
// - "_" and "$N" as literal strings in guards and results, and unusual
//   variable spellings ("$01"): the mapping turns them into atoms.
// - update_counter's `path` (a member of an object value): no ETS
//   equivalent (the issue says not to generate it).
// - An empty match spec or empty update_counter step list: Heirloom's HTTP
//   schema refuses them (400 validation_failed) where ETS answers [].
// - In a set, bag or duplicate_bag, a spec (or pattern) whose every clause
//   names a literal key, one of them holding an object: ETS looks up the
//   hash slots of the keys present and matches every object in them, so a
//   key with the object's members and more (the pattern {"a": 1}, the key
//   {"a": 1, "b": 2}) matches when the two keys happen to share a slot, and
//   not otherwise (analyze_pattern in OTP's db_hash.c). Heirloom finds the
//   exact keys only, as ETS's ordered_set does (find_node2 in db_tree.c);
//   ordered_set keeps such specs.
import fc from 'fast-check'
import type { EtsObject, TableType } from '../../src/ets/table.js'
import { isTermObject, type Term } from '../../src/ets/term.js'
import type { CounterStep, Op } from './operations.js'

const KEYS: Term[] = [
  0, 1, 2, 3, -1, 1.5, -0.5, 'a', 'b', 'é', '\u{1F600}', '\uFFFF', true, false, null,
  [], [1], [1, 'a'], ['a'], {}, { a: 1 }, { a: 1, b: 2 }, { b: 1 },
  // Arrays that share prefixes, for partly bound keys (an ordered_set walks only their range).
  [1, 2], [1, 'b'], ['a', 1], ['a', [1]], [[1], 'a'], [1, 'a', 2],
]
const VALUES: Term[] = [
  0, 1, 2, 5, -2, 100, 0.5, 2.5, 'x', 'y', '', true, false, null,
  [], [1, 2], ['x'], [[1]], {}, { n: 1 }, { n: 2, m: 'x' }, { m: [1] }, { key: 1, value: 2 },
]
const MEMBER_NAMES = ['n', 'm', 'a', 'key']
const VARIABLES = ['$1', '$2', '$3']

const smallInt = fc.integer({ min: -3, max: 5 })
const key: fc.Arbitrary<Term> = fc.oneof({ weight: 2, arbitrary: smallInt }, { weight: 3, arbitrary: fc.constantFrom(...KEYS) })
const value: fc.Arbitrary<Term> = fc.oneof({ weight: 2, arbitrary: smallInt }, { weight: 3, arbitrary: fc.constantFrom(...VALUES) })
const object: fc.Arbitrary<EtsObject> = fc.record({ key, value })

// ── match specs ──

type SpecKind = 'select' | 'count' | 'replace'

const variable = fc.constantFrom(...VARIABLES)
const scalar = fc.oneof(smallInt, fc.constantFrom<Term>(1.5, -0.5, 'a', 'x', 'é', true, false, null))
const leafPattern: fc.Arbitrary<Term> = fc.oneof(variable, fc.constant('_'), scalar)
const partialObjectPattern = fc.record(
  { n: leafPattern, m: leafPattern, a: leafPattern },
  { requiredKeys: [] }
).filter(o => Object.keys(o).length > 0)

const keyPattern: fc.Arbitrary<Term> = fc.oneof(
  { weight: 3, arbitrary: key },
  { weight: 3, arbitrary: variable },
  { weight: 2, arbitrary: fc.constant('_') },
  { weight: 1, arbitrary: fc.array(leafPattern, { minLength: 1, maxLength: 2 }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<Term>(1, 'a', [1]), fc.array(leafPattern, { maxLength: 2 })).map(([first, rest]): Term => [first, ...rest]) },
  { weight: 1, arbitrary: partialObjectPattern }
)
const valuePattern: fc.Arbitrary<Term> = fc.oneof(
  { weight: 2, arbitrary: value },
  { weight: 3, arbitrary: variable },
  { weight: 2, arbitrary: fc.constant('_') },
  { weight: 1, arbitrary: fc.array(leafPattern, { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.tuple(leafPattern, fc.array(leafPattern, { maxLength: 1 })).map(([a, b]): Term => [a, b]) },
  { weight: 2, arbitrary: partialObjectPattern }
)
const head: fc.Arbitrary<Term> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ key: keyPattern, value: valuePattern }) },
  { weight: 2, arbitrary: fc.record({ key: keyPattern }) },
  { weight: 2, arbitrary: fc.record({ value: valuePattern }) },
  { weight: 1, arbitrary: fc.constantFrom<Term>('_', '$1', {}) },
  { weight: 1, arbitrary: fc.record({ key: keyPattern, other: leafPattern }) } // matches nothing
)

/** Variables the head binds inside the key and value, and whether the head binds the whole object. */
function boundVariables (h: Term): { data: string[]; whole?: string } {
  if (typeof h === 'string') return { data: [], whole: VARIABLES.includes(h) ? h : undefined }
  const found = new Set<string>()
  const visit = (p: Term): void => {
    if (typeof p === 'string' && VARIABLES.includes(p)) found.add(p)
    else if (Array.isArray(p)) p.forEach(visit)
    else if (isTermObject(p)) Object.values(p).forEach(visit)
  }
  visit(h)
  return { data: [...found].sort() }
}

function hasSpecialString (p: Term): boolean {
  if (typeof p === 'string') return p === '_' || VARIABLES.includes(p)
  if (Array.isArray(p)) return p.some(hasSpecialString)
  return isTermObject(p) && Object.values(p).some(hasSpecialString)
}

const literalOperand: fc.Arbitrary<Term> = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.constantFrom<Term>([1, 2], ['x'], [], { n: 1 }, {}).map((x): Term => ['const', x]) }
)

/** A term from the data: a variable, a literal, a guard function of a variable, or a list built from one. */
function dataOperand (vars: string[]): fc.Arbitrary<Term> {
  if (vars.length === 0) return literalOperand
  const v = fc.constantFrom(...vars)
  return fc.oneof(
    { weight: 4, arbitrary: v },
    { weight: 2, arbitrary: literalOperand },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom<Term>(...MEMBER_NAMES), v).map(([n, x]): Term => ['map_get', n, x]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('hd', 'tl', 'length', 'map_size'), v).map(([f, x]): Term => [f, x]) },
    { weight: 1, arbitrary: fc.tuple(v, scalar).map(([x, y]): Term => asList([x, y])) }
  )
}

/**
 * A list as an expression: an array that begins with a literal string
 * would read as a call, so that string is quoted with const.
 */
function asList (elements: Term[]): Term[] {
  const [first] = elements
  return typeof first === 'string' && !first.startsWith('$') ? [['const', first], ...elements.slice(1)] : elements
}

/** A number, maybe computed; only ever compared by value (see the top of the file). */
function numeric (vars: string[], depth: number): fc.Arbitrary<Term> {
  const leaf = fc.oneof(dataOperand(vars), smallInt, fc.constantFrom(0.5, -1.5))
  if (depth === 0) return leaf
  const sub = numeric(vars, depth - 1)
  const intLeaf = vars.length === 0 ? smallInt : fc.oneof(fc.constantFrom(...vars), smallInt)
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('+', '-', '*', '/'), sub, sub).map(([f, a, b]): Term => [f, a, b]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-', 'abs'), sub).map(([f, a]): Term => [f, a]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('div', 'rem'), intLeaf, intLeaf).map(([f, a, b]): Term => [f, a, b]) }
  )
}

// is_boolean too is a Heirloom guard, and an ETS one since OTP 26; OTP 25's
// match specs refuse it (badarg), so it is left out.
const TYPE_TESTS = ['is_number', 'is_integer', 'is_float', 'is_atom', 'is_binary', 'is_list', 'is_map']

function guard (vars: string[], depth: number): fc.Arbitrary<Term> {
  const data = dataOperand(vars)
  const num = numeric(vars, 2)
  const holder = vars.length === 0 ? literalOperand : fc.oneof(fc.constantFrom(...vars), literalOperand)
  const simple = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom('<', '>', '=<', '>=', '==', '/='), num, num).map(([f, a, b]): Term => [f, a, b]) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('=:=', '=/=', '<', '>=', '=='), data, data).map(([f, a, b]): Term => [f, a, b]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...TYPE_TESTS), data).map(([f, a]): Term => [f, a]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom<Term>(...MEMBER_NAMES, 1), holder).map(([n, m]): Term => ['is_map_key', n, m]) },
    { weight: 1, arbitrary: data } // a non-boolean guard fails; a variable holding true passes
  )
  if (depth === 0) return simple
  const sub = guard(vars, depth - 1)
  return fc.oneof(
    { weight: 5, arbitrary: simple },
    { weight: 1, arbitrary: sub.map((g): Term => ['not', g]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('andalso', 'orelse', 'and', 'or', 'xor'), sub, sub).map(([f, a, b]): Term => [f, a, b]) },
    { weight: 1, arbitrary: fc.tuple(sub, sub, sub).map((gs): Term => ['andalso', ...gs]) }
  )
}

/** A boolean from the data: a comparison (of anything, arithmetic by value only) or a type test; never raises. */
function booleanBody (vars: string[], depth: number): fc.Arbitrary<Term> {
  const data = dataOperand(vars)
  const num = numeric(vars, 1)
  const simple = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('<', '>', '=<', '>=', '==', '/='), num, num).map(([f, a, b]): Term => [f, a, b]) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('=:=', '=/=', '<', '>='), data, data).map(([f, a, b]): Term => [f, a, b]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...TYPE_TESTS), data).map(([f, a]): Term => [f, a]) }
  )
  if (depth === 0) return simple
  const sub = booleanBody(vars, depth - 1)
  return fc.oneof(
    { weight: 4, arbitrary: simple },
    { weight: 1, arbitrary: sub.map((b): Term => ['not', b]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('andalso', 'orelse', 'and', 'or', 'xor'), sub, sub).map(([f, a, b]): Term => [f, a, b]) }
  )
}

/** A result template over the data variables, never raising; `$$` only where it holds no whole object. */
function dataTemplate (vars: string[], allVariables: boolean): fc.Arbitrary<Term> {
  const v = vars.length === 0 ? scalar : fc.oneof(fc.constantFrom(...vars), scalar)
  return fc.oneof(
    { weight: 3, arbitrary: v },
    { weight: 1, arbitrary: allVariables ? fc.constant('$$') : v },
    { weight: 1, arbitrary: fc.constantFrom<Term>([1, 'x'], { n: 1 }, 'const', ['+', 1, 2]).map((x): Term => ['const', x]) },
    { weight: 2, arbitrary: fc.array(v, { maxLength: 3 }).map(asList) },
    { weight: 2, arbitrary: fc.record({ n: v, m: v }, { requiredKeys: ['n'] }) },
    { weight: 1, arbitrary: booleanBody(vars, 1) }
  )
}

/** A select's result: any expression, arithmetic and calls that may raise included, in lists and objects. */
function bodyExpression (vars: string[], allVariables: boolean, depth: number): fc.Arbitrary<Term> {
  const leaf = fc.oneof(
    { weight: 3, arbitrary: dataTemplate(vars, allVariables) },
    { weight: 3, arbitrary: numeric(vars, 2) },
    { weight: 2, arbitrary: dataOperand(vars) },
    { weight: 2, arbitrary: booleanBody(vars, 1) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('is_atom', 'is_map', 'is_list'), dataOperand(vars)).map(([f, x]): Term => [f, x]) }
  )
  if (depth === 0) return leaf
  const sub = bodyExpression(vars, allVariables, depth - 1)
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 1, maxLength: 3 }).map(asList) },
    { weight: 1, arbitrary: fc.record({ n: sub, m: sub }, { requiredKeys: ['n'] }) }
  )
}

function result (kind: SpecKind, h: Term): fc.Arbitrary<Term> {
  const { data, whole } = boundVariables(h)
  if (kind === 'count') {
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constantFrom<Term>(false, '$_', '$$') },
      { weight: 1, arbitrary: data.length === 0 ? fc.constant(true) : fc.constantFrom(...data) },
      { weight: 3, arbitrary: booleanBody(data, 2) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('is_atom', 'is_map'), dataOperand(data)).map(([f, x]): Term => [f, x]) }
    )
  }
  const values = dataTemplate(data, whole === undefined)
  if (kind === 'replace') {
    // Mostly the head's own key pattern as the result's key; ETS refuses
    // (badarg, before matching anything) a spec it cannot prove keeps the key.
    const headKey = isTermObject(h) && Object.hasOwn(h, 'key') ? h.key : undefined
    const keepsKey = headKey !== undefined && (VARIABLES.includes(headKey as string) || !hasSpecialString(headKey))
    const sameKey = keepsKey ? fc.constant(headKey as Term) : key
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant('$_') },
      { weight: 5, arbitrary: fc.record({ key: sameKey, value: values }) },
      { weight: 1, arbitrary: values } // not an object: badarg
    )
  }
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('$_') },
    { weight: 4, arbitrary: values },
    { weight: 4, arbitrary: bodyExpression(data, whole === undefined, 2) },
    { weight: 1, arbitrary: whole === undefined ? fc.constant('$$') : fc.constant(whole) },
    { weight: 1, arbitrary: fc.record({ key: values, value: values }) }
  )
}

function clause (kind: SpecKind): fc.Arbitrary<Term> {
  return head.chain(h => fc.record({
    head: fc.constant(h),
    guards: fc.oneof(
      { weight: 20, arbitrary: fc.array(guard(boundVariables(h).data, 2), { maxLength: 2 }) },
      { weight: 1, arbitrary: fc.constant<Term[]>([['==', '$7', 1]]) } // unbound: badarg in ETS, bad_match_spec in Heirloom
    ),
    result: result(kind, h),
  }))
}

export const matchSpec = (kind: SpecKind): fc.Arbitrary<Term[]> => fc.array(clause(kind), { minLength: 1, maxLength: 3 })

/**
 * Whether a hash table in ETS would look up the heads' keys with an object
 * among them (see the top of the file): every head that can match names a
 * key without "_" or a variable, and one of those keys holds an object.
 */
function looksUpAnObject (heads: Term[]): boolean {
  const keys: Term[] = []
  for (const h of heads) {
    if (!isTermObject(h)) return false // "_" or a variable: a scan
    if (Object.keys(h).some(name => name !== 'key' && name !== 'value')) continue // matches nothing
    if (!Object.hasOwn(h, 'key') || hasSpecialString(h.key)) return false
    keys.push(h.key)
  }
  const holdsObject = (t: Term): boolean => isTermObject(t) || (Array.isArray(t) && t.some(holdsObject))
  return keys.some(holdsObject)
}

const headsOf = (spec: Term[]): Term[] => spec.map(c => (c as { head: Term }).head)

// ── update_counter ──

const counterStep: fc.Arbitrary<CounterStep> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ incr: smallInt }) },
  { weight: 3, arbitrary: fc.record({ incr: smallInt, threshold: fc.integer({ min: -2, max: 8 }), setValue: fc.integer({ min: -1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ incr: smallInt, threshold: smallInt }) } // no setValue: badarg in both
)
const counterOps = fc.oneof(smallInt, counterStep, fc.array(counterStep, { minLength: 1, maxLength: 3 }))

// ── update_element ──

const elementStep = fc.record({ value })
const elementSteps = fc.oneof(elementStep, fc.array(elementStep, { minLength: 1, maxLength: 3 }))

// ── operations ──

const op = <T extends Op>(weight: number, arbitrary: fc.Arbitrary<T>): fc.WeightedArbitrary<Op> => ({ weight, arbitrary })
const keyed = (name: 'lookup' | 'member' | 'delete' | 'take' | 'next' | 'prev') => fc.record({ op: fc.constant(name), key })
const bare = (...names: Array<'delete_all_objects' | 'first' | 'last' | 'walk_next' | 'walk_prev' | 'dump'>) =>
  fc.constantFrom(...names).map((name): Op => ({ op: name }))

/** One operation, weighted for the table type (counters for set types, delete_object for bags, cursors for ordered_set). */
export function operation (type: TableType): fc.Arbitrary<Op> {
  const ordered = type === 'ordered_set'
  const oneKeyEach = type === 'set' || ordered
  const objects = fc.array(object, { minLength: 1, maxLength: 3 })
  const spec = (kind: SpecKind): fc.Arbitrary<Term[]> => ordered ? matchSpec(kind) : matchSpec(kind).filter(s => !looksUpAnObject(headsOf(s)))
  const pattern = ordered ? head : head.filter(h => !looksUpAnObject([h]))
  return fc.oneof(
    op(10, fc.record({ op: fc.constant('insert' as const), objects })),
    op(2, fc.record({ op: fc.constant('insert_new' as const), objects })),
    op(3, keyed('lookup')),
    op(1, keyed('member')),
    op(2, keyed('delete')),
    op(oneKeyEach ? 1 : 3, fc.record({ op: fc.constant('delete_object' as const), object })),
    op(1, bare('delete_all_objects', 'dump')), // emptying the table now and then, not often
    op(1, keyed('take')),
    op(oneKeyEach ? 5 : 1, fc.record(
      { op: fc.constant('update_counter' as const), key, ops: counterOps, default: fc.record({ key, value }) },
      { requiredKeys: ['op', 'key', 'ops'] }
    )),
    op(ordered ? 2 : 1, bare('first', 'last')),
    op(ordered ? 3 : 1, fc.oneof(keyed('next'), keyed('prev'))),
    op(1, bare('walk_next', 'walk_prev')),
    op(4, fc.record({ op: fc.constant('select' as const), spec: spec('select') })),
    op(2, fc.record({ op: fc.constant('select' as const), spec: spec('select'), limit: fc.integer({ min: 1, max: 4 }) })),
    op(2, fc.record({ op: fc.constant('select_reverse' as const), spec: spec('select'), limit: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: ['op', 'spec'] })),
    op(2, fc.record({ op: fc.constantFrom('match' as const, 'match_object' as const), pattern, limit: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: ['op', 'pattern'] })),
    op(1, fc.record({ op: fc.constant('match_delete' as const), pattern })),
    op(2, fc.record({ op: fc.constant('lookup_element' as const), key })),
    op(oneKeyEach ? 3 : 1, fc.record({ op: fc.constant('update_element' as const), key, elements: elementSteps })),
    op(1, fc.record({ op: fc.constant('select_count' as const), spec: spec('count') })),
    op(1, fc.record({ op: fc.constant('select_delete' as const), spec: spec('count') })),
    op(oneKeyEach ? 2 : 1, fc.record({ op: fc.constant('select_replace' as const), spec: spec('replace') }))
  )
}

/**
 * A sequence of `length` operations. Each may shrink to `undefined` (an
 * operation left out, skipped when run), so a failure shrinks to the few
 * operations that matter; generation practically never leaves one out.
 */
export function sequence (type: TableType, length: number): fc.Arbitrary<Array<Op | undefined>> {
  return fc.array(fc.option(operation(type), { nil: undefined, freq: 1_000_000 }), { minLength: length, maxLength: length })
}
