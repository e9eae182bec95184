import type { Bucket } from './key-index.js'
import { termEquals, termKey, type Term } from './term.js'

/** A bag key with this many values or more is looked up by hash; fewer are compared one by one. */
export const BAG_HASHES_MIN = 16

/**
 * Which values a bag's key holds, by hash. ETS's bag drops an object
 * identical to one its key already holds, so an insert compared the new
 * value with each of the key's values: 10,000 more values under a key of
 * 10,000 cost 6 s, and a key of N values cost O(N²) to fill. A key of
 * BAG_HASHES_MIN values or more gets the set of its values' hashes, made
 * at the first insert that needs it (O(N)), kept up to date by appends,
 * and forgotten at any other change of its values (made again when next
 * needed). A value whose hash is not in the set is new, with no
 * comparison; one whose hash is, is compared with each value (the same
 * value, or a collision of 32-bit hashes: about N / 4 billion per insert).
 */
export class BagHashes {
  private readonly sets = new WeakMap<Bucket, Set<number>>()
  /** The value `holds` hashed last and its hash: an insert asks `holds`, then `appended`, with one value. */
  private last: { value: Term; hash: number } | undefined

  /** Whether the bucket holds a value equal to `value`. O(|value|) past BAG_HASHES_MIN values (O(N) the first time), else O(N·|value|). */
  holds (bucket: Bucket, value: Term): boolean {
    const { values } = bucket
    if (values.length < BAG_HASHES_MIN) return values.some(v => termEquals(v, value))
    let set = this.sets.get(bucket)
    if (set === undefined) {
      set = new Set()
      for (const v of values) set.add(hashOf(v))
      this.sets.set(bucket, set)
    }
    const hash = hashOf(value)
    this.last = { value, hash }
    return set.has(hash) && values.some(v => termEquals(v, value))
  }

  /** After `value` was appended to the bucket's values. O(1) after `holds` of it, else O(|value|). */
  appended (bucket: Bucket, value: Term): void {
    const set = this.sets.get(bucket)
    if (set === undefined) return
    set.add(this.last?.value === value ? this.last.hash : hashOf(value))
  }

  /** After the bucket's values changed in any other way (replaced, cut back): its set is made again when next needed. O(1). */
  forget (bucket: Bucket): void {
    this.sets.delete(bucket)
  }
}

/** A 32-bit FNV-1a hash of the term's canonical encoding (equal terms, equal hashes). O(|t|). */
function hashOf (t: Term): number {
  const key = termKey(t)
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash
}
