// Random operation sequences against every table type and the naive model:
// after every operation the results, the contents in order and the
// invariants (checkValid) must agree.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { createTable, TABLE_TYPES, type EtsObject, type SelectContinuation, type Table, type TableType } from '../../src/ets/table.js'
import { compareTerms, termEquals, termKey, type Term } from '../../src/ets/term.js'
import { canonical, FullModelTable, naiveCompare, same } from './model.js'

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

const value = fc.constantFrom(...VALUES)

// Step 2 operations whose results the model computes directly; select and
// friends run with specs whose meaning the model knows (value equal to V).
export type Op =
  | { op: 'insert'; objects: EtsObject[] }
  | { op: 'insertNew'; objects: EtsObject[] }
  | { op: 'lookup'; key: Term }
  | { op: 'member'; key: Term }
  | { op: 'delete'; key: Term }
  | { op: 'deleteObject'; object: EtsObject }
  | { op: 'deleteAllObjects' }
  | { op: 'take'; key: Term }
  | { op: 'updateCounter'; key: Term; incr: number; path?: string; fallback?: EtsObject }
  | { op: 'walk' }
  | { op: 'next'; key: Term }
  | { op: 'pages'; limit: number; reverse: boolean }
  | { op: 'select'; value?: Term; limit?: number }
  | { op: 'selectByKey'; key: Term }
  | { op: 'selectCount'; value: Term }
  | { op: 'selectDelete'; value: Term }
  | { op: 'selectReplace'; from: Term; to: Term }
  | { op: 'selectReverse'; value?: Term; limit?: number }
  | { op: 'matchObject'; value: Term }
  | { op: 'matchDelete'; value: Term }
  | { op: 'lookupElement'; key: Term; path?: string; fallback?: Term }
  | { op: 'updateElement'; key: Term; path?: string; value: Term }

const objects = fc.array(object, { minLength: 1, maxLength: 3 })
const tag = <T extends string>(name: T) => fc.constant(name)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: tag('insert'), objects }) },
  { weight: 2, arbitrary: fc.record({ op: tag('insertNew'), objects }) },
  { weight: 2, arbitrary: fc.record({ op: tag('lookup'), key }) },
  { weight: 1, arbitrary: fc.record({ op: tag('member'), key }) },
  { weight: 2, arbitrary: fc.record({ op: tag('delete'), key }) },
  { weight: 2, arbitrary: fc.record({ op: tag('deleteObject'), object }) },
  { weight: 1, arbitrary: fc.record({ op: tag('deleteAllObjects') }) },
  { weight: 1, arbitrary: fc.record({ op: tag('take'), key }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: tag('updateCounter'),
        key,
        incr: fc.constantFrom(-2, 1, 3),
        path: fc.constant('n'),
        fallback: fc.record({ key, value: fc.constantFrom<Term>(0, { n: 5 }, 'x') }),
      },
      { requiredKeys: ['op', 'key', 'incr'] }
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: tag('walk') }) },
  { weight: 1, arbitrary: fc.record({ op: tag('next'), key }) },
  { weight: 1, arbitrary: fc.record({ op: tag('pages'), limit: fc.integer({ min: 1, max: 4 }), reverse: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: tag('select'), value, limit: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: ['op'] }) },
  { weight: 1, arbitrary: fc.record({ op: tag('selectByKey'), key }) },
  { weight: 1, arbitrary: fc.record({ op: tag('selectCount'), value }) },
  { weight: 1, arbitrary: fc.record({ op: tag('selectDelete'), value }) },
  { weight: 1, arbitrary: fc.record({ op: tag('selectReplace'), from: value, to: value }) },
  { weight: 1, arbitrary: fc.record({ op: tag('selectReverse'), value, limit: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: ['op'] }) },
  { weight: 1, arbitrary: fc.record({ op: tag('matchObject'), value }) },
  { weight: 1, arbitrary: fc.record({ op: tag('matchDelete'), value }) },
  { weight: 1, arbitrary: fc.record({ op: tag('lookupElement'), key, path: fc.constantFrom('a', 'n'), fallback: value }, { requiredKeys: ['op', 'key'] }) },
  { weight: 2, arbitrary: fc.record({ op: tag('updateElement'), key, path: fc.constantFrom('a', 'n'), value }, { requiredKeys: ['op', 'key', 'value'] }) }
)

const valueIs = (v: Term, result: Term): Term => [{ head: { key: '$1', value: '$2' }, guards: [['=:=', '$2', ['const', v]]], result }]

/** Every result of a select, following continuations. */
function selectAll (table: Table, spec: Term, limit?: number, reverse = false): Term[] {
  const results: Term[] = []
  let continuation: SelectContinuation | undefined
  do {
    const chunk = table.select(spec, { limit, continuation, reverse })
    results.push(...chunk.results)
    continuation = chunk.continuation
  } while (continuation !== undefined)
  return results
}

