import { badarg } from './errors.js'
import { InsertionOrderIndex } from './hash-index.js'
import type { Bucket, KeyIndex } from './key-index.js'
import { TermOrderIndex } from './ordered-index.js'
import { termBytes, termEquals, termKey, type Term } from './term.js'

export type TableType = 'set' | 'ordered_set' | 'bag' | 'duplicate_bag'

export const TABLE_TYPES: readonly TableType[] = ['set', 'ordered_set', 'bag', 'duplicate_bag']

export interface EtsObject {
  key: Term
  value: Term
}

/** What an insert does with a key already held. */
type KeyPolicy = 'replace' | 'distinct' | 'duplicates'

const POLICY: Record<TableType, KeyPolicy> = {
  set: 'replace',
  ordered_set: 'replace',
  bag: 'distinct',
  duplicate_bag: 'duplicates',
}

/** Fixed cost per object on top of its key and value (the pair, the slot). */
const OBJECT_OVERHEAD = 32

/** Estimated bytes of one object; also refuses non-JSON terms with badarg. */
function objectBytes(key: Term, value: Term): number {
  return OBJECT_OVERHEAD + termBytes(key) + termBytes(value)
}

/** Creates an empty table of the given type. */
export function createTable(type: TableType): Table {
  if (!TABLE_TYPES.includes(type)) throw badarg(`unknown table type ${JSON.stringify(type)}`)
  return new Table(type)
}

/**
 * An in-memory table with ETS semantics (DESIGN §5). Not thread-safe by
 * design: its owner serialises writes. n is the number of keys, k the number
 * of objects under one key (1 for set and ordered_set), |t| a term's size.
 * Hash tables (set, bag, duplicate_bag) iterate in key insertion order,
 * ordered_set in Erlang term order; a bag's objects of one key are adjacent,
 * in insertion order.
 */
export class Table {
  readonly type: TableType
  private readonly index: KeyIndex
  private readonly policy: KeyPolicy
  private objectCount = 0
  private bytes = 0

  constructor(type: TableType) {
    this.type = type
    this.policy = POLICY[type]
    this.index = type === 'ordered_set' ? new TermOrderIndex() : new InsertionOrderIndex()
  }

  /** Number of objects. O(1). */
  get size(): number {
    return this.objectCount
  }

  /** Estimated bytes held, kept up to date by every write. O(1). */
  get memory(): number {
    return this.bytes
  }

  /**
   * Inserts the objects in list order, atomically: if any is not a
   * `{key, value}` of JSON terms, throws badarg and inserts none.
   * set/ordered_set: replaces the object of the key. bag: drops an object
   * identical to one held. duplicate_bag: keeps copies.
   * O(m·(|object| + log n)) for ordered_set, O(m·(|object| + k)) for hash
   * tables (a bag compares with the key's objects, as ETS does).
   */
  insert(objects: readonly EtsObject[]): void {
    const checked = checkObjects(objects)
    for (let i = 0; i < objects.length; i++) this.put(objects[i].key, objects[i].value, checked[i])
  }

  /** Values of the key in insertion order (at most one for set types). O(|key| + k), or O(log n) for ordered_set. */
  lookup(key: Term): Term[] {
    const bucket = this.index.get(key)
    return bucket === undefined ? [] : bucket.values.slice()
  }

  /** O(|key|) hash, O(log n) ordered_set. */
  member(key: Term): boolean {
    return this.index.get(key) !== undefined
  }

  /** Deletes every object of the key; absent keys are fine, as in ETS. O(|key| + k·|object|). */
  delete(key: Term): void {
    const bucket = this.index.get(key)
    if (bucket !== undefined) this.setValues(bucket, [])
  }

  /** All objects in table order. Changes made while iterating may or may not be seen. O(1) per object. */
  *objects(): IterableIterator<EtsObject> {
    for (const bucket of this.index.walk(false)) {
      for (const value of bucket.values) yield { key: bucket.key, value }
    }
  }

  /** Throws when an invariant is broken: index structure, bucket contents, size, memory. O(n·k·|object|). Tests call it. */
  checkValid(): void {
    this.index.checkValid()
    let count = 0
    let bytes = 0
    let keys = 0
    for (const bucket of this.index.walk(false)) {
      keys++
      if (bucket.values.length === 0) throw new Error('empty bucket')
      if (this.policy === 'replace' && bucket.values.length !== 1) throw new Error('several objects under one key')
      if (this.policy === 'distinct') {
        const seen = new Set(bucket.values.map(termKey))
        if (seen.size !== bucket.values.length) throw new Error('identical objects in a bag')
      }
      count += bucket.values.length
      for (const value of bucket.values) bytes += objectBytes(bucket.key, value)
    }
    if (keys !== this.index.size) throw new Error(`walk saw ${keys} keys, index says ${this.index.size}`)
    if (count !== this.objectCount) throw new Error(`size is ${this.objectCount}, table holds ${count}`)
    if (bytes !== this.bytes) throw new Error(`memory is ${this.bytes}, objects take ${bytes}`)
  }

  private put(key: Term, value: Term, bytes: number): void {
    const bucket = this.index.bucketFor(key)
    const values = bucket.values
    if (this.policy === 'replace' && values.length > 0) {
      this.bytes += bytes - objectBytes(bucket.key, values[0])
      values[0] = value
      return
    }
    if (this.policy === 'distinct' && values.some(held => termEquals(held, value))) return
    values.push(value)
    this.objectCount++
    this.bytes += bytes
  }

  /** Replaces a bucket's values, keeping size and memory right; an emptied bucket leaves the index. */
  private setValues(bucket: Bucket, values: Term[]): void {
    for (const value of bucket.values) this.bytes -= objectBytes(bucket.key, value)
    for (const value of values) this.bytes += objectBytes(bucket.key, value)
    this.objectCount += values.length - bucket.values.length
    bucket.values = values
    if (values.length === 0) this.index.remove(bucket)
  }
}

/** Validates a list of objects before any is stored; returns their sizes. */
function checkObjects(objects: readonly EtsObject[]): number[] {
  if (!Array.isArray(objects)) throw badarg('objects must be a list')
  return objects.map(checkObject)
}

function checkObject(object: EtsObject): number {
  if (typeof object !== 'object' || object === null || !Object.hasOwn(object, 'key') || !Object.hasOwn(object, 'value')) {
    throw badarg('an object is {"key": …, "value": …}')
  }
  return objectBytes(object.key, object.value)
}
