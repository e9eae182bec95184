import t from 'tap'
import { compileMatchSpec, NO_MATCH, RAISED } from '../../src/ets/match-spec.js'
import { createTable } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'

/** The result of a one-clause spec on one object, or 'no match'. */
function run (head: Term, guards: Term[], result: Term, key: Term, value: Term): Term | 'no match' | 'raised' {
  const out = compileMatchSpec([{ head, guards, result }]).match(key, value)
  return out === NO_MATCH ? 'no match' : out === RAISED ? 'raised' : out
}

const person = { name: 'Ada', age: 36, tags: ['math', 'code'] }

t.test('head patterns', async t => {
  t.same(run({ key: '$1', value: '$2' }, [], '$$', 'k', 1), ['k', 1], 'variables bind')
  t.same(run('_', [], true, 'k', 1), true, 'wildcard head')
  t.same(run('$1', [], '$1', 'k', 1), { key: 'k', value: 1 }, 'a variable head binds the object')
  t.same(run({ value: { age: '$1' } }, [], '$1', 'k', person), 36, 'object patterns are partial')
  t.same(run({ value: { height: '_' } }, [], true, 'k', person), 'no match', 'a named member must be present')
  t.same(run({ value: { name: 'Ada' } }, [], true, 'k', person), true, 'literal member')
  t.same(run({ value: { name: 'Bob' } }, [], true, 'k', person), 'no match')
  t.same(run({ value: { tags: ['$1', '_'] } }, [], '$1', 'k', person), 'math', 'array patterns by position')
  t.same(run({ value: { tags: ['$1'] } }, [], '$1', 'k', person), 'no match', 'array patterns need the same length')
  t.same(run({ key: '$1', value: '$1' }, [], true, 'same', 'same'), true, 'a repeated variable must match equal terms')
  t.same(run({ key: '$1', value: '$1' }, [], true, 'same', 'other'), 'no match')
  t.same(run({ key: '$1', value: '$1' }, [], true, { a: 1, b: 2 }, { b: 2, a: 1 }), true, 'equal structurally')
  t.same(run({ key: 0 }, [], true, -0, 1), true, '-0 matches 0')
  t.same(run({ key: 'k', other: '_' }, [], true, 'k', 1), 'no match', 'the object has only key and value')
  t.same(run({ key: '$1', value: JSON.parse('{"__proto__": "$2"}') }, [], '$2', 'k', JSON.parse('{"__proto__": 7}')), 7, '__proto__ member')
  t.same(run({ value: { toString: '_' } }, [], true, 'k', {}), 'no match', 'inherited members are not members')
})

t.test('results', async t => {
  t.same(run({ key: '$1', value: '$2' }, [], '$_', 'k', 1), { key: 'k', value: 1 })
  t.same(run({ key: '$2', value: '$1' }, [], '$$', 'k', 1), [1, 'k'], '$$ lists variables by number, not by position')
  t.same(run({ key: '$1', value: '$2' }, [], { id: '$1', all: ['$2', '$$', { o: '$_' }] }, 'k', 1),
    { id: 'k', all: [1, ['k', 1], { o: { key: 'k', value: 1 } }] }, 'templates nest')
  t.same(run({ key: '$1' }, [], ['const', '$1'], 'k', 1), '$1', 'const quotes')
  t.same(run({ key: '$1' }, [], [['const', 'x'], ['const', ['$1']]], 'k', 1), ['x', ['$1']], 'a list that begins with a literal string quotes it')
  const built = run({ key: '$1' }, [], JSON.parse('{"__proto__": "$1"}'), 'k', 1) as Record<string, Term>
  t.same(Object.keys(built), ['__proto__'], '__proto__ built as a member')
  t.equal(Object.getOwnPropertyDescriptor(built, '__proto__')?.value, 'k')
  t.equal(Object.getPrototypeOf(built), Object.prototype)
})

t.test('guards', async t => {
  const on = (guard: Term, value: Term = person): Term => run({ key: '$1', value: '$2' }, [guard], true, 'k', value)
  t.same(on(['>', ['map_get', 'age', '$2'], 30]), true)
  t.same(on(['<', ['map_get', 'age', '$2'], 30]), 'no match')
  t.same(on(['=<', 1, 1]), true)
  t.same(on(['>=', 'a', 1]), true, 'term order: a string is above a number')
  t.same(on(['==', { a: 1, b: 2 }, { b: 2, a: 1 }]), true)
  t.same(on(['=:=', '$2', ['const', person]]), true, 'an array that begins with a string is a call, so such literals go in const')
  t.same(on(['=:=', ['$1', 1], [['const', 'k'], 1]]), true, 'other arrays are lists built from expressions')
  t.same(on(['/=', 1, 2]), true)
  t.same(on(['=/=', 1, 1]), 'no match')
  t.same(on(['andalso', ['is_map', '$2'], ['is_map_key', 'age', '$2']]), true)
  t.same(on(['orelse', ['is_list', '$2'], ['is_binary', '$1']]), true)
  t.same(on(['andalso', false, ['hd', []]]), 'no match', 'andalso stops at false')
  t.same(on(['orelse', true, ['hd', []]]), true, 'orelse stops at true')
  t.same(on(['not', ['is_number', '$2']]), true)
  t.same(on(['and', true, true, true]), true)
  t.same(on(['or', false, false]), 'no match')
  t.same(on(['xor', true, false]), true)
  for (const [test, yes, no] of [
    ['is_number', 1.5, 'x'], ['is_integer', 2, 2.5], ['is_float', 2.5, 2], ['is_atom', null, 'null'],
    ['is_boolean', false, null], ['is_binary', 'x', ['x']], ['is_list', [], {}], ['is_map', {}, []],
  ] as Array<[string, Term, Term]>) {
    t.same(on([test, '$2'], yes), true, `${test} yes`)
    t.same(on([test, '$2'], no), 'no match', `${test} no`)
  }
  t.same(on(['=:=', ['+', 2, 3], 5]), true)
  t.same(on(['=:=', ['-', 2], -2]), true)
  t.same(on(['=:=', ['*', 2, 3], 6]), true)
  t.same(on(['=:=', ['/', 3, 2], 1.5]), true)
  t.same(on(['=:=', ['div', -7, 2], -3]), true, 'div truncates')
  t.same(on(['=:=', ['rem', -7, 2], -1]), true, 'rem takes the sign of the dividend')
  t.same(on(['=:=', ['abs', -3], 3]), true)
  t.same(on(['=:=', ['map_size', '$2'], 3]), true)
  t.same(on(['=:=', ['length', ['map_get', 'tags', '$2']], 2]), true)
  t.same(on(['=:=', ['hd', ['map_get', 'tags', '$2']], 'math']), true)
  t.same(on(['=:=', ['tl', ['map_get', 'tags', '$2']], ['const', ['code']]]), true)
  t.same(on(['=:=', '$1', ['const', 'k']]), true)
  t.same(on(['=:=', { k: '$1' }, { k: 'k' }]), true, 'objects in guards are built from expressions')
})

