import { BagHashes } from './bag-hashes.js'
import { UNBOUNDED, type WriteBudget } from './budget.js'
import { applyCounterOps, parseCounterOps, type CounterOps } from './counter.js'
import { badarg, EtsError } from './errors.js'
import { InsertionOrderIndex } from './hash-index.js'
import type { Bucket, KeyIndex, WalkStart } from './key-index.js'
import { CompiledMatchSpec, compileMatchSpec, matchPatternSpec, NO_MATCH, RAISED } from './match-spec.js'
import { checkElementUpdates, elementOf, withElements, type ElementUpdate } from './elements.js'
import { applyMergePatch } from './merge-patch.js'
import { TermOrderIndex } from './ordered-index.js'
import {
  checkContinuation, checkCursor, checkLimit, checkObject, checkObjects, OBJECT_OVERHEAD, objectBytes, replacementValue,
} from './table-arguments.js'
import {
  TABLE_TYPES, type CountChunk, type EtsObject, type MatchSpec, type Page, type PageOptions, type ScanOptions,
  type SelectChunk, type SelectContinuation, type SelectOptions, type TableInfo, type TableType,
} from './table-types.js'
import { compareTerms, distinctTerms, isTermObject, termBytes, termEquals, termKey, type Term } from './term.js'

export * from './table-types.js'

/** What an insert does with a key already held. */
type KeyPolicy = 'replace' | 'distinct' | 'duplicates'

const POLICY: Record<TableType, KeyPolicy> = {
  set: 'replace',
  ordered_set: 'replace',
  bag: 'distinct',
  duplicate_bag: 'duplicates',
}

