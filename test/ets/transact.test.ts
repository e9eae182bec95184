// Table.transact under random batches of writes, on every table type: a
// batch that fails leaves the table exactly as it was (contents and size
// and memory); one that succeeds reports exactly the keys whose objects
// changed, with their values after it, and one revision more, or nothing
// and no new revision when it changed nothing.
import fc from 'fast-check'
import t from 'tap'
import { WriteBudget } from '../../src/ets/budget.js'
import { createTable, TABLE_TYPES, type Table } from '../../src/ets/table.js'
import { termKey, type Term } from '../../src/ets/term.js'

const KEYS: Term[] = [0, 1, 'a', 'b', [1], { a: 1 }]
const VALUES: Term[] = [1, 2, 'x', { n: 1 }]

type Write =
  | { op: 'insert'; objects: Array<{ key: Term; value: Term }> }
  | { op: 'delete'; key: Term }
  | { op: 'deleteObject'; key: Term; value: Term }
  | { op: 'deleteAll' }
  | { op: 'take'; key: Term }
  | { op: 'counter'; key: Term }
  | { op: 'fail' }

const key = fc.constantFrom(...KEYS)
const value = fc.constantFrom(...VALUES)
const write: fc.Arbitrary<Write> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('insert' as const), objects: fc.array(fc.record({ key, value }), { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteObject' as const), key, value }) },
  { weight: 1, arbitrary: fc.constant({ op: 'deleteAll' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('take' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('counter' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ op: 'fail' as const }) }
)

function run (table: Table, w: Write): void {
  switch (w.op) {
    case 'insert': table.insert(w.objects); break
    case 'delete': table.delete(w.key); break
    case 'deleteObject': table.deleteObject({ key: w.key, value: w.value }); break
    case 'deleteAll': table.deleteAllObjects(); break
    case 'take': table.take(w.key); break
    // Bags refuse counters, and a counter on a non-number value is badarg: both fail the batch.
    case 'counter': table.updateCounter(w.key, 1, { key: w.key, value: 0 }); break
    case 'fail': table.updateCounter('no such key', 1); break
  }
}

/** Key → its values, as canonical text, independent of hash order. */
function contents (table: Table): Map<string, string> {
  const byKey = new Map<string, Term[]>()
  for (const { key, value } of table.objects()) {
    const values = byKey.get(termKey(key)) ?? []
    values.push(value)
    byKey.set(termKey(key), values)
  }
  return new Map([...byKey].map(([k, values]) => [k, JSON.stringify(values)]))
}

for (const type of TABLE_TYPES) {
  t.test(`transact_is_all_or_nothing_and_reports_exactly_what_changed_${type}`, async t => {
    fc.assert(fc.property(fc.array(fc.array(write, { minLength: 1, maxLength: 6 }), { maxLength: 12 }), batches => {
      const table = createTable(type)
      for (const batch of batches) {
        const before = contents(table)
        const { size, memory, revision } = table
        let outcome: ReturnType<Table['transact']> | undefined
        try {
          outcome = table.transact(() => { for (const w of batch) run(table, w) })
        } catch {
          outcome = undefined
        }
        table.checkValid()
        const after = contents(table)
        if (outcome === undefined) {
          // Compared by key: an undone delete may move its key in a hash table's order, which ETS leaves unspecified.
          if (JSON.stringify([...after].sort()) !== JSON.stringify([...before].sort())) throw new Error('a failed batch changed the contents')
          if (table.size !== size || table.memory !== memory || table.revision !== revision) throw new Error('size, memory or revision moved')
          continue
        }
        const changedKeys = new Set([...before.keys(), ...after.keys()].filter(k => before.get(k) !== after.get(k)))
        const { commit } = outcome
        if (changedKeys.size === 0) {
          // A write may touch a key and leave it equal (insert of an equal value into a set): a commit, then, names it.
          if (commit !== undefined) {
            for (const change of commit.changes) {
              if ((after.get(termKey(change.key)) ?? '[]') !== JSON.stringify(change.values)) throw new Error('stale values reported')
            }
          }
          continue
        }
        if (commit === undefined) throw new Error('changes went unreported')
        if (commit.revision !== revision + 1 || table.revision !== revision + 1) throw new Error('not one revision more')
        const reported = new Map(commit.changes.map(c => [termKey(c.key), c.values.length === 0 ? undefined : JSON.stringify(c.values)]))
        for (const k of changedKeys) {
          if (!reported.has(k) && !(commit.reset && !after.has(k))) throw new Error(`key ${k} changed unreported`)
        }
        for (const [k, values] of reported) if (after.get(k) !== values) throw new Error(`key ${k} reported with stale values`)
        if (reported.size !== new Set(commit.changes.map(c => termKey(c.key))).size) throw new Error('a key reported twice')
      }
    }), { numRuns: 300 })
    t.pass('300 random sequences of batches')
  })
}

t.test('a_write_that_changes_nothing_commits_nothing', async t => {
  const table = createTable('bag')
  table.insert([{ key: 'k', value: 1 }])
  t.equal(table.revision, 0, 'outside transact, no revision')
  t.equal(table.transact(() => table.insert([{ key: 'k', value: 1 }])).commit, undefined, 'a bag drops an equal object')
  t.equal(table.transact(() => table.delete('absent')).commit, undefined)
  const { commit } = table.transact(() => table.insert([{ key: 'k', value: 2 }]))
  // bytes: two objects of 32 (overhead) + 3 ("k") + 1 (the value).
  t.same(commit, { revision: 1, reset: false, changes: [{ key: 'k', values: [1, 2] }], bytes: 72 })
})

t.test('undo_of_an_emptied_table_restores_every_object_and_drops_later_inserts', async t => {
  const table = createTable('ordered_set')
  table.insert(Array.from({ length: 100 }, (_, i) => ({ key: i, value: i })))
  t.throws(() => table.transact(() => {
    table.deleteAllObjects()
    table.insert([{ key: 'late', value: 1 }])
    table.updateCounter('missing', 1)
  }), { code: 'badarg' })
  t.equal(table.size, 100)
  t.same(table.lookup('late'), [])
  t.same(table.lookup(42), [42])
  table.checkValid()
})

t.test('an_insert_the_budget_refuses_leaves_no_trace_of_a_new_key', async t => {
  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as const) {
    const table = createTable(type)
    table.insert([{ key: 'old', value: 1 }])
    const before = { size: table.size, memory: table.memory, keys: table.info().keys }
    // Room for a small value, not for this one: refused after its key's bucket was found.
    t.throws(() => table.insert([{ key: 'new', value: 'x'.repeat(100) }], new WriteBudget(Infinity, 50)), { code: 'memory_quota' }, type)
    t.throws(() => table.transact(() => table.insert([{ key: 'k2', value: 2 }, { key: 'new', value: 'x'.repeat(100) }], new WriteBudget(Infinity, 60))), { code: 'memory_quota' }, `${type}, in a write`)
    table.checkValid()
    t.same({ size: table.size, memory: table.memory, keys: table.info().keys }, before, type)
    t.same(table.lookup('new'), [], type)
    t.same(table.lookup('k2'), [], `${type}: the write's earlier insert is undone`)
  }
})

t.test('restore_stores_a_keys_values_as_insert_would_and_none_if_one_is_not_a_term', async t => {
  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as const) {
    const restored = createTable(type)
    const inserted = createTable(type)
    restored.restore('k', [1, 2, 2])
    inserted.insert([{ key: 'k', value: 1 }, { key: 'k', value: 2 }, { key: 'k', value: 2 }])
    t.same(restored.lookup('k'), inserted.lookup('k'), type)
    t.equal(restored.memory, inserted.memory, `${type}: the same memory`)
    t.throws(() => restored.restore('j', [1, Infinity]), { code: 'badarg' }, `${type}: Infinity is not a JSON term`)
    t.same(restored.lookup('j'), [], `${type}: nothing stored`)
    restored.checkValid()
  }
})

t.test('a_write_may_copy_stored_values_up_to_its_rewrite_allowance_and_always_once', async t => {
  const table = createTable('set')
  table.insert([{ key: 'big', value: { n: 0, pad: 'x'.repeat(1000) } }, { key: 'small', value: { n: 0 } }])
  const big = table.valuesBytes('big')
  // The first copy is taken whatever its size, even past the allowance.
  const once = new WriteBudget(Infinity, Infinity, 10)
  table.transact(() => table.updateCounter('big', { incr: 1, path: 'n' } as never, undefined, once))
  t.same(table.lookup('big')[0], { n: 1, pad: 'x'.repeat(1000) })
  // Then up to the allowance: two copies of `big` fit in 2.5 of them, the third does not, and the write is undone whole.
  const allowance = 2.5 * (big + 40)
  const budget = new WriteBudget(Infinity, Infinity, allowance)
  t.throws(() => table.transact(() => {
    table.updateCounter('small', { incr: 1, path: 'n' } as never, undefined, budget)
    table.mergePatch('big', { n: 2 }, budget)
    table.updateElement('big', { path: 'n', value: 3 } as never, budget)
    table.updateCounter('big', { incr: 1, path: 'n' } as never, undefined, budget)
  }), { code: 'limit_exceeded', limit: 'maxValueBytes' })
  t.same((table.lookup('big')[0] as { n: number }).n, 1, 'undone')
  // Small values: as many copies as fit in the same bytes.
  const smalls = new WriteBudget(Infinity, Infinity, allowance)
  table.transact(() => { for (let i = 0; i < 40; i++) table.updateCounter('small', { incr: 1, path: 'n' } as never, undefined, smalls) })
  t.same(table.lookup('small')[0], { n: 40 })
  t.throws(() => table.transact(() => { for (let i = 0; i < 400; i++) table.updateCounter('small', { incr: 1, path: 'n' } as never, undefined, smalls) }), { code: 'limit_exceeded' })
  t.same(table.lookup('small')[0], { n: 40 }, 'undone')
})