t.test('a guard that raises fails its clause only', async t => {
  const raising: Term[] = [
    ['+', 'a', 1], ['/', 1, 0], ['div', 1.5, 1], ['rem', 1, 0], ['hd', []], ['tl', 'x'], ['length', {}],
    ['map_get', 'missing', '$2'], ['map_size', []], ['not', 1], ['andalso', 1, true], ['*', 1e308, 10],
  ]
  for (const guard of raising) {
    const spec = compileMatchSpec([
      { head: { key: '$1', value: '$2' }, guards: [guard], result: 'first' },
      { head: '_', result: 'second' },
    ])
    t.equal(spec.match('k', person), 'second', JSON.stringify(guard))
  }
  t.equal(compileMatchSpec([{ head: '_', guards: [1], result: 'x' }]).match('k', 1), NO_MATCH, 'a guard must be exactly true')
})

t.test('bad specs name the place of the fault', async t => {
  const bad: Array<[Term, string]> = [
    [{ head: '_' }, ''],
    [[1], '[0]'],
    [[{ result: 1 }], '[0].head'],
    [[{ head: '_' }], '[0].result'],
    [[{ head: '_', result: 1, extra: 1 }], '[0].extra'],
    [[{ head: '_', guards: {}, result: 1 }], '[0].guards'],
    [[{ head: '_', result: 1 }, { head: '_', guards: [true, ['bogus', 1]], result: 1 }], '[1].guards[1][0]'],
    [[{ head: '_', guards: [['constructor']], result: 1 }], '[0].guards[0][0]'],
    [[{ head: '_', guards: [['>', 1]], result: 1 }], '[0].guards[0]'],
    [[{ head: '_', result: ['team', 1] }], '[0].result[0]'],
    [[{ head: '_', guards: [['andalso', true, ['>', '$3', 1]]], result: 1 }], '[0].guards[0][2][1]'],
    [[{ head: { key: '$1' }, result: ['$1', '$2'] }], '[0].result[1]'],
    [[{ head: { value: { 'a b': '$_' } }, result: 1 }], '[0].head.value["a b"]'],
    [[{ head: '_', guards: [['const', 1, 2]], result: 1 }], '[0].guards[0]'],
  ]
  for (const [spec, path] of bad) {
    t.throws(() => compileMatchSpec(spec), { code: 'bad_match_spec', path }, JSON.stringify(spec))
  }
})

t.test('a literal key is looked up, not scanned', async t => {
  t.same(compileMatchSpec([{ head: { key: ['a', 1], value: '$1' }, result: '$1' }]).keys, [['a', 1]])
  t.same(compileMatchSpec([{ head: { key: 'a' }, result: 1 }, { head: { key: 'b' }, result: 2 }, { head: { key: 'a' }, result: 3 }]).keys, ['a', 'b'])
  // A key pattern with no variable and no "_" is a key, objects included (ETS looks it up).
  t.same(compileMatchSpec([{ head: { key: { a: 1 } }, result: 1 }]).keys, [{ a: 1 }])
  for (const head of ['_', { value: 1 }, { key: '_' }, { key: ['a', '$1'] }, { key: { a: '$1' } }] as Term[]) {
    t.equal(compileMatchSpec([{ head, result: 1 }]).keys, undefined, `${JSON.stringify(head)} scans`)
  }
  t.equal(compileMatchSpec([{ head: { key: 'a' }, result: 1 }, { head: '_', result: 2 }]).keys, undefined, 'one scanning clause scans')

  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as const) {
    const table = createTable(type)
    table.insert(Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: i })))
    const byKey = [{ head: { key: 'k500', value: '$1' }, result: '$1' }, { head: { key: 'k7', value: '$1' }, result: '$1' }]
    t.same(table.select(byKey).results, type === 'ordered_set' ? [500, 7] : [7, 500], `${type}: in table order`)
    t.equal(table.selectCount([{ head: { key: 'k500' }, result: true }]), 1)
    t.equal(table.selectDelete([{ head: { key: 'k1' }, result: true }]), 1)
    t.equal(table.info().fullScans, 0, `${type}: no full scan`)
    t.same(table.select([{ head: { key: '$1', value: 500 }, result: '$1' }]).results, ['k500'])
    t.equal(table.info().fullScans, 1, `${type}: a variable key scans`)
  }
})