/** Creates an empty table of the given type. */
export function createTable (type: TableType): Table {
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
  private index: KeyIndex
  /** Undo records of the write in progress (see `transact`); undefined outside one. */
  private journal: UndoRecord[] | undefined
  private readonly policy: KeyPolicy
  /** A bag's large keys' value hashes (undefined for the other types). */
  private readonly bagHashes: BagHashes | undefined
  private objectCount = 0
  private bytes = 0
  private scans = 0
  private visited = 0
  /**
   * Committed writes that changed the table (see `transact`): 0 when made,
   * never going back. It moves with the table from owner to heir, so no
   * crash of a process resets it; a durable table's load sets it from disk.
   */
  revision = 0
  /** Commits made, the marks of commitOf: never going back. */
  private commits = 0

  constructor (type: TableType) {
    if (!TABLE_TYPES.includes(type)) throw badarg(`unknown table type ${JSON.stringify(type)}`)
    this.type = type
    this.policy = POLICY[type]
    this.bagHashes = this.policy === 'distinct' ? new BagHashes() : undefined
    this.index = this.newIndex()
  }

  /**
   * Runs `write` as one atomic step and says what it changed: undefined when
   * nothing, else the new revision and every changed key with its values
   * after the write (a reset: the table was emptied first). If it throws,
   * every change it made is undone, newest first, and the error rethrown.
   * Recording costs O(1) per object changed (an append keeps the old
   * length, a replaced value list is kept by reference, emptying the table
   * keeps the old index whole), so a write that changes nothing records
   * nothing, and a key named many times is never copied once per mention.
   * An undone delete puts its key back at the end of a hash table's order,
   * which ETS leaves unspecified.
   */
  transact<R>(write: () => R): { result: R; commit: Commit | undefined } {
    if (this.journal !== undefined) throw new Error('transact is not reentrant')
    const journal: UndoRecord[] = []
    this.journal = journal
    try {
      const result = write()
      if (journal.length === 0) return { result, commit: undefined }
      return { result, commit: this.commitOf(journal) }
    } catch (error) {
      for (let i = journal.length - 1; i >= 0; i--) this.undo(journal[i])
      throw error
    } finally {
      this.journal = undefined
    }
  }

  /**
   * What a write's journal changed: each bucket it touched once, in the
   * order of its first change, with its values now. A bucket that left the
   * index (emptied, or swept away by a reset) may have a successor for the
   * same key: then the keys are told by the index as it is now.
   */
  private commitOf (journal: UndoRecord[]): Commit {
    // Each bucket is marked, so that it is listed once without a set of them. Not with the
    // revision: that one may go back (a durable table whose disk write failed is read back).
    const revision = ++this.revision
    const mark = ++this.commits
    let reset = false
    let left = false
    let bytes = 0
    const changes: Change[] = []
    for (let i = 0; i < journal.length; i++) {
      const record = journal[i]
      if (record.kind === 'reset') {
        reset = true
        continue
      }
      const bucket = record.bucket
      if (bucket.mark === mark) continue
      bucket.mark = mark
      left ||= !bucket.live
      changes.push({ key: bucket.key, values: this.snapshot(bucket.values) })
      bytes += bucket.bytes
    }
    if (!reset && !left) return { revision, reset, changes, bytes }
    // The rare way: a reset swept the buckets before it away with their index, or a bucket was emptied.
    for (const record of journal) if (record.kind === 'reset') record.index.clear()
    const keys = new Map<string, Term>()
    for (const { key } of changes) keys.set(termKey(key), key)
    changes.length = 0
    bytes = 0
    for (const key of keys.values()) {
      const bucket = this.index.get(key)
      changes.push({ key, values: bucket === undefined ? [] : this.snapshot(bucket.values) })
      bytes += bucket === undefined ? OBJECT_OVERHEAD + termBytes(key) : bucket.bytes
    }
    return { revision, reset, changes, bytes }
  }

  /**
   * A value list as it is now, for a commit. A set's lists are replaced,
   * never changed once written (see UndoRecord), so the list itself is
   * that; a bag's grow by appends, so they are copied.
   */
  private snapshot (values: Term[]): Term[] {
    return this.policy === 'replace' ? values : values.slice()
  }

  /** Number of objects. O(1). */
  get size (): number {
    return this.objectCount
  }

  /** Estimated bytes held, kept up to date by every write. O(1). */
  get memory (): number {
    return this.bytes
  }

  /**
   * Inserts the objects in list order, atomically: if any is not a
   * `{key, value}` of JSON terms, throws badarg and inserts none; past the
   * budget (a value too large, the quota spent), limit_exceeded or
   * memory_quota, and what it inserted is undone by `transact`.
   * set/ordered_set: replaces the object of the key. bag: drops an object
   * identical to one held. duplicate_bag: keeps copies.
   * O(m·(|object| + log n)) for ordered_set, O(m·(|object| + k)) for hash
   * tables (a bag compares with the key's objects, as ETS does).
   */
  insert (objects: readonly EtsObject[], budget: WriteBudget = UNBOUNDED): void {
    const checked = checkObjects(objects, budget)
    for (let i = 0; i < objects.length; i++) this.put(objects[i].key, objects[i].value, checked[i], budget)
  }

  /**
   * Stores a key's values as `insert` would store its objects in that
   * order (checked first: none is stored if one is not a JSON term): what a
   * durable table's load does with each stored key, without an object made
   * per value. The table may keep `values` as the key's list: the caller
   * gives it up. O(k·|value|) plus the look-up.
   */
  restore (key: Term, values: Term[]): void {
    // The common case (every key of a set): a new key's list is `values` itself.
    if (values.length === 1) {
      this.put(key, values[0], objectBytes(key, values[0]), UNBOUNDED, values)
      return
    }
    const bytes = values.map(value => objectBytes(key, value))
    for (let i = 0; i < values.length; i++) this.put(key, values[i], bytes[i], UNBOUNDED)
  }

  /**
   * Values of the key in insertion order (at most one for set types); a
   * key that is not a JSON term (1e400 parses as Infinity) is badarg, as on
   * insert. O(|key| + k), or O(log n) for ordered_set.
   */
  lookup (key: Term): Term[] {
    termBytes(key)
    const bucket = this.index.get(key)
    return bucket === undefined ? [] : bucket.values.slice()
  }

  /**
   * `lookup`, unless the values' JSON would pass `maxBytes`: then undefined.
   * A key's memory estimate is at least its values' JSON, so only a key
   * that holds more than `maxBytes` is measured. O(|key| + k), plus
   * O(min(size, maxBytes)) for such a key.
   */
  lookupWithin (key: Term, maxBytes: number): Term[] | undefined {
    termBytes(key)
    const bucket = this.index.get(key)
    if (bucket === undefined) return []
    if (bucket.bytes > maxBytes && valuesBytes(bucket, maxBytes) > maxBytes) return undefined
    return bucket.values.slice()
  }

  /** Bytes of the JSON of the key's values (as a lookup answers them), counted up to `cap`. O(min(size, cap)). */
  valuesBytes (key: Term, cap = Infinity): number {
    const bucket = this.index.get(key)
    return bucket === undefined ? 0 : valuesBytes(bucket, cap)
  }

  /** O(|key|) hash, O(log n) ordered_set. */
  member (key: Term): boolean {
    termBytes(key)
    return this.index.get(key) !== undefined
  }

  /** Deletes every object of the key; absent keys are fine, as in ETS. O(|key| + k·|object|). */
  delete (key: Term): void {
    termBytes(key) // a key that is not a JSON term is badarg, as on lookup
    const bucket = this.index.get(key)
    if (bucket !== undefined) this.setValues(bucket, [])
  }

  /** All objects in table order. Changes made while iterating may or may not be seen. O(1) per object. */
  * objects (): IterableIterator<EtsObject> {
    for (const bucket of this.index.walk(false)) {
      for (const value of bucket.values) yield { key: bucket.key, value }
    }
  }

  /**
   * Inserts like `insert` only if no key of the list is in the table; else
   * changes nothing and names the keys present. Keys repeated inside the
   * list are checked against the table only, as ETS does.
   * O(m·|object|) plus the lookups.
   */
  insertNew (objects: readonly EtsObject[], budget: WriteBudget = UNBOUNDED): { inserted: boolean; present: Term[] } {
    const checked = checkObjects(objects, budget)
    const present = distinctTerms(objects.map(o => o.key).filter(key => this.member(key)))
    if (present.length > 0) return { inserted: false, present }
    for (let i = 0; i < objects.length; i++) this.put(objects[i].key, objects[i].value, checked[i], budget)
    return { inserted: true, present }
  }

  /** Deletes the object equal to this one; every copy in a duplicate_bag. O(k·|object|) after the lookup. */
  deleteObject (object: EtsObject): void {
    const bytes = checkObject(object)
    const bucket = this.index.get(object.key)
    if (bucket === undefined) return
    // A bag's key of many values finds the equal ones by hash; the others are compared one by one.
    const equal = this.bagHashes?.equalTo(bucket, object.value)
    const kept = equal === undefined
      ? bucket.values.filter(value => !termEquals(value, object.value))
      : equal.size === 0 ? bucket.values : bucket.values.filter(value => !equal.has(value))
    const gone = bucket.values.length - kept.length
    // Each value gone is equal to the object's, and so are their sizes: the kept ones are not measured again.
    if (gone > 0) this.setValues(bucket, kept, UNBOUNDED, object.value, bucket.bytes - gone * bytes)
  }

  /** Empties the table. O(n) (walks in progress are told their buckets are gone). */
  deleteAllObjects (): void {
    if (this.objectCount === 0) return
    if (this.journal === undefined) {
      this.index.clear()
    } else {
      // Kept whole for an undo; cleared (for walks in progress) once the write commits.
      this.journal.push({ kind: 'reset', index: this.index, objects: this.objectCount, bytes: this.bytes })
      this.index = this.newIndex()
    }
    this.objectCount = 0
    this.bytes = 0
  }

  /** Removes the key's objects and returns their values, in insertion order. Cost of lookup + delete. */
  take (key: Term): Term[] {
    const bucket = this.index.get(key)
    if (bucket === undefined) return []
    const values = bucket.values
    this.setValues(bucket, [])
    return values
  }

  /**
   * ETS update_counter, set and ordered_set only: applies the steps in order
   * to the key's value (see CounterOp) and returns the counter after each.
   * A missing key takes `defaultObject`'s value (its key is ignored, as in
   * ETS) and is inserted; without one it is badarg. Any failure changes
   * nothing. O(lookup + steps·|value|).
   */
  updateCounter (key: Term, ops: CounterOps, defaultObject?: EtsObject, budget: WriteBudget = UNBOUNDED): number[] {
    this.requireOnePerKey('update_counter')
    const steps = parseCounterOps(ops)
    const bucket = this.index.get(key)
    let current: Term
    if (bucket !== undefined) {
      budget.rewrite(bucket.bytes - OBJECT_OVERHEAD)
      current = bucket.values[0]
    } else if (defaultObject !== undefined) {
      checkObject(defaultObject, budget)
      current = defaultObject.value
    } else {
      throw badarg('no object with this key and no default object')
    }
    const { value, results } = applyCounterOps(current, steps)
    this.put(key, value, objectBytes(key, value, budget), budget)
    return results
  }

  /**
   * Applies an RFC 7396 merge patch to the key's value and returns the new
   * value; set and ordered_set only; a missing key is `not_found`.
   * O(lookup + |patch| + members reached).
   */
  mergePatch (key: Term, patch: Term, budget: WriteBudget = UNBOUNDED): Term {
    this.requireOnePerKey('merge_patch')
    termBytes(patch)
    const bucket = this.index.get(key)
    if (bucket === undefined) throw new EtsError('not_found', 'no object with this key')
    // A patch that is not an object replaces the value: nothing is copied.
    if (isTermObject(patch)) budget.rewrite(bucket.bytes - OBJECT_OVERHEAD)
    const value = applyMergePatch(bucket.values[0], patch)
    this.setValues(bucket, [value], budget)
    return value
  }

  /**
   * ETS lookup_element: the element at `path` (see elements.ts) of the
   * key's object, `{ value }` for set types, `{ values }` (one per object,
   * in insertion order) for bags. A missing key is badarg, or with
   * `default` (OTP 26's lookup_element/4) `{ value: default }` for every
   * type; a missing member is badarg either way. O(lookup + k).
   */
  lookupElement (key: Term, path?: string, options: { default?: Term } = {}): { value: Term } | { values: Term[] } {
    termBytes(key)
    const bucket = this.index.get(key)
    if (bucket === undefined) {
      if (options.default === undefined) throw badarg('no object with this key')
      return { value: options.default }
    }
    const elements = bucket.values.map(value => elementOf(value, path))
    return this.policy === 'replace' ? { value: elements[0] } : { values: elements }
  }

  /**
   * ETS update_element, set and ordered_set only: sets elements of the
   * key's value (see elements.ts), in order; false when the key is
   * missing, as in ETS. Any failure changes nothing. O(lookup + updates·members).
   */
  updateElement (key: Term, updates: ElementUpdate | readonly ElementUpdate[], budget: WriteBudget = UNBOUNDED): boolean {
    this.requireOnePerKey('update_element')
    termBytes(key)
    const steps = Array.isArray(updates) ? updates : [updates as ElementUpdate]
    checkElementUpdates(steps)
    const bucket = this.index.get(key)
    if (bucket === undefined) return false
    // Steps without a path replace the value: nothing is copied.
    if (steps.some(step => step.path !== undefined)) budget.rewrite(bucket.bytes - OBJECT_OVERHEAD)
    this.setValues(bucket, [withElements(bucket.values[0], steps)], budget)
    return true
  }

  /** The first key in table order, or undefined when empty. O(1) hash, O(log n) ordered_set. */
  first (): Term | undefined {
    return this.keyAfter(undefined, false)
  }

  /** The last key in table order, or undefined when empty. O(1) amortised hash, O(log n) ordered_set. */
  last (): Term | undefined {
    return this.keyAfter(undefined, true)
  }

  /**
   * The key after `key` in table order, or undefined at the end. ordered_set
   * accepts any key; the hash types need a key in the table (else badarg, as
   * ETS without safe_fixtable): use `page` for cursors that survive deletes.
   * O(log n) plus deleted keys skipped.
   */
  next (key: Term): Term | undefined {
    return this.keyAfter(key, false)
  }

  /** As `next`, backwards. The hash types go back in insertion order (ETS has no order for them). */
  prev (key: Term): Term | undefined {
    return this.keyAfter(key, true)
  }

  /**
   * Objects of up to `limit` keys in table order (see Page for the cursor).
   * ordered_set may bound the keys with an inclusive range [from, to].
   * With `maxBytes`, the page also ends before the key whose objects would
   * take it past that many bytes of JSON (a key alone past it is
   * limit_exceeded), so the answer stays bounded whatever the keys hold.
   * O(log n + objects returned), plus deleted hash keys skipped.
   */
  page (options: PageOptions): Page {
    const limit = checkLimit(options.limit)
    const { after, from, to } = options
    const maxBytes = options.maxBytes ?? Infinity
    if (after !== undefined) checkCursor(after)
    for (const t of [from, to]) if (t !== undefined) termBytes(t)
    if ((from !== undefined || to !== undefined) && this.type !== 'ordered_set') throw badarg('a key range needs an ordered_set')
    const reverse = options.reverse === true
    const direction = reverse ? -1 : 1
    const [begin, end] = reverse ? [to, from] : [from, to]
    let start: WalkStart | undefined = after === undefined ? undefined : { cursor: after, inclusive: false }
    if (begin !== undefined && (after === undefined || direction * compareTerms(after, begin) < 0)) {
      start = { cursor: begin, inclusive: true }
    }
    const objects: EtsObject[] = []
    let keys = 0
    let bytes = 0
    let last: Bucket | undefined
    for (const bucket of this.index.walk(reverse, start)) {
      if (end !== undefined && direction * this.index.compareToCursor(bucket, end) > 0) break
      if (keys === limit) return { objects, nextAfter: this.index.cursorOf(last!) }
      if (maxBytes !== Infinity) {
        const keyBytes = termBytes(bucket.key) + 10 // {"key":…,"value":…},
        for (const value of bucket.values) {
          bytes += keyBytes + termBytes(value, maxBytes - bytes) + 10
          if (bytes > maxBytes) break
        }
        if (bytes > maxBytes && keys === 0) throw tooLarge('the objects of one key', maxBytes)
        if (bytes > maxBytes) return { objects, nextAfter: this.index.cursorOf(last!) }
      }
      for (const value of bucket.values) objects.push({ key: bucket.key, value })
      keys++
      last = bucket
    }
    return { objects }
  }

  /**
   * ETS select: the results of the spec over the objects in table order,
   * at most `limit` of them per call, resumed with the continuation given
   * back (changes made between calls may or may not be seen, as in ETS).
   * A chunk also ends early, with a continuation, before the result that
   * would pass `maxBytes` of JSON (`stopped: 'bytes'`; a first result past
   * it alone is limit_exceeded), and when `pause` says so (`stopped:
   * 'pause'`, checked after each object): a caller scans a large table in
   * slices and lets others run between them.
   * A spec whose every head names a literal key looks those keys up; on
   * an ordered_set, one whose every head's key is partly bound (`["user",
   * "$1"]`, see key-range.ts) walks only the range of keys it can match:
   * O(log n + keys in the range); else O(objects) scan, each object
   * O(spec terms + terms compared). With `reverse`, an ordered_set goes
   * backwards (ETS select_reverse; the hash types go forwards, as there).
   */
  select (spec: MatchSpec, options: SelectOptions = {}): SelectChunk {
    const compiled = toCompiled(spec)
    const limit = options.limit === undefined ? Infinity : checkLimit(options.limit)
    const maxBytes = options.maxBytes ?? Infinity
    const results: Term[] = []
    let bytes = 0
    let stopped: SelectChunk['stopped']
    const continuation = this.scan(compiled, options, (key, value) => {
      if (results.length === limit) {
        stopped = 'limit'
        return false
      }
      const result = compiled.match(key, value)
      if (result === NO_MATCH || result === RAISED) return true
      const size = maxBytes === Infinity ? 0 : termBytes(result, maxBytes - bytes) + 1
      if (bytes + size > maxBytes) {
        if (results.length === 0 && options.continuesPage !== true) throw tooLarge('one result', maxBytes)
        stopped = 'bytes'
        return false
      }
      bytes += size
      results.push(result)
      return true
    })
    if (continuation === undefined) return { results, bytes }
    return { results, bytes, continuation, stopped: stopped ?? 'pause' }
  }

  /** ETS select_reverse: select backwards on an ordered_set, as select on the hash types (as in ETS). Cost as select. */
  selectReverse (spec: MatchSpec, options: SelectOptions = {}): SelectChunk {
    return this.select(spec, { ...options, reverse: true })
  }

  /**
   * ETS match: for each object the pattern (a match-spec head) matches, the
   * values of its variables in number order (`"$$"`). Cost as select.
   */
  match (pattern: Term, options: SelectOptions = {}): SelectChunk {
    return this.select(matchPatternSpec(pattern, '$$'), options)
  }

  /** ETS match_object: the objects the pattern matches. Cost as select. */
  matchObject (pattern: Term, options: SelectOptions = {}): SelectChunk {
    return this.select(matchPatternSpec(pattern, '$_'), options)
  }

  /** ETS match_delete: deletes the objects the pattern matches; returns how many. Cost as select. */
  matchDelete (pattern: Term): number {
    return this.selectDelete(matchPatternSpec(pattern, true))
  }

  /** ETS select_count: objects for which the spec's result is `true`. Cost as select. */
  selectCount (spec: MatchSpec): number {
    return this.selectCountChunk(spec).count
  }

  /** select_count in chunks, as `select` with `pause`: the count of one slice and where to resume. Cost as select. */
  selectCountChunk (spec: MatchSpec, options: ScanOptions = {}): CountChunk {
    const compiled = toCompiled(spec)
    let count = 0
    const continuation = this.scan(compiled, options, (key, value) => {
      if (compiled.match(key, value) === true) count++
      return true
    })
    return continuation === undefined ? { count } : { count, continuation }
  }

  /** ETS select_delete: deletes the objects for which the result is `true`; returns how many. Cost as select. */
  selectDelete (spec: MatchSpec): number {
    const compiled = toCompiled(spec)
    const changes: Array<[Bucket, Term[]]> = []
    let deleted = 0
    for (const bucket of this.candidates(compiled)) {
      const kept = bucket.values.filter(value => compiled.match(bucket.key, value) !== true)
      if (kept.length === bucket.values.length) continue
      changes.push([bucket, kept])
      deleted += bucket.values.length - kept.length
    }
    for (const [bucket, kept] of changes) this.setValues(bucket, kept)
    return deleted
  }

  /**
   * ETS select_replace: each matched object becomes the result, which must
   * be `{key, value}` with the same key; otherwise badarg and nothing is
   * replaced. Not for bags (ETS refuses them too: replacing could make two
   * objects identical). Returns the number of objects matched. Cost as select.
   */
  selectReplace (spec: MatchSpec, budget: WriteBudget = UNBOUNDED): number {
    if (this.type === 'bag') throw badarg('select_replace does not support bag tables')
    const compiled = toCompiled(spec)
    if (!compiled.keepsKey) throw badarg('select_replace needs a spec that keeps the key: result "$_" or {"key": <the head\'s key pattern>, "value": …}')
    const changes: Array<[Bucket, Term[]]> = []
    let replaced = 0
    for (const bucket of this.candidates(compiled)) {
      let values: Term[] | undefined
      for (let i = 0; i < bucket.values.length; i++) {
        const result = compiled.match(bucket.key, bucket.values[i])
        if (result === NO_MATCH) continue
        if (result === RAISED) throw badarg('a call in the result raised: ETS would store the atom \'EXIT\', which JSON has not')
        values ??= bucket.values.slice()
        values[i] = replacementValue(bucket.key, result)
        // Checked as it is made, not once all are: a result that repeats a
        // bound variable must not grow every value of the table before the
        // first check (what each value may add is bounded by the budget).
        budget.grow(objectBytes(bucket.key, values[i], budget) - objectBytes(bucket.key, bucket.values[i]))
        replaced++
      }
      if (values !== undefined) changes.push([bucket, values])
    }
    for (const [bucket, values] of changes) this.setValues(bucket, values)
    return replaced
  }

  /** Type, size, memory, number of keys, full scans and keys visited by match-spec operations so far. O(1). */
  info (): TableInfo {
    return { type: this.type, size: this.objectCount, memory: this.bytes, keys: this.index.size, fullScans: this.scans, keysVisited: this.visited }
  }

  /** Throws when an invariant is broken: index structure, bucket contents, size, memory. O(n·k·|object|). Tests call it. */
  checkValid (): void {
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
      let bucketBytes = 0
      for (const value of bucket.values) bucketBytes += objectBytes(bucket.key, value)
      if (bucketBytes !== bucket.bytes) throw new Error(`a bucket says it holds ${bucket.bytes} bytes, its objects take ${bucketBytes}`)
      bytes += bucketBytes
    }
    if (keys !== this.index.size) throw new Error(`walk saw ${keys} keys, index says ${this.index.size}`)
    if (count !== this.objectCount) throw new Error(`size is ${this.objectCount}, table holds ${count}`)
    if (bytes !== this.bytes) throw new Error(`memory is ${this.bytes}, objects take ${bytes}`)
  }

  /** `list`, if given, holds just `value`: it becomes the key's list if the key is new (no list made). */
  private put (key: Term, value: Term, bytes: number, budget: WriteBudget, list?: Term[]): void {
    // One look-up: the key's bucket, made empty if the key is new (and taken out again if the budget refuses it).
    const bucket = this.index.bucketFor(key)
    const fresh = bucket.values.length === 0
    if (this.policy === 'replace' && !fresh) {
      const delta = bytes - bucket.bytes
      budget.grow(delta)
      this.journal?.push({ kind: 'values', bucket, values: bucket.values, bytes: bucket.bytes })
      this.bytes += delta
      bucket.values = [value]
      bucket.bytes = bytes
      return
    }
    if (this.bagHashes !== undefined && !fresh && this.bagHashes.holds(bucket, value)) return
    try {
      budget.grow(bytes)
    } catch (error) {
      if (fresh) this.index.remove(bucket) // a refused insert leaves no empty bucket behind
      throw error
    }
    this.journal?.push({ kind: 'append', bucket, length: bucket.values.length, bytes: bucket.bytes })
    // A list of one made as such: pushing onto [] would give it room for 16.
    if (fresh) {
      bucket.values = list ?? [value]
    } else {
      bucket.values.push(value)
      this.bagHashes?.appended(bucket, value)
    }
    bucket.bytes += bytes
    this.objectCount++
    this.bytes += bytes
  }

  private keyAfter (key: Term | undefined, reverse: boolean): Term | undefined {
    let start: WalkStart | undefined
    if (key !== undefined) {
      termBytes(key) // a key that is not a JSON term is badarg, as on lookup
      const cursor = this.index.cursorForKey(key)
      if (cursor === undefined) throw badarg('the key is not in the table')
      start = { cursor, inclusive: false }
    }
    const step = this.index.walk(reverse, start).next()
    return step.done ? undefined : step.value.key
  }

  /**
   * Visits the objects a spec can match, in table order, from a
   * continuation; `visit` answers false to stop before an object, which is
   * then where the returned continuation resumes (undefined: the end).
   * `pause` is asked after each object visited, so every call makes progress.
   */
  private scan (compiled: CompiledMatchSpec, options: ScanOptions, visit: (key: Term, value: Term) => boolean): SelectContinuation | undefined {
    const resume = options.continuation === undefined ? undefined : checkContinuation(options.continuation)
    const { pause } = options
    let skip = resume?.skip ?? 0
    let visited = false
    const reverse = options.reverse === true && this.type === 'ordered_set'
    for (const bucket of this.candidates(compiled, resume && { cursor: resume.at, inclusive: true }, reverse)) {
      const from = skip > 0 && this.index.compareToCursor(bucket, resume!.at) === 0 ? skip : 0
      skip = 0 // only the bucket resumed at can be part done
      for (let i = from; i < bucket.values.length; i++) {
        if ((visited && pause?.() === true) || !visit(bucket.key, bucket.values[i])) return { at: this.index.cursorOf(bucket), skip: i }
        visited = true
      }
    }
    return undefined
  }

  /**
   * The buckets a spec can match, in table order (or reversed), counted in
   * keysVisited: its literal keys, the range of keys its heads bound (an
   * ordered_set), or all (a full scan).
   */
  private * candidates (spec: CompiledMatchSpec, start?: WalkStart, reverse = false): Iterable<Bucket> {
    for (const bucket of this.candidateWalk(spec, start, reverse)) {
      this.visited++
      yield bucket
    }
  }

  private candidateWalk (spec: CompiledMatchSpec, start: WalkStart | undefined, reverse: boolean): Iterable<Bucket> {
    // An ordered_set looks up one literal key; several it walks from the least to the greatest,
    // matching each object (ETS's tree does the same: an object pattern then matches larger objects in between).
    const ordered = this.type === 'ordered_set'
    if (spec.keys === undefined || (ordered && spec.keys.length > 1 && spec.range !== undefined)) {
      const range = ordered ? spec.range : undefined
      if (start === undefined && range === undefined) this.scans++ // a scan resumed from a continuation is the same scan
      return this.index.walk(reverse, start, range)
    }
    const index = this.index
    const direction = reverse ? -1 : 1
    const after = (bucket: Bucket, at: WalkStart): boolean => {
      const order = direction * index.compareToCursor(bucket, at.cursor)
      return order > 0 || (order === 0 && at.inclusive)
    }
    return spec.keys
      .map(key => index.get(key))
      .filter((bucket): bucket is Bucket => bucket !== undefined && (start === undefined || after(bucket, start)))
      .sort((a, b) => direction * index.compareToCursor(a, index.cursorOf(b)))
  }

  private requireOnePerKey (operation: string): void {
    if (this.policy !== 'replace') throw badarg(`${operation} needs a set or ordered_set table`)
  }

  /**
   * Replaces a bucket's values, keeping size and memory right; an emptied
   * bucket leaves the index. `removed`: the new values are the old without
   * those equal to it (a bag keeps its hashes, less its). `known`: the new
   * values' bytes, when the caller has them (else each is measured).
   */
  private setValues (bucket: Bucket, values: Term[], budget: WriteBudget = UNBOUNDED, removed?: Term, known?: number): void {
    let bytes = known ?? 0 // summed first: objectBytes or the budget may refuse, and then nothing must have changed
    if (known === undefined) for (const value of values) bytes += objectBytes(bucket.key, value, budget)
    budget.grow(bytes - bucket.bytes)
    this.bytes += bytes - bucket.bytes
    this.objectCount += values.length - bucket.values.length
    this.journal?.push({ kind: 'values', bucket, values: bucket.values, bytes: bucket.bytes })
    bucket.values = values
    bucket.bytes = bytes
    if (removed === undefined) this.bagHashes?.forget(bucket)
    else this.bagHashes?.removed(bucket, removed)
    if (values.length === 0) this.index.remove(bucket)
  }

  private newIndex (): KeyIndex {
    return this.type === 'ordered_set' ? new TermOrderIndex() : new InsertionOrderIndex()
  }

  /**
   * Reverts one change of a failed write: the key's values, or the whole
   * index, as they were. Undone newest first, so the table is as it was
   * just after the change: its bucket is in the index if it is live, else
   * (emptied by the change) the key gets a bucket again. O(1), or O(k) to
   * cut an append back.
   */
  private undo (record: UndoRecord): void {
    if (record.kind === 'reset') {
      this.index = record.index
      this.objectCount = record.objects
      this.bytes = record.bytes
      return
    }
    const bucket = record.bucket.live ? record.bucket : this.index.bucketFor(record.bucket.key)
    const values = record.kind === 'values' ? record.values : bucket.values.slice(0, record.length)
    this.bytes += record.bytes - bucket.bytes
    this.objectCount += values.length - bucket.values.length
    bucket.values = values
    bucket.bytes = record.bytes
    this.bagHashes?.forget(bucket)
    if (values.length === 0) this.index.remove(bucket)
  }
}

