import fc from 'fast-check'
import t, { type Test } from 'tap'
import { compareStrings, compareTerms, termBytes, termBytesOver, termEquals, termKey, type Term } from '../../src/ets/term.js'

// Asserts a < b, and the antisymmetric and inequality facts that follow.
function less (t: Test, a: Term, b: Term, why: string): void {
  t.equal(compareTerms(a, b), -1, `${why}: ${JSON.stringify(a)} < ${JSON.stringify(b)}`)
  t.equal(compareTerms(b, a), 1, `${why}: reversed`)
  t.notOk(termEquals(a, b), `${why}: not equal`)
  t.not(termKey(a), termKey(b), `${why}: different keys`)
}

function same (t: Test, a: Term, b: Term, why: string): void {
  t.equal(compareTerms(a, b), 0, `${why}: compare`)
  t.ok(termEquals(a, b), `${why}: equals`)
  t.equal(termKey(a), termKey(b), `${why}: key`)
}

t.test('types: number < false < null < true < object < array < string', async t => {
  const ladder: Term[] = [1e300, false, null, true, {}, [], '']
  for (let i = 0; i + 1 < ladder.length; i++) less(t, ladder[i], ladder[i + 1], 'rank')
  less(t, 99, false, 'any number before any atom')
  less(t, { z: [1] }, [], 'any object before any array')
  less(t, [['z']], '', 'any array before any string')
})

t.test('numbers by value, -0 equals 0', async t => {
  less(t, -1, 0, 'negative')
  less(t, 1, 1.5, 'fraction')
  less(t, -Number.MAX_VALUE, Number.MIN_VALUE, 'extremes')
  same(t, -0, 0, 'signed zero')
})

t.test('objects: fewer members, then names, then values in name order', async t => {
  less(t, { z: 9 }, { a: 0, b: 0 }, 'size first')
  less(t, { a: 9, z: 9 }, { b: 0, c: 0 }, 'names before values')
  less(t, { b: 1, a: 2 }, { a: 2, b: 2 }, 'values in name order')
  less(t, { a: 1, b: 9 }, { a: 2, b: 0 }, 'first name decides')
  same(t, { a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }, 'member order irrelevant')
  less(t, { '\uFFFF': 0 }, { '\u{10000}': 0 }, 'names by code point')
})

t.test('arrays element by element, prefix first', async t => {
  less(t, [], [0], 'empty first')
  less(t, [1, 2], [1, 2, 0], 'prefix first')
  less(t, [1, 'a'], [2], 'first element decides')
  less(t, [[1]], [[1, 0]], 'nested')
})

t.test('strings by code point, not UTF-16 unit', async t => {
  less(t, '', 'a', 'empty first')
  less(t, 'a', 'ab', 'prefix first')
  less(t, 'B', 'a', 'code point, not locale')
  less(t, '\uFFFF', '\u{10000}', 'BMP top before astral')
  less(t, '\uE000', '\u{1F600}', 'private use before emoji')
  less(t, 'x\u{1F600}', 'x\u{1F601}', 'astral among astral')
  t.ok('\uFFFF' > '\u{10000}', 'JS < disagrees, which is the point')
  t.equal(compareStrings('\u{10000}a', '\u{10000}b'), -1, 'after a shared astral prefix')
})

t.test('atoms compare equal only to themselves', async t => {
  same(t, null, null, 'null')
  same(t, true, true, 'true')
  less(t, false, true, 'false < true')
})

t.test('termKey distinguishes types and separators', async t => {
  less(t, 1, '1', 'number vs string')
  const keys = [1, '1', 's1', ['1'], [1], 'true', true, null, 'null', ['a,b'], ['a', 'b'], { a: 'b' }, { 'a:"b"': 1 }, '[]', []]
  t.equal(new Set(keys.map(k => termKey(k as Term))).size, keys.length, 'all distinct')
})

t.test('__proto__ is an ordinary member name', async t => {
  const withProto = JSON.parse('{"__proto__": 1}') as Term
  const plain = {}
  t.equal(compareTerms(withProto, plain), 1, 'one member beats none')
  t.notOk(termEquals(withProto, plain))
  t.not(termKey(withProto), termKey(plain))
  same(t, withProto, JSON.parse('{"__proto__": 1}') as Term, 'equal to another parse')
})

t.test('termBytes estimates and refuses what is not JSON', async t => {
  t.ok(termBytes('abcdef') > termBytes('a'), 'longer strings take more')
  t.ok(termBytes([1, 2, 3]) > termBytes([1]), 'longer arrays take more')
  for (const bad of [NaN, Infinity, undefined, () => 1, new Date(0), [1, undefined], { a: NaN }]) {
    t.throws(() => termBytes(bad as unknown as Term), { code: 'badarg' }, String(bad))
  }
  let deep: Term = 1
  for (let i = 0; i < 600; i++) deep = [deep]
  t.throws(() => termBytes(deep), { code: 'badarg' }, 'too deep')
})

t.test('termBytes is the byte length of the JSON text, and a cap stops the count just past it', async t => {
  const number = fc.oneof(
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.constantFrom(0, -0, 9, 10, 99, 100, 1e15 - 1, 1e15, -1e15 + 1, -1e15, 2 ** 53, 1e21, 1e-7, 0.1, -2.5e-300),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.maxSafeInteger()
  )
  const text = fc.string({ unit: 'binary' }) // lone surrogates, controls and astral characters included
  const term = fc.letrec<{ term: Term }>(tie => ({
    term: fc.oneof({ depthSize: 'small' },
      number, text, fc.boolean(), fc.constant(null),
      fc.array(tie('term'), { maxLength: 4 }),
      fc.dictionary(text, tie('term'), { maxKeys: 4 })),
  })).term
  fc.assert(fc.property(term, fc.nat({ max: 200 }), (value, cap) => {
    const bytes = Buffer.byteLength(JSON.stringify(value))
    t.equal(termBytes(value), bytes, JSON.stringify(value))
    const capped = termBytes(value, cap)
    if (bytes <= cap) t.equal(capped, bytes, 'within the cap: the whole count')
    else t.ok(capped > cap, 'past the cap: a count past it')
    t.equal(termBytesOver(value, cap), bytes > cap, 'over the cap, as the count says')
  }), { numRuns: 500 })
})

t.test('termBytesOver skips only strings that cannot be over, escapes and surrogates counted', async t => {
  // Units of every width in JSON: an escaped control (6 bytes), an escaped quote (2), ASCII (1), 2- and 3-byte UTF-8, a lone surrogate (6), a pair (4 for 2 units).
  const units = fc.constantFrom('\u0001', '\n', '"', 'a', '\u00e9', '\u20ac', '\ud800', '\ud83d\ude00')
  fc.assert(fc.property(fc.array(units, { maxLength: 40 }), fc.integer({ min: -8, max: 8 }), (parts, offset) => {
    const key = parts.join('')
    const bytes = Buffer.byteLength(JSON.stringify(key))
    const max = Math.max(0, bytes + offset)
    t.equal(termBytesOver(key, max), bytes > max, `${JSON.stringify(key)} against ${max}`)
  }), { numRuns: 2000 })
})
