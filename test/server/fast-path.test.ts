/**
 * The fast paths of request validation (src/tables/schemas.ts): a body a
 * schema's check takes skips zod, so the check must never take a
 * body zod would refuse or change. Checked against zod itself on random
 * bodies made to sit near the edge (a member missing or extra, an element
 * that is not an object, the other form of the body), and through the
 * validator the server uses.
 */
import fc from 'fast-check'
import t from 'tap'
import { validatorCompiler } from '../../src/app.js'
import { termEquals, type Term } from '../../src/ets/term.js'
import { MAX_LIST, registry } from '../../src/tables/operations.js'
import { fastPathOf } from '../../src/tables/schemas.js'

const json = fc.jsonValue({ maxDepth: 2 })
/** An element of "objects": mostly {key, value}, else one member off or not an object at all. */
const object = fc.oneof(
  { weight: 6, arbitrary: fc.record({ key: json, value: json }) },
  fc.record({ key: json }),
  fc.record({ value: json }),
  fc.record({ key: json, value: json, extra: json }),
  fc.record({ key: json, value: json, keys: json }),
  fc.constantFrom(null, [], 'k', 1, {})
)
/** A body of a schema whose fast path takes `{[list]: [element…]}`: that form, the other forms, mixes, or any JSON. */
const bodyOf = (list: string, element: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 4, arbitrary: fc.record({ [list]: fc.array(element, { maxLength: 6 }) }) },
  fc.record({ [list]: fc.oneof(fc.array(element, { maxLength: 3 }), json) }, { requiredKeys: [] }),
  fc.record({ [list]: fc.array(element, { maxLength: 3 }), key: json, value: json, other: json }, { requiredKeys: [] }),
  json
)

/** Each schema with a fast path, the list member it takes, and elements near the edge. */
const CASES = [
  { name: 'insert', schema: registry.insert.args, list: 'objects', element: object, sample: (i: number) => ({ key: i, value: i }) },
  { name: 'lookup', schema: registry.lookup.args, list: 'keys', element: json, sample: (i: number) => i },
]

for (const { name, schema, list, element, sample } of CASES) {
  const takes = fastPathOf(schema)

  t.test(`${name}: a body the fast path takes is one zod takes unchanged; a body of its form that zod takes unchanged, it takes`, async t => {
    t.type(takes, 'function', 'the schema has a fast path')
    let taken = 0
    fc.assert(fc.property(bodyOf(list, element), input => {
      const parsed = schema.safeParse(input)
      // Equal as JSON terms: zod's copy of a null-prototype object has a prototype, which no JSON body lacks.
      const unchanged = parsed.success && termEquals(parsed.data as Term, input as Term)
      const fast = takes!(input)
      if (fast) taken++
      const itsForm = typeof input === 'object' && input !== null && !Array.isArray(input) &&
        Object.keys(input).length === 1 && list in input
      // Never a yes that zod would refuse or change; and no needless no for the form it is for.
      return fast ? unchanged : !(itsForm && unchanged)
    }), { numRuns: 5000 })
    t.ok(taken > 500, `bodies taken by the fast path: ${taken} of 5000`)
  })

  t.test(`${name}: the fast path says no to a list longer than the schema allows`, async t => {
    const items = Array.from({ length: MAX_LIST + 1 }, (_, i) => sample(i))
    t.equal(takes!({ [list]: items }), false)
    t.equal(takes!({ [list]: items.slice(1) }), true, 'MAX_LIST elements are taken')
    t.equal(schema.safeParse({ [list]: items }).success, false, 'zod refuses it too')
  })
}

t.test('the validator takes a fast-path body as it is and sends any other to zod', async t => {
  const validate = validatorCompiler({ schema: registry.insert.args, method: 'POST', url: '/v1/tables/:table/insert', httpPart: 'body' })
  const good = { objects: [{ key: 'a', value: 1 }] }
  t.equal((validate(good) as { value: unknown }).value, good, 'the body itself: zod did not copy it')
  const one = { key: 'a', value: 1 }
  const parsed = validate(one) as { value: unknown }
  t.not(parsed.value, one, 'the one-object form goes through zod (which copies)')
  t.same(parsed.value, one)
  const bad = validate({ objects: [{ key: 'a' }] }) as { error?: unknown }
  t.match(bad.error, [{ instancePath: '/objects/0/value', message: 'a JSON value is required' }], 'a bad list is refused by zod, with its error')
})
