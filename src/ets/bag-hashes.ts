import type { Bucket } from './key-index.js'
import { termEquals, termKey, type Term } from './term.js'

/** A bag key with this many values or more is looked up by hash; fewer are compared one by one. */
export const BAG_HASHES_MIN = 16

/**
 * A bag's key's values by hash. ETS's bag drops an object identical to one
 * its key already holds, so an insert compared the new value with each of
 * the key's values: 10,000 more values under a key of 10,000 cost 6 s, and
 * a key of N values cost O(N²) to fill. A key of BAG_HASHES_MIN values or
 * more gets a map from hash to its values of that hash, made at the first
 * insert that needs it (O(N)), kept up to date by appends and by the
 * delete of one value, and forgotten at any other change of its values
 * (made again when next needed). A new value is compared only with the
 * values of its hash: the same value, or a collision of 32-bit hashes.
 */
export class BagHashes {
  private readonly maps = new WeakMap<Bucket, Map<number, Term[]>>()
  /** The value `holds` hashed last and its hash: an insert asks `holds`, then `appended`, with one value. */
  private last: { value: Term; hash: number } | undefined

  /** Whether the bucket holds a value equal to `value`. O(|value|) past BAG_HASHES_MIN values (O(N) the first time), else O(N·|value|). */
  holds (bucket: Bucket, value: Term): boolean {
    const map = this.mapOf(bucket)
    if (map === undefined) return bucket.values.some(v => termEquals(v, value))
    return map.get(this.hash(value))?.some(v => termEquals(v, value)) === true
  }

  /**
   * The bucket's values equal to `value`, found by hash (the terms
   * themselves: a delete keeps the others by identity); undefined below
   * BAG_HASHES_MIN values, where the caller compares them one by one.
   * O(|value|) (O(N) the first time).
   */
  equalTo (bucket: Bucket, value: Term): ReadonlySet<Term> | undefined {
    const map = this.mapOf(bucket)
    if (map === undefined) return undefined
    return new Set(map.get(this.hash(value))?.filter(v => termEquals(v, value)))
  }

  /** The bucket's map, made if it has none yet; none below BAG_HASHES_MIN values. */
  private mapOf (bucket: Bucket): Map<number, Term[]> | undefined {
    if (bucket.values.length < BAG_HASHES_MIN) return undefined
    let map = this.maps.get(bucket)
    if (map === undefined) {
      map = new Map()
      for (const v of bucket.values) add(map, hashOf(v), v)
      this.maps.set(bucket, map)
    }
    return map
  }

  /** After `value` was appended to the bucket's values. O(1) after `holds` of it, else O(|value|). */
  appended (bucket: Bucket, value: Term): void {
    const map = this.maps.get(bucket)
    if (map !== undefined) add(map, this.hash(value), value)
  }

  /** After the values equal to `value` were deleted from the bucket's values, the rest kept in order. O(|value|). */
  removed (bucket: Bucket, value: Term): void {
    const map = this.maps.get(bucket)
    if (map === undefined) return
    const hash = this.hash(value)
    const kept = map.get(hash)?.filter(v => !termEquals(v, value)) ?? []
    if (kept.length === 0) map.delete(hash)
    else map.set(hash, kept)
  }

  /** After the bucket's values changed in any other way (replaced, cut back): its map is made again when next needed. O(1). */
  forget (bucket: Bucket): void {
    this.maps.delete(bucket)
  }

  private hash (value: Term): number {
    if (this.last?.value !== value) this.last = { value, hash: hashOf(value) }
    return this.last.hash
  }
}

function add (map: Map<number, Term[]>, hash: number, value: Term): void {
  const same = map.get(hash)
  if (same === undefined) map.set(hash, [value])
  else same.push(value)
}

/** A 32-bit FNV-1a hash of the term's canonical encoding (equal terms, equal hashes). O(|t|). */
function hashOf (t: Term): number {
  const key = termKey(t)
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash
}
