import type { KeyRange } from './key-range.js'
import type { Term } from './term.js'

/**
 * All objects of one key. Invariant (outside a table method): `values` is
 * not empty while the bucket is in an index. For set and ordered_set it
 * holds exactly one value.
 */
export interface Bucket {
  readonly key: Term
  values: Term[]
  /** The table's memory estimate of its objects (objectBytes of each value), kept by the table. */
  bytes: number
  /** Position in insertion order (hash tables); 0 in an ordered index. */
  readonly seq: number
  /** False once removed, so a walk over a stale snapshot skips it. */
  live: boolean
  /** The table's mark of the last commit that listed it: each bucket is listed once per commit. */
  mark: number
}

/** Where a walk begins: at a cursor (see `KeyIndex.cursorOf`), or just past it. */
export interface WalkStart {
  cursor: Term
  inclusive: boolean
}

/**
 * The key → bucket map of a table, and its order. Two implementations:
 * insertion order over a hash (set, bag, duplicate_bag) and term order over
 * a B+ tree (ordered_set). A cursor is a Term naming a position in that
 * order that stays meaningful after the bucket it came from is removed.
 */
export interface KeyIndex {
  /** Number of keys. */
  readonly size: number
  get(key: Term): Bucket | undefined
  /** The bucket of `key`, created empty at the end of the order if absent. */
  bucketFor(key: Term): Bucket
  remove(bucket: Bucket): void
  clear(): void
  /**
   * Live buckets in order (or reversed), from `start` if given. Buckets
   * added or removed during the walk may or may not be seen; callers that
   * change the index collect first and apply after. With `range`, an index
   * in term order walks only the keys within it; an index in insertion
   * order has no such walk and visits every bucket.
   */
  walk(reverse: boolean, start?: WalkStart, range?: KeyRange): IterableIterator<Bucket>
  cursorOf(bucket: Bucket): Term
  /** The cursor of the bucket of `key`; undefined when the order has no
   *  place for an absent key (hash tables). */
  cursorForKey(key: Term): Term | undefined
  /** Sign of (position of bucket − position named by cursor). */
  compareToCursor(bucket: Bucket, cursor: Term): number
  /** Throws when an invariant of the index is broken. O(n). */
  checkValid(): void
}
