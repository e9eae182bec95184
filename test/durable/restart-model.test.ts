/**
 * Every operation family on a durable table, then a restart on the same
 * data directory: the reloaded table equals the reference, a memory table
 * in the same service fed the same writes in the same order (the engine is
 * checked against a naive model in test/ets; what is under test here is
 * that the disk image is exactly what memory was). Writes are sent
 * without waiting for each other, so group commit batches many of them.
 */
import fc from 'fast-check'
import t from 'tap'
import type { TableType } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'
import type { WriteName } from '../../src/tables/operations.js'
import { tempDir } from '../helpers.js'
import { contents, durableService, loaded } from './support.js'

t.setTimeout(120_000)

const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Term>('a', 'b', 'c', 'é', '') },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<Term>(true, null, [1, 'x'], { b: 1, a: [2] }, 1.5) }
)
const value = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom<Term>('v', { n: 1 }, [1, 2], null))
const object = fc.record({ key, value })
const objects = fc.array(object, { minLength: 1, maxLength: 4 })
const spec = fc.constantFrom(
  [{ head: { key: '_', value: '$1' }, guards: [['<', '$1', 4]], result: true }],
  [{ head: { key: '$1', value: '_' }, guards: [['is_binary', '$1']], result: true }]
)
const replaceSpec = fc.constantFrom(
  [{ head: { key: '$1', value: '$2' }, guards: [['is_integer', '$2']], result: { key: '$1', value: { replaced: '$2' } } }]
)

type Write = { op: WriteName; args: unknown }
const single: fc.Arbitrary<Write> = fc.oneof(
  { weight: 6, arbitrary: objects.map(o => ({ op: 'insert' as const, args: { objects: o } })) },
  { weight: 2, arbitrary: objects.map(o => ({ op: 'insert_new' as const, args: { objects: o } })) },
  { weight: 2, arbitrary: key.map(k => ({ op: 'delete' as const, args: { key: k } })) },
  { weight: 2, arbitrary: object.map(o => ({ op: 'delete_object' as const, args: o })) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete_all_objects' as const, args: {} }) },
  { weight: 2, arbitrary: key.map(k => ({ op: 'take' as const, args: { key: k } })) },
  { weight: 2, arbitrary: fc.record({ key, incr: fc.integer({ min: -2, max: 5 }) }).map(({ key, incr }) => ({ op: 'update_counter' as const, args: { key, ops: incr, default: { key, value: 0 } } })) },
  { weight: 1, arbitrary: fc.record({ key, patch: fc.constantFrom<Term>({ a: 1 }, { n: null }, { b: [1] }) }).map(a => ({ op: 'merge_patch' as const, args: a })) },
  { weight: 1, arbitrary: spec.map(s => ({ op: 'select_delete' as const, args: { spec: s } })) },
  { weight: 1, arbitrary: replaceSpec.map(s => ({ op: 'select_replace' as const, args: { spec: s } })) }
)
const batchable = ['insert', 'insert_new', 'delete', 'delete_object', 'delete_all_objects', 'take', 'update_counter', 'merge_patch', 'select_delete', 'select_replace']
const write: fc.Arbitrary<Write> = fc.oneof(
  { weight: 8, arbitrary: single },
  {
    weight: 2,
    arbitrary: fc.array(single.filter(w => batchable.includes(w.op)), { minLength: 1, maxLength: 4 })
      .map(ops => ({ op: 'batch' as const, args: { ops: ops.map(w => ({ op: w.op, ...(w.args as object) })) } })),
  }
)

/** The outcome of a write: its result, or its error's code (a refused write must be refused alike). */
const outcome = (promise: Promise<{ result: unknown }>): Promise<unknown> =>
  promise.then(({ result }) => ({ result }), (error: { code?: string }) => ({ error: error.code ?? String(error) }))

/** The writes cut into runs at the given positions. */
function runs (writes: Write[], cuts: number[]): Write[][] {
  const at = [...new Set(cuts.filter(cut => cut > 0 && cut < writes.length))].sort((a, b) => a - b)
  return [0, ...at].map((start, i) => writes.slice(start, at[i] ?? writes.length))
}

for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as TableType[]) {
  for (const durability of ['disk', 'relaxed'] as const) {
    t.test(`a_${durability}_${type}_after_every_operation_family_and_a_restart_equals_the_reference`, async t => {
      await fc.assert(fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(40)), async (writes, cuts) => {
        const dataDir = await tempDir(t)
        const first = await durableService(t, dataDir)
        await first.service.create('durable', type, durability)
        await first.service.create('reference', type, 'memory')
        // Runs of writes sent together (one batch, or a few), each run waited for: keys on disk from earlier batches change too.
        for (const run of runs(writes, cuts)) {
          const send = (name: string): Array<Promise<unknown>> => run.map(w => outcome(first.service.write(name, w.op, w.args as never)))
          const [durable, reference] = [send('durable'), send('reference')]
          t.same(await Promise.all(durable), await Promise.all(reference), 'the same answers')
        }
        const expected = contents(first.service, 'reference', type)
        const { revision } = await first.service.info('durable')
        t.same(contents(first.service, 'durable', type), expected)
        await first.service.stop()

        const second = await durableService(t, dataDir)
        await loaded(second.service)
        t.same(contents(second.service, 'durable', type), expected, 'reloaded equal to the reference')
        t.equal((await second.service.info('durable')).revision, revision, 'the revision survives')
        t.equal((await second.service.info('reference')).size, 0, 'a memory table comes back empty')
        t.same(second.reports, [], 'nothing reported')
        await second.service.stop()
      }), { numRuns: 8, seed: Number(process.env.SEED ?? Date.now() % 1e9) })
    })
  }
}
