/**
 * Scanning reads in slices (src/tables/operations.ts): a slice ends when
 * its time is up, checked after every object, so a slice may end right
 * after the result that fills a page. The clock here runs 10 ms a reading,
 * so that every slice is one object long: the page must still be full,
 * its continuation good, and a read of it the same as without slices.
 */
import t from 'tap'
import { startService } from '../helpers.js'

t.test('a_slice_that_ends_with_the_page_full_ends_the_page', async t => {
  const service = await startService(t)
  await service.create('s', 'set')
  await service.write('s', 'insert', { objects: Array.from({ length: 5 }, (_, i) => ({ key: i, value: i })) })
  const spec = [{ head: { key: '$1', value: '_' }, guards: [], result: '$1' }]
  const real = performance.now.bind(performance)
  let now = real()
  performance.now = () => (now += 10)
  try {
    const first = await service.read('s', 'select', { spec, limit: 1 })
    t.equal(first.results.length, 1, 'one result, as asked')
    t.type(first.continuation, 'string')
    const rest = await service.read('s', 'select', { spec, limit: 10, continuation: first.continuation })
    t.same([...first.results, ...rest.results].sort(), [0, 1, 2, 3, 4], 'and the rest from its continuation')
    t.same((await service.read('s', 'select_count', { spec: [{ ...spec[0], result: true }] })).count, 5)
  } finally {
    performance.now = real
  }
})
