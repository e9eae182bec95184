// What one write may cost: the largest value it may store and how many
// bytes it may add to the table (what the memory quota has left when the
// write runs). The engine checks both on every path that stores a value
// (insert, insert_new, update_counter and its default, merge_patch,
// select_replace), before it changes anything, so a refused write leaves
// the table as it was (and transact undoes a batch's earlier steps).
import { EtsError } from './errors.js'

export class WriteBudget {
  /**
   * @param maxValueBytes the largest value, in bytes of its JSON (termBytes)
   * @param allowance bytes of table memory the write may add, net
   */
  constructor (readonly maxValueBytes = Infinity, private allowance = Infinity) {}

  /** Takes `delta` bytes of growth (negative: freed); refuses the step that would pass the allowance. O(1). */
  grow (delta: number): void {
    if (delta > 0 && delta > this.allowance) {
      throw new EtsError('memory_quota', `the write would add more than the ${Math.max(0, Math.floor(this.allowance))} bytes the memory quota has left`, { limit: 'maxMemory' })
    }
    this.allowance -= delta
  }

  /** Refuses a value whose JSON passes maxValueBytes; `bytes` is its size measured with that cap. */
  checkValue (bytes: number): void {
    if (bytes > this.maxValueBytes) {
      throw new EtsError('limit_exceeded', `a value would be larger than ${this.maxValueBytes} bytes of JSON`, { limit: 'maxValueBytes' })
    }
  }
}

/** No limits: what the engine's callers get unless they pass a budget (tests, the model). */
export const UNBOUNDED = new WriteBudget()
