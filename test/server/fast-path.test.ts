/**
 * The fast path of request validation (src/tables/schemas.ts): a body the
 * insert schema's check takes skips zod, so the check must never take a
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

const schema = registry.insert.args
const takes = fastPathOf(schema)

const json = fc.jsonValue({ maxDepth: 2 })
/** An element of "objects": mostly {key, value}, else one member off or not an object at all. */
const element = fc.oneof(
  { weight: 6, arbitrary: fc.record({ key: json, value: json }) },
  fc.record({ key: json }),
  fc.record({ value: json }),
  fc.record({ key: json, value: json, extra: json }),
  fc.record({ key: json, value: json, keys: json }),
  fc.constantFrom(null, [], 'k', 1, {})
)
/** A body: the list form, the one-object form, both, neither, or any JSON. */
const body = fc.oneof(
  { weight: 4, arbitrary: fc.record({ objects: fc.array(element, { maxLength: 6 }) }) },
  fc.record({ objects: fc.oneof(fc.array(element, { maxLength: 3 }), json) }, { requiredKeys: [] }),
  fc.record({ objects: fc.array(element, { maxLength: 3 }), key: json, value: json, other: json }, { requiredKeys: [] }),
  json
)

t.test('the insert schema has a fast path', async t => {
  t.type(takes, 'function')
})

t.test('a body the fast path takes is one zod takes unchanged; a list-form body zod takes unchanged, it takes', async t => {
  let taken = 0
  fc.assert(fc.property(body, input => {
    const parsed = schema.safeParse(input)
    // Equal as JSON terms: zod's copy of a null-prototype object has a prototype, which no JSON body lacks.
    const unchanged = parsed.success && termEquals(parsed.data as Term, input as Term)
    const fast = takes!(input)
    if (fast) taken++
    const listForm = typeof input === 'object' && input !== null && !Array.isArray(input) &&
      Object.keys(input).length === 1 && 'objects' in input
    // Never a yes that zod would refuse or change; and no needless no for the form it is for.
    return fast ? unchanged : !(listForm && unchanged)
  }), { numRuns: 5000 })
  t.ok(taken > 500, `bodies taken by the fast path: ${taken} of 5000`)
})

t.test('the fast path says no to a list longer than the schema allows', async t => {
  const objects = Array.from({ length: MAX_LIST + 1 }, (_, i) => ({ key: i, value: i }))
  t.equal(takes!({ objects }), false)
  t.equal(takes!({ objects: objects.slice(1) }), true, 'MAX_LIST objects are taken')
  t.equal(schema.safeParse({ objects }).success, false, 'zod refuses it too')
})

t.test('the validator takes a fast-path body as it is and sends any other to zod', async t => {
  const validate = validatorCompiler({ schema, method: 'POST', url: '/v1/tables/:table/insert', httpPart: 'body' })
  const good = { objects: [{ key: 'a', value: 1 }] }
  t.equal((validate(good) as { value: unknown }).value, good, 'the body itself: zod did not copy it')
  const one = { key: 'a', value: 1 }
  const parsed = validate(one) as { value: unknown }
  t.not(parsed.value, one, 'the one-object form goes through zod (which copies)')
  t.same(parsed.value, one)
  const bad = validate({ objects: [{ key: 'a' }] }) as { error?: unknown }
  t.match(bad.error, [{ instancePath: '/objects/0/value', message: 'a JSON value is required' }], 'a bad list is refused by zod, with its error')
})
