// Partly bound keys on an ordered_set: the range walked holds every key the
// heads can match (results equal a full scan's, forwards, backwards and in
// chunks), and only that range is visited.
import fc from 'fast-check'
import t from 'tap'
import { keyRangeOf } from '../../src/ets/key-range.js'
import { isLiteral } from '../../src/ets/match-scope.js'
import { compileMatchSpec, NO_MATCH, RAISED } from '../../src/ets/match-spec.js'
import { createTable, type SelectContinuation, type Table } from '../../src/ets/table.js'
import { compareTerms, type Term } from '../../src/ets/term.js'

const scalar = fc.constantFrom<Term>(0, 1, 2, -1, 1.5, 'a', 'b', '', 'user', true, false, null)
const key: fc.Arbitrary<Term> = fc.letrec<{ key: Term }>(tie => ({
  key: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('key'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('org', 'id', 'a', 'b'), tie('key'), { maxKeys: 3 })),
})).key
const pattern: fc.Arbitrary<Term> = fc.letrec<{ p: Term }>(tie => ({
  p: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.constantFrom<Term>('_', '$1', '$2'),
    fc.array(tie('p'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('org', 'id', 'a'), tie('p'), { maxKeys: 2 })),
})).p

/** What a full scan answers: every object in term order through the spec. */
function scanned (table: Table, spec: Term): Term[] {
  const compiled = compileMatchSpec(spec)
  const out: Term[] = []
  for (const { key, value } of table.objects()) {
    const result = compiled.match(key, value)
    if (result !== NO_MATCH && result !== RAISED) out.push(result)
  }
  return out
}

function chunked (table: Table, spec: Term, reverse: boolean): Term[] {
  const out: Term[] = []
  let continuation: SelectContinuation | undefined
  do {
    const chunk = table.select(spec, { limit: 2, continuation, reverse })
    out.push(...chunk.results)
    continuation = chunk.continuation
  } while (continuation !== undefined)
  return out
}

t.test('a range walk answers as a full scan, forwards, backwards and in chunks', async t => {
  fc.assert(fc.property(fc.array(key, { maxLength: 40 }), fc.array(pattern, { minLength: 1, maxLength: 2 }), (keys, patterns) => {
    const table = createTable('ordered_set')
    table.insert(keys.map((k, i) => ({ key: k, value: i })))
    const spec = patterns.map(p => ({ head: { key: p, value: '_' }, result: '$_' }))
    // Literal keys are looked up or bound the range (exact, as in ETS), where a scan would match an
    // object in them partially: see 'a literal key is a point' below.
    fc.pre(!patterns.some(p => isLiteral(p) && JSON.stringify(p).includes('{')))
    const expected = scanned(table, spec)
    t.same(table.select(spec).results, expected)
    t.same(table.select(spec, { reverse: true }).results, expected.slice().reverse())
    t.same(chunked(table, spec, false), expected)
    t.same(chunked(table, spec, true), expected.slice().reverse())
    t.equal(table.selectCount(spec.map(c => ({ ...c, result: true }))), expected.length)
  }), { numRuns: 300 })
})

t.test('a range holds every key its pattern matches, and its positions are monotone', async t => {
  fc.assert(fc.property(pattern, fc.array(key, { minLength: 1, maxLength: 30 }), (p, keys) => {
    const range = keyRangeOf(p)
    if (range === undefined || isLiteral(p)) return
    const matches = compileMatchSpec([{ head: { key: p }, result: true }])
    const sorted = keys.slice().sort(compareTerms)
    let last = -1
    for (const k of sorted) {
      const position = range.position(k)
      if (matches.match(k, null) === true) t.equal(position, 0, `${JSON.stringify(k)} matches ${JSON.stringify(p)}`)
      if (position < last) t.fail(`not monotone at ${JSON.stringify(k)} for ${JSON.stringify(p)}`)
      last = position
    }
  }), { numRuns: 1000 })
})

