import BTreeModule from 'sorted-btree'
import type { Bucket, KeyIndex, WalkStart } from './key-index.js'
import type { KeyRange } from './key-range.js'
import { compareTerms, type Term } from './term.js'

// sorted-btree is CommonJS: its class is the `default` export of the module.
const BTree = BTreeModule.default

/**
 * A position between keys, at one end of a KeyRange: the tree's comparator
 * places it, so a walk seeks a range's end in O(log n) although no term
 * bounds it (nothing sorts after every string). Never stored in the tree.
 */
class RangeEnd {
  constructor (private readonly range: KeyRange, private readonly high: boolean) {}

  /** Sign of (this position − key): the low end sits just before the range, the high end just past it. */
  side (key: Term): number {
    const p = this.range.position(key)
    return this.high ? (p <= 0 ? 1 : -1) : (p < 0 ? 1 : -1)
  }
}

function compareKeys (a: Term, b: Term): number {
  if (typeof a === 'object' && a instanceof RangeEnd) return a.side(b)
  if (typeof b === 'object' && b instanceof RangeEnd) return -b.side(a)
  return compareTerms(a, b)
}

/**
 * B+ tree index in Erlang term order, for ordered_set. A cursor is the key
 * itself: a walk from a removed key goes on from the next key past it.
 */
export class TermOrderIndex implements KeyIndex {
  private readonly tree = new BTree<Term, Bucket>(undefined, compareKeys)

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
      bucket = { key, values: [], bytes: 0, seq: 0, live: true, mark: 0 }
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

  /**
   * O(log n) to the start, then O(1) amortised per bucket. With `range`,
   * only the buckets within it: the walk seeks the range's near end (or
   * `start`, if further on) and stops past its far end.
   */
  * walk (reverse: boolean, start?: WalkStart, range?: KeyRange): IterableIterator<Bucket> {
    if (range !== undefined) {
      yield * this.walkRange(reverse, range, start)
      return
    }
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

  private * walkRange (reverse: boolean, range: KeyRange, start?: WalkStart): IterableIterator<Bucket> {
    const direction = reverse ? -1 : 1
    const fromCursor = start !== undefined && direction * range.position(start.cursor) >= 0
    const walk = fromCursor ? this.walk(reverse, start) : this.walkFrom(reverse, new RangeEnd(range, reverse))
    for (const bucket of walk) {
      if (direction * range.position(bucket.key) > 0) return
      yield bucket
    }
  }

  private * walkFrom (reverse: boolean, end: RangeEnd): IterableIterator<Bucket> {
    const seek = end as unknown as Term // the comparator knows a RangeEnd
    const entries = reverse ? this.tree.entriesReversed(seek) : this.tree.entries(seek)
    for (const [, bucket] of entries) if (bucket.live) yield bucket
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
