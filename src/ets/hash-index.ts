import { EtsError } from './errors.js'
import type { Bucket, KeyIndex, WalkStart } from './key-index.js'
import { termKey, type Term } from './term.js'

interface HashBucket extends Bucket {
  /** Its key in the map: the key itself for a string, else termKey's encoding. */
  readonly hash: string
}

// Removed buckets stay in `order` (marked dead) until they are more than
// half of it, so removal is O(1) amortised and `order` stays sorted by seq.
// Dead buckets at the end are dropped at once and `head` skips those at the
// start, so first() and last() stay O(1) amortised when a table is used as
// a queue.
const COMPACT_MIN_DEAD = 32

/**
 * Hash index in insertion order, for set, bag and duplicate_bag. Each key
 * gets a sequence number when it enters the table (a replaced value keeps
 * it; a deleted then reinserted key gets a new one), and the order is the
 * order of these numbers. A cursor is `{ "seq": n }`: it names a position,
 * so it survives the deletion of the key it came from.
 */
export class InsertionOrderIndex implements KeyIndex {
  // String keys by themselves (no encoding to make: most keys are strings),
  // other keys by termKey's encoding, in a map of their own so the two never collide.
  private readonly byString = new Map<string, HashBucket>()
  private readonly byTerm = new Map<string, HashBucket>()
  private order: HashBucket[] = []
  private dead = 0
  private nextSeq = 0
  /** No live bucket sits before this index of `order`. */
  private head = 0

  /** O(1). */
  get size (): number {
    return this.byString.size + this.byTerm.size
  }

  /** The last key hashed and its hash: an insert asks `get`, then `bucketFor`, with the same key. */
  private lastKey: Term | undefined
  private lastHash = ''

  /** O(size of key). */
  get (key: Term): Bucket | undefined {
    return typeof key === 'string' ? this.byString.get(key) : this.byTerm.get(this.hashOf(key))
  }

  /** O(size of key). */
  bucketFor (key: Term): Bucket {
    const map = this.mapOf(key)
    const hash = typeof key === 'string' ? key : this.hashOf(key)
    let bucket = map.get(hash)
    if (bucket === undefined) {
      bucket = { key, values: [], bytes: 0, seq: this.nextSeq++, live: true, mark: 0, hash }
      map.set(hash, bucket)
      this.order.push(bucket)
    }
    return bucket
  }

  private mapOf (key: Term): Map<string, HashBucket> {
    return typeof key === 'string' ? this.byString : this.byTerm
  }

  /** termKey, reused for the key just hashed (terms are never changed in place). */
  private hashOf (key: Term): string {
    if (key !== this.lastKey || this.lastKey === undefined) {
      this.lastHash = termKey(key)
      this.lastKey = key
    }
    return this.lastHash
  }

  /** O(1) amortised. */
  remove (bucket: Bucket): void {
    const hashBucket = bucket as HashBucket
    if (!hashBucket.live) return
    this.mapOf(hashBucket.key).delete(hashBucket.hash)
    hashBucket.live = false
    this.dead++
    while (this.order.length > 0 && !this.order[this.order.length - 1].live) {
      this.order.pop()
      this.dead--
    }
    this.head = Math.min(this.head, this.order.length)
    if (this.dead > COMPACT_MIN_DEAD && this.dead * 2 > this.order.length) {
      this.order = this.order.filter(b => b.live)
      this.dead = 0
      this.head = 0
    }
  }

  /** O(n). Sequence numbers keep growing, so old cursors never point into new objects' past. */
  clear (): void {
    for (const bucket of this.order) bucket.live = false
    this.byString.clear()
    this.byTerm.clear()
    this.order = []
    this.dead = 0
    this.head = 0
  }

  /** O(log n) to the start, then O(1) amortised per bucket. */
  * walk (reverse: boolean, start?: WalkStart): IterableIterator<Bucket> {
    const order = this.order // a snapshot: compaction replaces the array
    let i: number
    if (start === undefined && reverse) {
      i = order.length - 1
    } else if (start === undefined) {
      i = this.head
      while (i < order.length && !order[i].live) i++
      if (order === this.order) this.head = i
    } else {
      const seq = seqOf(start.cursor)
      const at = lowerBound(order, seq)
      const exact = at < order.length && order[at].seq === seq
      i = reverse ? (exact && start.inclusive ? at : at - 1) : (exact && !start.inclusive ? at + 1 : at)
    }
    // Bounds are read on every step: a removal during the walk may pop dead buckets off the end.
    while (reverse ? (i = Math.min(i, order.length - 1)) >= 0 : i < order.length) {
      const bucket = order[i]
      i += reverse ? -1 : 1
      if (bucket.live) yield bucket
    }
  }

  cursorOf (bucket: Bucket): Term {
    return { seq: bucket.seq }
  }

  cursorForKey (key: Term): Term | undefined {
    const bucket = this.get(key)
    return bucket === undefined ? undefined : this.cursorOf(bucket)
  }

  compareToCursor (bucket: Bucket, cursor: Term): number {
    return Math.sign(bucket.seq - seqOf(cursor))
  }

  checkValid (): void {
    let live = 0
    if (this.head > this.order.length) throw new Error('head past the end')
    if (this.order.length > 0 && !this.order[this.order.length - 1].live) throw new Error('dead bucket at the end')
    for (let i = 0; i < this.order.length; i++) {
      const bucket = this.order[i]
      if (i < this.head && bucket.live) throw new Error('live bucket before head')
      if (i > 0 && this.order[i - 1].seq >= bucket.seq) throw new Error('insertion order not increasing')
      if (bucket.seq >= this.nextSeq) throw new Error('sequence number from the future')
      if (!bucket.live) continue
      live++
      if (this.mapOf(bucket.key).get(bucket.hash) !== bucket) throw new Error('ordered bucket missing from the hash')
      if ((typeof bucket.key === 'string' ? bucket.key : termKey(bucket.key)) !== bucket.hash) throw new Error('bucket filed under a wrong hash')
    }
    if (live !== this.size) throw new Error('hash and order disagree on the number of keys')
    if (live + this.dead !== this.order.length) throw new Error('dead bucket count wrong')
  }
}

function seqOf (cursor: Term): number {
  const seq = typeof cursor === 'object' && cursor !== null && !Array.isArray(cursor) ? cursor.seq : undefined
  if (!Number.isSafeInteger(seq)) throw new EtsError('bad_cursor', 'a cursor of a hash table is {"seq": <integer>}')
  return seq as number
}

/** First index whose seq is >= seq. */
function lowerBound (order: readonly Bucket[], seq: number): number {
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (order[mid].seq < seq) lo = mid + 1
    else hi = mid
  }
  return lo
}