/**
 * How to undo one change: a bucket's value list and bytes as they were
 * (the list held by reference: writes replace lists, they never edit them,
 * except appends, which are undone by length), or the whole index as it
 * was before the table was emptied.
 */
type UndoRecord =
  | { kind: 'values'; bucket: Bucket; values: Term[]; bytes: number }
  | { kind: 'append'; bucket: Bucket; length: number; bytes: number }
  | { kind: 'reset'; index: KeyIndex; objects: number; bytes: number }

/** A changed key and its values after the write (`[]`: gone). */
export interface Change { key: Term; values: Term[] }

/**
 * What a committed write changed: the table's durable log and its change
 * streams read it. `changes` names each changed key once, in the order of
 * its first change, with its values after the write (`[]`: the key is
 * gone); with `reset`, every key not named is gone.
 */
export interface Commit {
  revision: number
  reset: boolean
  changes: Change[]
  /**
   * What the changes name, in the table's memory estimate (each object's
   * key and value plus a fixed overhead; a key that is gone, its key): the
   * change history bounds its bytes by it without serialising the commit.
   */
  bytes: number
}

/** Bytes of the JSON of a bucket's values, each followed by a comma, counted up to just past `cap`. */
function valuesBytes (bucket: Bucket, cap: number): number {
  let bytes = 0
  for (const value of bucket.values) {
    if (bytes > cap) break
    bytes += termBytes(value, cap - bytes) + 1
  }
  return bytes
}

function tooLarge (what: string, maxBytes: number): EtsError {
  return new EtsError('limit_exceeded', `${what} would take more than ${maxBytes} bytes of JSON: the answer's limit`, { limit: 'maxResponseBytes' })
}

function toCompiled (spec: MatchSpec): CompiledMatchSpec {
  return spec instanceof CompiledMatchSpec ? spec : compileMatchSpec(spec)
}
