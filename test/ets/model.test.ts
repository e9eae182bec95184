// Random operation sequences against every table type and the naive model:
// after every operation the results, the contents in order and the
// invariants (checkValid) must agree.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { createTable, TABLE_TYPES, type EtsObject, type TableType } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'
import { canonical, ModelTable, naiveCompare } from './model.js'

// Small domains so that keys collide often. Some keys are equal in pairs
// under different spellings (-0/0, member order).
const KEYS: Term[] = [
  0, -0, 1, 1.5, -2, true, false, null, 'a', 'b', '\u{1F600}', '\uFFFF', '',
  [], [1], [1, 'a'], [[null]], {}, { a: 1 }, { a: 1, b: [2] }, { b: [2], a: 1 },
  JSON.parse('{"__proto__": 1}') as Term,
]
const VALUES: Term[] = [1, 2, 'x', '\u{10000}', [1], { a: 1 }, { n: 1 }, null, false]

const key = fc.constantFrom(...KEYS)
const object = fc.record({ key, value: fc.constantFrom(...VALUES) })

export type Op =
  | { op: 'insert'; objects: EtsObject[] }
  | { op: 'lookup'; key: Term }
  | { op: 'member'; key: Term }
  | { op: 'delete'; key: Term }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), objects: fc.array(object, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('lookup' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('member' as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
)

function apply(target: ModelTable | ReturnType<typeof createTable>, step: Op): unknown {
  switch (step.op) {
    case 'insert': return target.insert(step.objects)
    case 'lookup': return target.lookup(step.key)
    case 'member': return target.member(step.key)
    case 'delete': return target.delete(step.key)
  }
}

const show = (x: unknown): string => (x === undefined ? 'undefined' : canonical(x as Term))

function run(type: TableType, steps: Op[]): void {
  const table = createTable(type)
  const model = new ModelTable(type)
  for (const [i, step] of steps.entries()) {
    const where = `step ${i} ${JSON.stringify(step)}`
    assert.equal(show(apply(table, step)), show(apply(model, step)), where)
    assert.equal(table.size, model.objects.length, where)
    assert.equal(show([...table.objects()] as unknown as Term), show(model.ordered() as unknown as Term), where)
    table.checkValid()
  }
}

for (const type of TABLE_TYPES) {
  t.test(`${type} agrees with the model`, async t => {
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), steps => run(type, steps)), { numRuns: 300, seed: 20240601 })
    t.pass('300 random sequences')
  })
}

t.test('the naive order agrees with compareTerms', async t => {
  const { compareTerms, termEquals, termKey } = await import('../../src/ets/term.js')
  const term = fc.letrec(tie => ({
    term: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<Term>(0, -0, 1, 1.5, -2, true, false, null),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.constantFrom('\uFFFF', '\u{10000}', '\uE000', '\u{1F600}', 'a'),
      fc.array(tie('term') as fc.Arbitrary<Term>, { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', '\u{1F600}', '\uFFFF', '__proto__'), tie('term') as fc.Arbitrary<Term>, { maxKeys: 3, noNullPrototype: true }),
    ),
  })).term as fc.Arbitrary<Term>
  fc.assert(fc.property(term, term, (a, b) => {
    const c = compareTerms(a, b)
    // === rather than assert.equal, which tells -0 from 0
    assert.ok(c === naiveCompare(a, b), 'agrees with the naive order')
    assert.ok(c === -compareTerms(b, a), 'antisymmetric')
    assert.equal(termEquals(a, b), c === 0)
    assert.equal(termKey(a) === termKey(b), c === 0)
  }), { numRuns: 2000, seed: 7 })
  t.pass('2000 random pairs')
})