function pageAll (table: Table, limit: number, reverse: boolean): EtsObject[] {
  const seen: EtsObject[] = []
  let after: Term | undefined
  do {
    const page = table.page({ limit, reverse, after })
    seen.push(...page.objects)
    after = page.nextAfter
  } while (after !== undefined)
  return seen
}

function walk (keys: Term[], next: (k: Term) => Term | undefined, first: Term | undefined): Term[] {
  for (let k = first; k !== undefined; k = next(k)) keys.push(k)
  return keys
}

/** The operations table and model answer with the same method and arguments. */
type SameCall = Extract<Op, { op: 'insert' | 'insertNew' | 'lookup' | 'member' | 'delete' | 'deleteObject' | 'deleteAllObjects' | 'take' | 'next' }>

const SAME_CALLS = new Set(['insert', 'insertNew', 'lookup', 'member', 'delete', 'deleteObject', 'deleteAllObjects', 'take', 'next'])

function isSameCall (step: Op): step is SameCall {
  return SAME_CALLS.has(step.op)
}

function call (target: Table | FullModelTable, step: SameCall): unknown {
  const method = target[step.op] as (this: unknown, argument?: unknown) => unknown
  const argument = 'objects' in step ? step.objects : 'object' in step ? step.object : 'key' in step ? step.key : undefined
  return method.call(target, argument)
}

function applyToTable (table: Table, step: Op): unknown {
  if (isSameCall(step)) return call(table, step)
  switch (step.op) {
    case 'updateCounter': return table.updateCounter(step.key, { incr: step.incr, path: step.path }, step.fallback)
    case 'walk': return [walk([], k => table.next(k), table.first()), walk([], k => table.prev(k), table.last())]
    case 'pages': return pageAll(table, step.limit, step.reverse)
    case 'select': return selectAll(table, step.value === undefined ? [{ head: '_', result: '$_' }] : valueIs(step.value, '$_'), step.limit)
    case 'selectByKey': return table.select([{ head: { key: step.key, value: '$1' }, result: '$1' }]).results
    case 'selectCount': return table.selectCount(valueIs(step.value, true))
    case 'selectDelete': return table.selectDelete(valueIs(step.value, true))
    case 'selectReplace': return table.selectReplace(valueIs(step.from, { key: '$1', value: ['const', step.to] }))
    case 'selectReverse': return selectAll(table, step.value === undefined ? [{ head: '_', result: '$_' }] : valueIs(step.value, '$_'), step.limit, true)
    case 'matchObject': return table.matchObject({ key: '_', value: literalPattern(step.value) }).results
    case 'matchDelete': return table.matchDelete({ value: literalPattern(step.value) })
    case 'lookupElement': return table.lookupElement(step.key, step.path, { default: step.fallback })
    case 'updateElement': return table.updateElement(step.key, { path: step.path, value: step.value })
  }
}

/** A value as a pattern: itself, but an object pattern would also match larger objects, so an object value becomes "_" (anything), on both sides. */
function literalPattern (v: Term): Term {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? '_' : v
}

function applyToModel (model: FullModelTable, step: Op): unknown {
  const withValue = (v: Term) => model.ordered().filter(o => same(o.value, v))
  if (isSameCall(step)) return call(model, step)
  switch (step.op) {
    case 'updateCounter': return model.updateCounter(step.key, step.incr, step.path, step.fallback)
    case 'walk': return [model.keys(), model.keys().reverse()]
    case 'pages': return model.pages(step.reverse)
    case 'select': return step.value === undefined ? model.ordered() : withValue(step.value)
    // A key pattern with no "_" (and no variable) is looked up, so it finds that exact key (as ETS);
    // with a "_" in it the table is scanned and object patterns inside match partially.
    case 'selectByKey': return model.ordered().filter(o => hasWildcard(step.key) ? patternMatches(step.key, o.key) : same(o.key, step.key)).map(o => o.value)
    case 'selectCount': return withValue(step.value).length
    case 'selectDelete': {
      const count = withValue(step.value).length
      model.objects = model.objects.filter(o => !same(o.value, step.value))
      return count
    }
    case 'selectReplace': return model.replaceValues(step.from, step.to)
    case 'selectReverse': {
      const found = step.value === undefined ? model.ordered() : withValue(step.value)
      return model.type === 'ordered_set' ? found.reverse() : found
    }
    case 'matchObject': return model.ordered().filter(o => patternMatches(literalPattern(step.value), o.value))
    case 'matchDelete': {
      const doomed = model.objects.filter(o => patternMatches(literalPattern(step.value), o.value))
      model.objects = model.objects.filter(o => !doomed.includes(o))
      return doomed.length
    }
    case 'lookupElement': return model.lookupElement(step.key, step.path, step.fallback)
    case 'updateElement': return model.updateElement(step.key, step.path, step.value)
  }
}