t.test('which patterns bound a range', async t => {
  for (const p of ['_', '$1'] as Term[]) t.equal(keyRangeOf(p), undefined, `${JSON.stringify(p)}: any key`)
  const users = keyRangeOf(['user', '$1'])!
  t.equal(users.position(['user', 7]), 0)
  t.equal(users.position(['user']), -1, 'a prefix sorts first')
  t.equal(users.position(['usex', 1]), 1)
  t.equal(users.position(['use', 1]), -1)
  t.equal(users.position('user'), 1, 'strings sort after arrays')
  t.equal(users.position({ user: 1 }), -1, 'objects sort before arrays')
  const org = keyRangeOf({ org: 7, id: '_' })!
  t.equal(org.position({ a: 1 }), -1, 'fewer members first')
  t.equal(org.position({ org: 7, id: 1 }), 0)
  t.equal(org.position({ org: 8, id: 1 }), 0, 'a larger object may match: no member narrows the range')
  t.equal(org.position({ org: 7, id: 1, x: 2 }), 0)
  t.equal(org.position([]), 1)
  const nested = keyRangeOf([1, ['a', '_'], '$1'])!
  t.equal(nested.position([1, ['a', 9], 'z']), 0)
  t.equal(nested.position([1, ['b'], 0]), 1, 'a partly bound element narrows the range by its own')
})

t.test('a literal key is a point, as ETS takes it: alone looked up, else a bound of the range walked', async t => {
  const table = createTable('ordered_set')
  table.insert([{ key: { a: 1, b: 2 }, value: 0 }, { key: [1, { a: 1, b: 2 }], value: 2 }])
  const spec = (...keys: Term[]): Term => keys.map(key => ({ head: { key, value: '_' }, result: '$_' }))
  t.same(table.select(spec({ a: 1 })).results, [], 'one literal key: looked up, exact')
  t.same(table.select(spec({ a: 1 }, 0)).results, [], 'the range [0, {"a": 1}] ends before the larger object')
  t.same(table.select(spec([1, 2], { a: 1 })).results, [{ key: { a: 1, b: 2 }, value: 0 }], 'within [{"a": 1}, [1, 2]] the object pattern matches partially (ETS: the same)')
  t.same(table.select(spec([0, '$1'], [1, { a: 1 }])).results, [], 'a literal ends the range (ETS: the same)')
  const hash = createTable('set')
  hash.insert([{ key: { a: 1, b: 2 }, value: 0 }])
  t.same(hash.select(spec([1, 2], { a: 1 })).results, [], 'a hash table looks each literal key up')
})

t.test('a range query on a 200k-object ordered_set visits only its range (bench/range.ts: 1M)', async t => {
  const table = createTable('ordered_set')
  const n = 200_000
  const batch = []
  for (let i = 0; i < n; i++) {
    batch.push({ key: [i % 2 === 0 ? 'user' : 'group', i], value: i })
    if (batch.length === 10_000) table.insert(batch.splice(0))
  }
  t.equal(table.size, n)
  const spec = [{ head: { key: ['user', '$1'], value: '$2' }, guards: [['>=', '$1', n / 2], ['<', '$1', n / 2 + 200]], result: '$2' }]
  const before = table.info()
  // The guard bounds the numbers, not the walk: the walk is every "user" key. A literal prefix bounds it.
  t.equal(table.select(spec).results.length, 100)
  const users = table.info()
  t.equal(users.fullScans, before.fullScans, 'no full scan')
  t.equal(users.keysVisited - before.keysVisited, n / 2, 'the "user" half only')
  const narrow = [{ head: { key: [['user', 7], '$1'] }, result: '$1' }]
  table.insert(Array.from({ length: 100 }, (_, i) => ({ key: [['user', 7], i], value: i })))
  const at = table.info().keysVisited
  t.equal(table.select(narrow).results.length, 100)
  t.equal(table.info().keysVisited - at, 100, '100 keys in range, 100 keys visited')
  t.equal(table.select(narrow, { reverse: true, limit: 3 }).results.length, 3)
  t.equal(table.info().keysVisited - at, 104, 'a reverse chunk of 3 visits 4 (the 4th ends the chunk)')
})
