// What one write may cost: the largest value it may store, how many
// bytes it may add to the table (what the memory quota has left when the
// write runs), and how many bytes of stored values it may rewrite. The
// engine checks the first two on every path that stores a value (insert,
// insert_new, update_counter and its default, merge_patch,
// select_replace), before it changes anything, so a refused write leaves
// the table as it was (and transact undoes a batch's earlier steps); the
// third before each update_counter, update_element or merge_patch copies
// the value it changes: a small request that rewrites a large value many
// times (a batch) costs a copy each time.
import { EtsError } from './errors.js'

export class WriteBudget {
  /**
   * @param maxValueBytes the largest value, in bytes of its JSON (termBytes)
   * @param allowance bytes of table memory the write may add, net
   * @param rewrites bytes of stored objects (their key's and value's JSON) the write may copy to change them
   */
  constructor (readonly maxValueBytes = Infinity, private allowance = Infinity, private readonly rewrites = Infinity) {}

  private rewritten = 0

  /**
   * Takes the copy of a stored object of `bytes` (its key's and value's
   * JSON), before it is made; refuses the one that would pass the rewrite
   * allowance, but never a write's first (a value of any size may be
   * changed once). O(1).
   */
  rewrite (bytes: number): void {
    if (this.rewritten > 0 && this.rewritten + bytes > this.rewrites) {
      throw new EtsError('limit_exceeded', `the write would copy more than ${this.rewrites} bytes of stored values: each update_counter, update_element and merge_patch copies the value it changes`, { limit: 'maxValueBytes' })
    }
    this.rewritten += bytes
  }

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