function hasWildcard (pattern: Term): boolean {
  if (pattern === '_') return true
  if (Array.isArray(pattern)) return pattern.some(hasWildcard)
  return pattern !== null && typeof pattern === 'object' && Object.values(pattern).some(hasWildcard)
}

/** Head pattern semantics for patterns without variables: objects partial, the rest exact. */
function patternMatches (pattern: Term, t: Term): boolean {
  if (pattern === '_') return true
  if (Array.isArray(pattern)) return Array.isArray(t) && t.length === pattern.length && pattern.every((p, i) => patternMatches(p, t[i]))
  if (pattern !== null && typeof pattern === 'object') {
    return t !== null && typeof t === 'object' && !Array.isArray(t) &&
      Object.keys(pattern).every(name => Object.hasOwn(t, name) && patternMatches(pattern[name], t[name]))
  }
  return same(pattern, t)
}

/** The result, or the error code: both sides must fail alike. */
function attempt (f: () => unknown): unknown {
  try {
    return f()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string') throw error
    return { error: code }
  }
}

const show = (x: unknown): string => (x === undefined ? 'undefined' : canonical(x as Term))

function run (type: TableType, steps: Op[]): void {
  const table = createTable(type)
  const model = new FullModelTable(type)
  for (const [i, step] of steps.entries()) {
    const where = `step ${i} ${JSON.stringify(step)}`
    assert.equal(show(attempt(() => applyToTable(table, step))), show(attempt(() => applyToModel(model, step))), where)
    assert.equal(table.size, model.objects.length, where)
    assert.equal(show([...table.objects()] as unknown as Term), show(model.ordered() as unknown as Term), where)
    table.checkValid()
  }
}

for (const type of TABLE_TYPES) {
  t.test(`${type} agrees with the model`, async t => {
    fc.assert(fc.property(fc.array(op, { maxLength: 30 }), steps => run(type, steps)), { numRuns: 300, seed: 20240601 })
    t.pass('300 random sequences')
  })
}

t.test('the naive order agrees with compareTerms', async t => {
  const term = fc.letrec(tie => ({
    term: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<Term>(0, -0, 1, 1.5, -2, true, false, null),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.constantFrom('\uFFFF', '\u{10000}', '\uE000', '\u{1F600}', 'a'),
      fc.array(tie('term') as fc.Arbitrary<Term>, { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', '\u{1F600}', '\uFFFF', '__proto__'), tie('term') as fc.Arbitrary<Term>, { maxKeys: 3, noNullPrototype: true })
    ),
  })).term as fc.Arbitrary<Term>
  fc.assert(fc.property(term, term, (a, b) => {
    const c = compareTerms(a, b)
    // === rather than assert.equal, which tells -0 from 0
    assert.ok(c === naiveCompare(a, b), 'agrees with the naive order')
    assert.ok(c === -compareTerms(b, a), 'antisymmetric')
    assert.equal(termEquals(a, b), c === 0)
    assert.equal(termKey(a) === termKey(b), c === 0)
  }), { numRuns: 1000, seed: 7 })
  t.pass('1000 random pairs')
})

t.test('a page cursor survives deletes and inserts between pages', async t => {
  const scenario = fc.record({
    type: fc.constantFrom(...TABLE_TYPES),
    keys: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 25 }),
    limit: fc.integer({ min: 1, max: 4 }),
    reverse: fc.boolean(),
    // Between pages: delete one of the original keys (by index) or insert a new key.
    changes: fc.array(fc.oneof(fc.nat(30), fc.constant('insert' as const)), { maxLength: 20 }),
  })
  fc.assert(fc.property(scenario, ({ type, keys, limit, reverse, changes }) => {
    const table = createTable(type)
    table.insert(keys.map(key => ({ key, value: 0 })))
    const deleted = new Set<number>()
    const seen: Term[] = []
    let after: Term | undefined
    let turn = 0
    do {
      const page = table.page({ limit, reverse, after })
      seen.push(...new Set(page.objects.map(o => o.key)))
      after = page.nextAfter
      const change = changes[turn++]
      if (typeof change === 'number' && change < keys.length) {
        table.delete(keys[change])
        deleted.add(keys[change])
      } else if (change === 'insert') {
        table.insert([{ key: `new${turn}`, value: 0 }])
      }
    } while (after !== undefined)
    assert.equal(new Set(seen).size, seen.length, 'no key twice')
    for (const key of keys) if (!deleted.has(key)) assert.ok(seen.includes(key), `survivor ${key} seen`)
    const finalOrder = [...table.objects()].map(o => o.key)
    if (reverse) finalOrder.reverse()
    const survivors = seen.filter(k => finalOrder.includes(k))
    assert.deepEqual(survivors, finalOrder.filter(k => survivors.includes(k)), 'in table order')
  }), { numRuns: 300, seed: 99 })
  t.pass('300 paginations under change')
})
