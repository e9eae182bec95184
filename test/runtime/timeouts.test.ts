/** Call timeouts with one timer per duration (src/runtime/timeouts.ts): on time, in order, never after a cancel, and no process held up by an empty FIFO. */
import t from 'tap'
import { Timeouts } from '../../src/runtime/timeouts.js'

const timers = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length

t.test('each_timeout_fires_once_not_before_its_deadline_and_in_the_order_made', async t => {
  const timeouts = new Timeouts()
  const fired: Array<{ id: number; late: number }> = []
  const all: Array<Promise<void>> = []
  for (let id = 0; id < 5; id++) {
    const deadline = performance.now() + 30
    all.push(new Promise(resolve => timeouts.start(30, () => { fired.push({ id, late: performance.now() - deadline }); resolve() })))
    // Spread over a few ms so that one firing of the timer cannot cover them all.
    await new Promise(resolve => setTimeout(resolve, 4))
  }
  await Promise.all(all)
  t.same(fired.map(f => f.id), [0, 1, 2, 3, 4])
  for (const { id, late } of fired) t.ok(late >= 0, `timeout ${id} fired ${late.toFixed(2)} ms after its deadline, not before`)
})

t.test('a_cancelled_timeout_never_fires_and_durations_are_independent', async t => {
  const timeouts = new Timeouts()
  const fired: string[] = []
  const cancelled = timeouts.start(10, () => fired.push('cancelled'))
  const long = new Promise<void>(resolve => timeouts.start(40, () => { fired.push('40 ms'); resolve() }))
  const short = new Promise<void>(resolve => timeouts.start(10, () => { fired.push('10 ms'); resolve() }))
  timeouts.cancel(cancelled)
  await Promise.all([long, short])
  t.same(fired, ['10 ms', '40 ms'])
})

t.test('a_timer_holds_the_process_only_while_a_timeout_waits', async t => {
  const timeouts = new Timeouts()
  const before = timers()
  const first = timeouts.start(60_000, () => t.fail('cancelled, must not fire'))
  const second = timeouts.start(60_000, () => t.fail('cancelled, must not fire'))
  t.equal(timers(), before + 1, 'one timer for two timeouts of one duration')
  timeouts.cancel(second)
  t.equal(timers(), before + 1, 'still held: the first waits')
  timeouts.cancel(first)
  t.equal(timers(), before, 'nothing waits: the timer no longer holds the process')
  const third = timeouts.start(60_000, () => t.fail('cancelled, must not fire'))
  t.equal(timers(), before + 1, 'held again')
  timeouts.cancel(third)
  t.equal(timers(), before)
})
