// The mailbox queue against a plain array, under random operations.
import fc from 'fast-check'
import t from 'tap'
import { Queue } from '../../src/runtime/queue.js'

t.test('queue_behaves_as_an_array', async t => {
  const op = fc.oneof(
    fc.record({ push: fc.nat(50) }),
    fc.record({ shift: fc.constant(true) }),
    fc.record({ peek: fc.constant(true) }),
    fc.record({ remove: fc.nat(50) }),
    fc.record({ unshiftAll: fc.array(fc.nat(50), { maxLength: 5 }) }),
    fc.record({ drain: fc.constant(true) })
  )
  fc.assert(fc.property(fc.array(op, { maxLength: 3000 }), ops => {
    const queue = new Queue<{ n: number }>()
    let model: Array<{ n: number }> = []
    const boxes = new Map<number, { n: number }>()
    const box = (n: number): { n: number } => { if (!boxes.has(n)) boxes.set(n, { n }); return boxes.get(n)! }
    for (const o of ops) {
      if ('push' in o) { queue.push(box(o.push)); model.push(box(o.push)) }
      if ('shift' in o && queue.shift() !== model.shift()) return false
      if ('peek' in o && queue.peek() !== model[0]) return false
      if ('remove' in o) {
        const at = model.indexOf(box(o.remove))
        if (at >= 0) model.splice(at, 1)
        if (queue.remove(box(o.remove)) !== (at >= 0)) return false
      }
      if ('unshiftAll' in o) { const batch = o.unshiftAll.map(box); queue.unshiftAll(batch); model = [...batch, ...model] }
      if ('drain' in o) {
        const drained = queue.drain()
        if (drained.length !== model.length || drained.some((x, i) => x !== model[i])) return false
        model = []
      }
      if (queue.length !== model.length) return false
    }
    return true
  }), { numRuns: 100 })
  t.pass('matches the array model')
})

t.test('queue_compacts_after_many_shifts', async t => {
  const queue = new Queue<number>()
  for (let i = 0; i < 5000; i++) queue.push(i)
  const shifted = Array.from({ length: 4000 }, () => queue.shift())
  t.same(shifted, Array.from({ length: 4000 }, (_, i) => i))
  t.equal(queue.length, 1000)
  t.same(queue.drain().slice(0, 2), [4000, 4001])
})
