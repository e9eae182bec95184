// Match-spec results as expressions: the one syntax guards and results
// share, and ETS's 'EXIT' for a call that raises in a result.
import t from 'tap'
import { compileMatchSpec, NO_MATCH, RAISED } from '../../src/ets/match-spec.js'
import { createTable } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'

const person = { name: 'Ada', age: 36, tags: ['math', 'code'] }

/** The result of `result` on the object {"k", person}, with $1 the key and $2 the value. */
function body (result: Term, value: Term = person): Term | 'no match' | 'raised' {
  const out = compileMatchSpec([{ head: { key: '$1', value: '$2' }, result }]).match('k', value)
  return out === NO_MATCH ? 'no match' : out === RAISED ? 'raised' : out
}

t.test('results are expressions', async t => {
  const cases: Array<[Term, Term]> = [
    [['+', ['map_get', 'age', '$2'], 1], 37],
    [['-', 10, 4], 6],
    [['-', ['map_get', 'age', '$2']], -36],
    [['*', 6, 7], 42],
    [['/', 7, 2], 3.5],
    [['div', -7, 2], -3],
    [['rem', -7, 2], -1],
    [['abs', -2.5], 2.5],
    [['length', ['map_get', 'tags', '$2']], 2],
    [['hd', ['map_get', 'tags', '$2']], 'math'],
    [['tl', ['map_get', 'tags', '$2']], ['code']],
    [['map_size', '$2'], 3],
    [['element', 2, ['map_get', 'tags', '$2']], 'code'],
    [['>', ['map_get', 'age', '$2'], 30], true],
    [['=:=', '$1', 'k'], true],
    [['andalso', ['is_map', '$2'], ['is_binary', '$1']], true],
    [['orelse', false, ['not', true]], false],
    [['xor', true, false], true],
    [['is_integer', 1.5], false],
    [['is_list', ['const', [1]]], true],
    [['const', ['+', 1, 2]], ['+', 1, 2]],
    [['$1', ['+', 1, 2]], ['k', 3]],
    [[['const', 'sum'], ['+', 1, 2]], ['sum', 3]],
    [{ next: ['+', ['map_get', 'age', '$2'], 1], who: '$1' }, { next: 37, who: 'k' }],
    [['$$', '$_'], [['k', person], { key: 'k', value: person }]],
    [[], []],
  ]
  for (const [result, expected] of cases) t.same(body(result), expected, JSON.stringify(result))
})

t.test('a call that raises gives ETS\'s EXIT, and evaluation carries on', async t => {
  t.equal(body(['+', '$1', 1]), 'raised', 'a result holding EXIT is RAISED')
  t.equal(body(['$1', ['hd', []]]), 'raised', 'nested too')
  t.equal(body({ n: ['element', 9, []] }), 'raised')
  t.equal(body(['is_atom', ['+', '$1', 1]]), true, 'EXIT is an atom')
  t.equal(body(['is_map', ['+', '$1', 1]]), false, 'and no object')
  t.equal(body(['>', ['+', '$1', 1], 3]), true, 'an atom is above a number')
  t.equal(body(['<', ['+', '$1', 1], false]), true, '\'EXIT\' is below false, alphabetically')
  t.equal(body(['=:=', ['hd', []], ['tl', []]]), true, 'EXIT equals EXIT')
  t.equal(body(['-', ['+', '$1', 1]]), 'raised', 'arithmetic on EXIT raises again')
  t.equal(body(['orelse', true, ['+', '$1', 1]]), true, 'orelse stops at true')
  const table = createTable('set')
  table.insert([{ key: 1, value: 'a' }, { key: 2, value: 5 }])
  t.same(table.select([{ head: { key: '$1', value: '$2' }, result: ['+', '$2', 1] }]).results, [6], 'select leaves the EXIT result out')
  t.equal(table.selectCount([{ head: { value: '$2' }, result: ['is_atom', ['+', '$2', 1]] }]), 1, 'select_count counts what is true')
  t.equal(table.selectDelete([{ head: { value: '$2' }, result: ['+', '$2', 1] }]), 0, 'EXIT is not true')
})

t.test('expressions are checked when compiled', async t => {
  const bad: Array<[Term, string]> = [
    [['team', '$1'], '[0].result[0]'],
    [['*', 1], '[0].result'],
    [['const'], '[0].result'],
    [['element', 1], '[0].result'],
    [['+', '$3', 1], '[0].result[1]'],
  ]
  for (const [result, path] of bad) {
    t.throws(() => compileMatchSpec([{ head: { key: '$1', value: '$2' }, result }]), { code: 'bad_match_spec', path }, JSON.stringify(result))
  }
})

t.test('select_replace recognises the head\'s key however it is built', async t => {
  const table = createTable('ordered_set')
  table.insert([{ key: ['user', 1], value: 1 }, { key: ['user', 2], value: 2 }])
  const head = { key: ['user', '$1'], value: '$2' }
  t.equal(table.selectReplace([{ head, result: { key: [['const', 'user'], '$1'], value: ['*', '$2', 10] } }]), 2)
  t.same(table.lookup(['user', 2]), [20])
  t.throws(() => table.selectReplace([{ head, result: { key: [['const', 'other'], '$1'], value: 0 } }]), { code: 'badarg' })
  t.equal(table.selectReplace([{ head: { key: ['user', 1], value: '_' }, result: { key: ['const', ['user', 1]], value: 0 } }]), 1)
})
