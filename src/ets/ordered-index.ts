import BTreeModule from 'sorted-btree'
import type { Bucket, KeyIndex, WalkStart } from './key-index.js'
import { compareTerms, type Term } from './term.js'

// sorted-btree is CommonJS: its class is the `default` export of the module.
const BTree = BTreeModule.default

/**
 * B+ tree index in Erlang term order, for ordered_set. A cursor is the key
 * itself: a walk from a removed key goes on from the next key past it.
 */
export class TermOrderIndex implements KeyIndex {
  private readonly tree = new BTree<Term, Bucket>(undefined, compareTerms)

  /** O(1). */
  get size (): number {
    return this.tree.size
  }

  /** O(log n) comparisons. */
  get (key: Term): Bucket | undefined {
    return this.tree.get(key)
  }

  /** O(log n) comparisons. */
  bucketFor (key: Term): Bucket {
    let bucket = this.tree.get(key)
    if (bucket === undefined) {
      bucket = { key, values: [], seq: 0, live: true }
      this.tree.set(key, bucket)
    }
    return bucket
  }

  /** O(log n) comparisons. */
  remove (bucket: Bucket): void {
    if (!bucket.live) return
    this.tree.delete(bucket.key)
    bucket.live = false
  }

  /** O(n): marks every bucket removed for walks in progress. */
  clear (): void {
    for (const bucket of this.tree.values()) bucket.live = false
    this.tree.clear()
  }

  /** O(log n) to the start, then O(1) amortised per bucket. */
  * walk (reverse: boolean, start?: WalkStart): IterableIterator<Bucket> {
    const entries = reverse
      ? this.tree.entriesReversed(start?.cursor, undefined, start !== undefined && !start.inclusive)
      : this.tree.entries(start?.cursor)
    // entries() has no flag to skip its first key, so the first key is checked here.
    let checkFirst = !reverse && start !== undefined && !start.inclusive
    for (const [key, bucket] of entries) {
      if (checkFirst) {
        checkFirst = false
        if (compareTerms(key, start!.cursor) === 0) continue
      }
      if (bucket.live) yield bucket
    }
  }

  cursorOf (bucket: Bucket): Term {
    return bucket.key
  }

  cursorForKey (key: Term): Term {
    return key
  }

  compareToCursor (bucket: Bucket, cursor: Term): number {
    return compareTerms(bucket.key, cursor)
  }

  checkValid (): void {
    this.tree.checkValid()
    let previous: Bucket | undefined
    for (const [key, bucket] of this.tree.entries()) {
      if (bucket.key !== key) throw new Error('bucket filed under another key')
      if (!bucket.live) throw new Error('removed bucket still in the tree')
      if (previous !== undefined && compareTerms(previous.key, key) >= 0) throw new Error('keys out of term order')
      previous = bucket
    }
  }
}
