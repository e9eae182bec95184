// One conformance suite, run against every table type through one factory;
// where the types differ, each test states the expectation per type.
import t from 'tap'
import { compileMatchSpec } from '../../src/ets/match-spec.js'
import { createTable, TABLE_TYPES, type Page, type PageOptions, type SelectContinuation, type Table, type TableType } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'

function keys (table: Table): Term[] {
  return [...table.objects()].map(o => o.key)
}

function values (table: Table): Term[] {
  return [...table.objects()].map(o => o.value)
}

function conformance (type: TableType, make: () => Table): void {
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

  t.test(`${type}: insertNew is all or nothing`, async t => {
    const table = make()
    table.insert([{ key: 'a', value: 1 }])
    t.same(table.insertNew([{ key: 'b', value: 2 }, { key: 'a', value: 3 }, { key: 'a', value: 4 }]), { inserted: false, present: ['a'] })
    t.same(keys(table), ['a'], 'nothing inserted')
    t.same(table.insertNew([{ key: 'b', value: 2 }, { key: 'c', value: 3 }, { key: 'b', value: 4 }]), { inserted: true, present: [] })
    t.same(table.lookup('b'), single ? [4] : [2, 4], 'keys repeated in the list go in as insert does')
    t.throws(() => table.insertNew([{ key: 'z', value: NaN }]), { code: 'badarg' })
    table.checkValid()
  })

  t.test(`${type}: deleteObject`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }, { key: 'k', value: 1 }])
    table.deleteObject({ key: 'k', value: 3 })
    t.same(table.lookup('k'), pick({ set: [1], ordered_set: [1], bag: [1, 2], duplicate_bag: [1, 2, 1] }), 'an absent object: no change')
    table.deleteObject({ key: 'k', value: 1 })
    t.same(table.lookup('k'), pick({ set: [], ordered_set: [], bag: [2], duplicate_bag: [2] }), 'a duplicate_bag loses every copy')
    table.deleteObject({ key: 'nope', value: 1 })
    table.checkValid()
  })

  t.test(`${type}: deleteAllObjects and take`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }, { key: 'j', value: 3 }])
    t.same(table.take('k'), single ? [2] : [1, 2])
    t.same(table.take('k'), [])
    t.same(keys(table), ['j'])
    table.deleteAllObjects()
    t.equal(table.size, 0)
    t.equal(table.memory, 0)
    t.equal(table.first(), undefined)
    table.insert([{ key: 'x', value: 1 }])
    t.same(keys(table), ['x'])
    table.checkValid()
  })

  t.test(`${type}: updateCounter`, async t => {
    const table = make()
    table.insert([{ key: 'n', value: 10 }, { key: 'o', value: { hits: 1, name: 'x' } }, { key: 'f', value: 1.5 }])
    if (!single) {
      t.throws(() => table.updateCounter('n', 1), { code: 'badarg' }, 'set and ordered_set only, as ETS')
      return
    }
    t.same(table.updateCounter('n', 5), [15])
    t.same(table.updateCounter('n', [{ incr: 1 }, { incr: -20 }]), [16, -4], 'steps apply in order')
    t.same(table.updateCounter('n', { incr: 10, threshold: 5, setValue: 0 }), [0], 'past the threshold going up')
    t.same(table.updateCounter('n', { incr: -1, threshold: 0, setValue: 100 }), [100], 'past the threshold going down')
    t.same(table.updateCounter('n', { incr: 0, threshold: -1, setValue: 7 }), [7], 'incr 0 resets past the threshold too (ETS: Incr >= 0)')
    t.same(table.updateCounter('o', { incr: 2, path: 'hits' }), [3])
    t.same(table.lookup('o'), [{ hits: 3, name: 'x' }])
    t.same(table.updateCounter('new', { incr: 1, path: 'c' }, { key: 'ignored', value: { c: 41 } }), [42], 'default object')
    t.same(table.lookup('new'), [{ c: 42 }], 'inserted under the key asked for')
    t.equal(table.member('ignored'), false)
    const before = [...table.objects()]
    const memory = table.memory
    const failing: Array<() => unknown> = [
      () => table.updateCounter('missing', 1),
      () => table.updateCounter('f', 1),
      () => table.updateCounter('n', 0.5),
      () => table.updateCounter('n', [{ incr: 1 }, { incr: 1, path: 'x' }]),
      () => table.updateCounter('o', [{ incr: 1, path: 'hits' }, { incr: 1, path: 'name' }]),
      () => table.updateCounter('o', [{ incr: 1, path: 'hits' }, { incr: 1, path: 'nope' }]),
      () => table.updateCounter('n', { incr: 1, threshold: 5 }),
      () => table.updateCounter('n', Number.MAX_SAFE_INTEGER),
      () => table.updateCounter('n', { incr: 1, pos: 2 } as never),
      () => table.updateCounter('missing2', 1, { key: 'x', value: 'not a number' }),
    ]
    for (const fail of failing) t.throws(fail, { code: 'badarg' }, String(fail))
    t.same([...table.objects()], before, 'nothing changed on failure')
    t.equal(table.memory, memory)
    t.equal(table.member('missing2'), false, 'the default object is not inserted on failure')
    table.checkValid()
  })

  t.test(`${type}: mergePatch`, async t => {
    const table = make()
    const original = { a: 1, b: { c: 2, d: 3 } }
    table.insert([{ key: 'k', value: original }])
    if (!single) {
      t.throws(() => table.mergePatch('k', {}), { code: 'badarg' })
      return
    }
    t.same(table.mergePatch('k', { a: null, b: { c: 20 }, e: [null] }), { b: { c: 20, d: 3 }, e: [null] })
    t.same(table.lookup('k'), [{ b: { c: 20, d: 3 }, e: [null] }])
    t.same(original, { a: 1, b: { c: 2, d: 3 } }, 'the old value is left untouched')
    t.throws(() => table.mergePatch('missing', {}), { code: 'not_found' })
    table.checkValid()
  })

  t.test(`${type}: first, next, last, prev`, async t => {
    const table = make()
    t.equal(table.first(), undefined)
    t.equal(table.last(), undefined)
    table.insert([{ key: 'b', value: 1 }, { key: 'a', value: 1 }, { key: 'c', value: 1 }])
    const order = type === 'ordered_set' ? ['a', 'b', 'c'] : ['b', 'a', 'c']
    const forward: Term[] = []
    for (let k = table.first(); k !== undefined; k = table.next(k)) forward.push(k)
    t.same(forward, order)
    const backward: Term[] = []
    for (let k = table.last(); k !== undefined; k = table.prev(k)) backward.push(k)
    t.same(backward, [...order].reverse())
    if (type === 'ordered_set') {
      t.equal(table.next('aa'), 'b', 'any key will do for ordered_set')
      t.equal(table.prev('aa'), 'a')
    } else {
      t.throws(() => table.next('aa'), { code: 'badarg' }, 'a hash table needs the key (ETS without safe_fixtable)')
    }
  })

  t.test(`${type}: page through everything`, async t => {
    const table = make()
    const inserted = ['e', 'b', 'd', 'a', 'c']
    table.insert(inserted.map((key, i) => ({ key, value: i })))
    table.insert([{ key: 'b', value: 9 }])
    const order = type === 'ordered_set' ? ['a', 'b', 'c', 'd', 'e'] : inserted
    for (const reverse of [false, true]) {
      const seen: Term[] = []
      const pages: number[] = []
      let after: Term | undefined
      do {
        const page: Page = table.page({ limit: 2, after, reverse })
        pages.push(page.objects.length)
        seen.push(...page.objects.map(o => o.key))
        after = page.nextAfter
      } while (after !== undefined)
      const expected = reverse ? [...order].reverse() : order
      t.same(seen, single ? expected : expected.flatMap(k => (k === 'b' ? ['b', 'b'] : [k])), `reverse: ${reverse}`)
      t.same(pages.length, 3, 'two keys a page, no empty last page')
    }
    t.throws(() => table.page({ limit: 0 }), { code: 'badarg' })
  })

  t.test(`${type}: a page cursor survives the deletion of its key`, async t => {
    const table = make()
    table.insert(['a', 'b', 'c', 'd'].map(key => ({ key, value: 0 })))
    const first = table.page({ limit: 2 })
    t.same(first.objects.map(o => o.key), ['a', 'b'])
    table.delete('b')
    table.delete('c')
    table.insert([{ key: 'b', value: 1 }])
    const second = table.page({ limit: 2, after: first.nextAfter })
    t.same(second.objects.map(o => o.key), type === 'ordered_set' ? ['d'] : ['d', 'b'],
      'ordered_set goes on past the key; hash tables from the position, where a reinserted key is new')
    if (type !== 'ordered_set') t.throws(() => table.page({ limit: 1, after: 'a' }), { code: 'bad_cursor' }, 'a hash cursor is {seq}')
  })

  t.test(`${type}: page a key range`, async t => {
    const table = make()
    table.insert([1, 2, 3, 4, 5, 'x'].map(key => ({ key, value: 0 })))
    if (type !== 'ordered_set') {
      t.throws(() => table.page({ limit: 2, from: 1 }), { code: 'badarg' }, 'a range needs term order')
      return
    }
    const take = (options: PageOptions): Term[] => table.page(options).objects.map(o => o.key)
    t.same(take({ limit: 10, from: 2, to: 4 }), [2, 3, 4], 'inclusive')
    t.same(take({ limit: 10, from: 2, to: 4, reverse: true }), [4, 3, 2])
    t.same(take({ limit: 10, from: 2.5, to: 'a' }), [3, 4, 5], 'bounds need not be keys')
    t.same(take({ limit: 10, from: 2, after: 3 }), [4, 5, 'x'], 'after wins when past from')
    t.same(take({ limit: 10, from: 4, after: 1 }), [4, 5, 'x'], 'from wins when past after')
    t.same(take({ limit: 10, to: 4, after: 5, reverse: true }), [4, 3, 2, 1])
    t.same(table.page({ limit: 3, from: 2, to: 4 }).nextAfter, undefined, 'no cursor when the range is done')
  })

  t.test(`${type}: select, with limit and continuation`, async t => {
    const table = make()
    table.insert([{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'b', value: 3 }, { key: 'c', value: 4 }])
    const spec = [{ head: { key: '$1', value: '$2' }, guards: [['>', '$2', 1]], result: ['$1', '$2'] }]
    const all = table.select(spec).results
    t.same(all, single ? [['b', 3], ['c', 4]] : [['b', 2], ['b', 3], ['c', 4]])
    const chunks: Term[][] = []
    let continuation: SelectContinuation | undefined
    do {
      const chunk = table.select(spec, { limit: 1, continuation })
      chunks.push(chunk.results)
      continuation = chunk.continuation
    } while (continuation !== undefined)
    t.same(chunks.flat(), all, 'chunks add up to the whole')
    t.ok(chunks.every(c => c.length <= 1), 'no chunk above the limit')
    const compiled = compileMatchSpec([{ head: { value: 1 }, result: '$_' }])
    t.same(table.select(compiled).results, [{ key: 'a', value: 1 }], 'a compiled spec is reusable')
    t.throws(() => table.select(spec, { limit: 1, continuation: { at: 'a' } as never }), { code: 'bad_cursor' })
  })

  t.test(`${type}: selectCount and selectDelete count results that are true`, async t => {
    const table = make()
    table.insert([1, 2, 3, 4, 5, 6].map(n => ({ key: n % 3, value: n })))
    const even: Term = [{ head: { value: '$1' }, guards: [['=:=', ['rem', '$1', 2], 0]], result: true }, { head: '_', result: 'no' }]
    t.equal(table.selectCount(even), single ? 2 : 3)
    t.equal(table.selectDelete(even), single ? 2 : 3)
    t.same(values(table), pick({ set: [5], ordered_set: [5], bag: [1, 5, 3], duplicate_bag: [1, 5, 3] }))
    t.equal(table.selectCount(even), 0)
    table.checkValid()
  })

  t.test(`${type}: selectReplace keeps keys`, async t => {
    const table = make()
    table.insert([{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'b', value: 2 }])
    const bump = [{ head: { key: '$1', value: '$2' }, guards: [['is_integer', '$2']], result: { key: '$1', value: ['+', '$2', 1] } }]
    if (type === 'bag') {
      t.throws(() => table.selectReplace(bump), { code: 'badarg' }, 'bags are refused, as in ETS')
      return
    }
    t.equal(table.selectReplace(bump), single ? 2 : 3)
    t.same(values(table), single ? [2, 3] : [2, 3, 3], 'results are expressions')
    const raising = [{ head: { key: '$1', value: '$2' }, result: { key: '$1', value: ['hd', '$2'] } }]
    t.throws(() => table.selectReplace(raising), { code: 'badarg' }, 'a result that raises replaces nothing (ETS would store \'EXIT\')')
    const before = [...table.objects()]
    const rekey = [{ head: { key: '$1', value: '$2' }, result: { key: ['$1'], value: '$2' } }]
    t.throws(() => table.selectReplace(rekey), { code: 'badarg' }, 'a changed key')
    t.throws(() => table.selectReplace([{ head: { key: 'b' }, result: { key: 'b', value: 1, extra: 1 } }]), { code: 'badarg' })
    t.throws(() => table.selectReplace([{ head: { key: 'b' }, result: 'b' }]), { code: 'badarg' })
    t.same([...table.objects()], before, 'nothing replaced on failure')
    t.equal(table.selectReplace([{ head: { key: 'b', value: '$1' }, result: '$_' }]), single ? 1 : 2, '$_ keeps the object')
    table.checkValid()
  })

  t.test(`${type}: selectReverse goes backwards on an ordered_set only, as ETS`, async t => {
    const table = make()
    table.insert([3, 1, 2].map(key => ({ key, value: key * 10 })))
    const spec = [{ head: { key: '$1' }, result: '$1' }]
    const forwards = table.select(spec).results
    t.same(table.selectReverse(spec).results, type === 'ordered_set' ? [3, 2, 1] : forwards)
    const first = table.selectReverse(spec, { limit: 2 })
    t.same(first.results, type === 'ordered_set' ? [3, 2] : forwards.slice(0, 2))
    t.same(table.selectReverse(spec, { limit: 2, continuation: first.continuation }).results, type === 'ordered_set' ? [1] : forwards.slice(2))
  })

  t.test(`${type}: match, matchObject, matchDelete`, async t => {
    const table = make()
    table.insert([{ key: ['u', 1], value: { n: 1 } }, { key: ['u', 2], value: { n: 2 } }, { key: ['g', 1], value: { n: 1 } }, { key: ['u', 1], value: { n: 3 } }])
    const pattern = { key: ['u', '$2'], value: { n: '$1' } }
    const bindings = table.match(pattern).results
    t.same(bindings, pick({
      set: [[3, 1], [2, 2]], ordered_set: [[3, 1], [2, 2]], bag: [[1, 1], [3, 1], [2, 2]], duplicate_bag: [[1, 1], [3, 1], [2, 2]],
    }), 'the variables in number order, not in the order they appear')
    t.same(table.match({ key: '_', value: '_' }).results, Array(table.size).fill([]), '"_" binds nothing')
    t.same(table.matchObject({ key: ['g', '_'] }).results, [{ key: ['g', 1], value: { n: 1 } }])
    t.same(table.matchObject('$1', { limit: 1 }).results.length, 1)
    t.equal(table.matchDelete({ value: { n: 1 } }), single ? 1 : 2)
    t.same(table.matchObject({ value: { n: 1 } }).results, [])
    t.throws(() => table.match({ key: '$_' }), { code: 'bad_match_spec' })
    table.checkValid()
  })

  t.test(`${type}: lookupElement`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: { a: 1, b: 2 } }, { key: 'k', value: { a: 3 } }])
    t.same(table.lookupElement('k'), single ? { value: { a: 3 } } : { values: [{ a: 1, b: 2 }, { a: 3 }] }, 'no path: the value')
    t.same(table.lookupElement('k', 'a'), single ? { value: 3 } : { values: [1, 3] })
    t.throws(() => table.lookupElement('k', 'b'), { code: 'badarg' }, 'an object without the member is badarg')
    t.throws(() => table.lookupElement('missing'), { code: 'badarg' }, 'a missing key is badarg')
    t.same(table.lookupElement('missing', 'a', { default: 0 }), { value: 0 }, 'unless there is a default (OTP 26)')
    t.throws(() => table.lookupElement('k', 'zzz', { default: 0 }), { code: 'badarg' }, 'the default is for a missing key only')
  })

  t.test(`${type}: updateElement`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: { a: 1, b: 2 } }])
    if (!single) {
      t.throws(() => table.updateElement('k', { value: 1 }), { code: 'badarg' }, 'set types only, as in ETS')
      return
    }
    t.equal(table.updateElement('missing', { path: 'a', value: 9 }), false, 'a missing key: false')
    t.equal(table.updateElement('k', [{ path: 'a', value: 9 }, { path: 'b', value: [] }, { path: 'a', value: 10 }]), true)
    t.same(table.lookup('k'), [{ a: 10, b: [] }], 'in order; the last update of a member wins')
    const before = [...table.objects()]
    t.throws(() => table.updateElement('k', [{ path: 'a', value: 0 }, { path: 'c', value: 1 }]), { code: 'badarg' }, 'no member is added')
    t.throws(() => table.updateElement('k', []), { code: 'badarg' })
    t.same([...table.objects()], before, 'nothing changed on failure')
    t.equal(table.updateElement('k', { value: 'whole' }), true)
    t.same(table.lookup('k'), ['whole'], 'no path: the value')
    t.throws(() => table.updateElement('k', { path: 'a', value: 1 }), { code: 'badarg' }, 'a path needs an object value')
    table.checkValid()
  })

  t.test(`${type}: info`, async t => {
    const table = make()
    table.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }])
    t.same(table.info(), { type, size: table.size, memory: table.memory, keys: 1, fullScans: 0, keysVisited: 0 })
  })

  t.test(`${type}: many deletes (the hash index compacts) keep order and cursors`, async t => {
    const table = make()
    const all = Array.from({ length: 300 }, (_, i) => i)
    table.insert(all.map(key => ({ key, value: key })))
    const firstPage = table.page({ limit: 5 })
    for (const key of all) if (key % 3 !== 0) table.delete(key)
    table.checkValid()
    const survivors = all.filter(key => key % 3 === 0)
    t.same(keys(table), survivors)
    t.equal(table.first(), 0)
    t.equal(table.last(), 297)
    t.same(table.page({ limit: 3, after: firstPage.nextAfter }).objects.map(o => o.key), [6, 9, 12], 'an old cursor still names its place')
    while (table.first() !== undefined) table.delete(table.first()!) // used as a queue
    table.checkValid()
    t.equal(table.size, 0)
  })
}

for (const type of TABLE_TYPES) conformance(type, () => createTable(type))

t.test('createTable refuses an unknown type', async t => {
  t.throws(() => createTable('heap' as TableType), { code: 'badarg' })
})

t.test('a key that is not a JSON term is badarg on every operation that takes a key', async t => {
  for (const type of TABLE_TYPES) {
    const table = createTable(type)
    table.insert([{ key: 1, value: 1 }])
    for (const [name, call] of [
      ['lookup', () => table.lookup(Infinity)],
      ['member', () => table.member(Infinity)],
      ['delete', () => table.delete(Infinity)],
      ['next', () => table.next(Infinity)],
      ['prev', () => table.prev(Infinity)],
    ] as const) {
      t.throws(call, { code: 'badarg' }, `${type}: ${name} of Infinity (what 1e400 parses to)`)
    }
    t.equal(table.size, 1, `${type}: nothing changed`)
  }
})
