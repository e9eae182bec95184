// One conformance suite, run against every table type through one factory;
// where the types differ, each test states the expectation per type.
import t from 'tap'
import { createTable, TABLE_TYPES, type Table, type TableType } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'

function keys(table: Table): Term[] {
  return [...table.objects()].map(o => o.key)
}

function values(table: Table): Term[] {
  return [...table.objects()].map(o => o.value)
}

function conformance(type: TableType, make: () => Table): void {
  const single = type === 'set' || type === 'ordered_set'
  const pick = <V>(expect: Record<TableType, V>): V => expect[type]

  t.test(`${type}: an empty table`, async t => {
    const table = make()
    t.equal(table.type, type)
    t.equal(table.size, 0)
    t.equal(table.memory, 0)
    t.same(table.lookup('a'), [])
    t.equal(table.member('a'), false)
    t.same([...table.objects()], [])
    table.delete('a') // deleting an absent key is fine, as in ETS
    table.checkValid()
  })

  t.test(`${type}: a second object under a key`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }])
    table.insert([{ key: 'k', value: 2 }])
    t.same(table.lookup('k'), single ? [2] : [1, 2])
    t.equal(table.size, single ? 1 : 2)
    table.checkValid()
  })

  t.test(`${type}: an identical object`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }])
    table.insert([{ key: 'k', value: 1 }])
    t.same(table.lookup('k'), pick({ set: [1], ordered_set: [1], bag: [1, 2], duplicate_bag: [1, 2, 1] }),
      'a bag drops it and the original keeps its place; a duplicate_bag keeps the copy')
    table.checkValid()
  })

  t.test(`${type}: a list insert goes in list order`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }, { key: 'k', value: 3 }])
    t.same(table.lookup('k'), single ? [3] : [1, 2, 3], 'not reversed (the OTP 23–25 bag bug)')
  })

  t.test(`${type}: keys are equal structurally`, async t => {
    const table = make()
    table.insert([{ key: { a: 1, b: [1, { c: 2, d: 3 }] }, value: 'first' }])
    table.insert([{ key: { b: [1, { d: 3, c: 2 }], a: 1 }, value: 'second' }])
    table.insert([{ key: -0, value: 'minus zero' }, { key: 0, value: 'zero' }])
    t.same(table.lookup({ b: [1, { c: 2, d: 3 }], a: 1 }), single ? ['second'] : ['first', 'second'])
    t.same(table.lookup(0), single ? ['zero'] : ['minus zero', 'zero'])
    t.equal(table.member(-0), true)
    t.equal(table.member('0'), false, 'the string "0" is another key')
    t.equal(table.member({ a: 1 }), false)
  })

  t.test(`${type}: delete removes every object of the key`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }, { key: 'j', value: 3 }])
    table.delete('k')
    t.same(table.lookup('k'), [])
    t.equal(table.member('k'), false)
    t.same(table.lookup('j'), [3])
    t.equal(table.size, 1)
    table.checkValid()
  })

  t.test(`${type}: iteration order`, async t => {
    const table = make()
    const inserted: Term[] = ['b', [1], 1, { a: 1 }, null, 'a', true]
    table.insert(inserted.map(key => ({ key, value: 0 })))
    t.same(keys(table), type === 'ordered_set' ? [1, null, true, { a: 1 }, [1], 'a', 'b'] : inserted)
  })

  t.test(`${type}: a replaced or added object keeps its key's place`, async t => {
    const table = make()
    table.insert([{ key: 'x', value: 1 }, { key: 'y', value: 2 }, { key: 'x', value: 3 }])
    t.same(keys(table), single ? ['x', 'y'] : ['x', 'x', 'y'], 'objects of one key are adjacent')
    t.same(values(table), single ? [3, 2] : [1, 3, 2])
    table.delete('x')
    table.insert([{ key: 'x', value: 4 }])
    t.same(keys(table), type === 'ordered_set' ? ['x', 'y'] : ['y', 'x'], 'a deleted key comes back at the end')
  })

  t.test(`${type}: a list insert is atomic`, async t => {
    const table = make()
    table.insert([{ key: 'held', value: 1 }])
    const memory = table.memory
    const bad = [{ key: 'a', value: 1 }, { key: 'b', value: NaN }] as const
    t.throws(() => table.insert(bad), { code: 'badarg' })
    t.throws(() => table.insert([{ key: 'a' } as never]), { code: 'badarg' })
    t.throws(() => table.insert([{ key: undefined, value: 1 } as never]), { code: 'badarg' })
    t.throws(() => table.insert('nope' as never), { code: 'badarg' })
    t.same(keys(table), ['held'])
    t.equal(table.memory, memory)
    table.checkValid()
  })

  t.test(`${type}: memory follows the objects`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 'short' }])
    const one = table.memory
    t.ok(one > 0)
    table.insert([{ key: 'k', value: 'a much longer value than before' }])
    t.ok(table.memory > one)
    table.insert([{ key: 'j', value: [1, 2, 3] }])
    table.checkValid()
    table.delete('k')
    table.delete('j')
    t.equal(table.memory, 0)
    table.checkValid()
  })

  t.test(`${type}: results are copies of the table's lists`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }])
    table.lookup('k').push(2)
    t.same(table.lookup('k'), [1])
  })

  t.test(`${type}: __proto__ is an ordinary key and value member`, async t => {
    const table = make()
    const key = JSON.parse('{"__proto__": {"polluted": true}}') as Term
    table.insert([{ key, value: key }])
    t.same(table.lookup(JSON.parse('{"__proto__": {"polluted": true}}')), [key])
    t.equal(table.member({}), false)
    t.equal(({} as Record<string, unknown>).polluted, undefined)
  })
}

for (const type of TABLE_TYPES) conformance(type, () => createTable(type))

t.test('createTable refuses an unknown type', async t => {
  t.throws(() => createTable('heap' as TableType), { code: 'badarg' })
})
