/**
 * Durable tables on disk (DESIGN §6, issue 9): in Mnesia's `disc_copies`
 * spirit, a durable table is still the in-memory table its handler owns;
 * the disk holds its image, kept current by every acknowledged write.
 *
 * Layout, in the catalog's LevelDB (one database, so that a table's catalog
 * record and its data can change in one atomic batch, as a drop needs):
 * - sublevel `objects`: `<storageId>/<generation>/<storageKey(key)>` → the
 *   JSON list of the key's values. One sublevel for all tables, not one per
 *   table: a table is a key range, so creating one costs nothing, a drop is
 *   one range clear, and the start-up sweep finds data no record names by
 *   seeking from range to range. The storage id is the table's immutable id
 *   in its catalog record, so a rename moves no data.
 * - sublevel `stores`: `<storageId>` → `{"revision", "generation"}`, written
 *   in the same batch as the objects it describes, so the revision on disk
 *   is the revision of exactly the objects on disk.
 *
 * A reset (delete_all_objects) cannot be one batch of deletes without
 * reading every key first, and LevelDB's range clear is not part of a
 * batch. So a reset writes the table's new contents under the next
 * generation, with the new generation number, in one batch: a crash before
 * it leaves the old generation current, a crash after it leaves the new one.
 * The old generation's range is cleared afterwards, and any generation but
 * the current one is cleared at load (garbage a crash left).
 *
 * Group commit: a handler applies a write to memory, then `submit`s its
 * commit and its caller's answer here. Commits submitted while a batch is
 * being written wait, and go together in the next batch: one
 * `batch(…, { sync: true })` per group (`disk`), or without sync and a
 * synced marker write every second (`relaxed`: LevelDB has no fsync call of
 * its own, and a synced write syncs its log with everything before it).
 * Each caller is answered, and `onCommit` told, in revision order, once its
 * batch is written. A write that changed nothing is answered once the
 * writes before it are (its answer may depend on them).
 *
 * The store, not the handler, keeps the queue: it outlives a handler crash.
 * A handler that dies with writes applied in memory but not yet on disk
 * leaves them here; they are written as if it had lived (its callers got a
 * `process_crashed` answer: not acknowledged, yet kept, which an
 * unacknowledged write may be), so memory and disk agree again without the
 * dead handler. The table went to its heir unchanged: nothing is rewritten.
 *
 * A failed batch (disk full, EIO, a read-only file system): every write of
 * the batch and every write queued behind it (they were applied on top of
 * it) is answered 503 `storage_unavailable`; the table refuses writes while
 * the keys they touched are read back from disk into memory (the whole
 * table, when a reset was among them), and the revision goes back to the
 * one on disk. Nothing acknowledged is lost: the batch was all or nothing.
 * The fault is reported (one line, /readyz, /v1/processes) until a batch
 * succeeds. A read back that fails is retried every second.
 */
import { randomBytes } from 'node:crypto'
import type { AbstractBatchOperation } from 'abstract-level'
import type { Commit, Table } from '../ets/table.js'
import { termKey, type Term } from '../ets/term.js'
import { HeirloomError } from '../errors.js'
import type { Catalog, Db, Sublevel, TableRecord } from './catalog.js'
import { synced } from './data-dir.js'

export const DURABILITIES = ['memory', 'disk', 'relaxed'] as const
export type Durability = typeof DURABILITIES[number]

export type OnCommit = (table: string, commit: Commit) => void

export interface StorageOptions {
  /** Drop records that do not decode (a line each) instead of refusing their table. */
  repair: boolean
  /** Where faults and repairs are told, one line each. */
  report: (line: string) => void
  /** Told of each acknowledged commit, in revision order, once it is on disk. */
  onCommit: OnCommit
  /** ms between synced writes that make `relaxed` tables' writes survive an OS crash. Default 1000. */
  syncInterval?: number
  /** Runs before each batch is written (tests crash processes here); throwing fails the batch as a disk would. */
  beforeBatch?: (table: string, commits: Commit[]) => void | Promise<void>
}

/**
 * `loading`: being read from disk; writes wait, reads answer 503 `loading`.
 * `ready`: serving. `recovering`: a batch failed; writes are refused until
 * memory agrees with disk again. `damaged`: a record did not decode; neither
 * reads nor writes are served until a `--repair` start. `dropped`: gone.
 */
export type StoreState = 'loading' | 'ready' | 'recovering' | 'damaged' | 'dropped'

/** Who waits for a write (the handler's caller): answered once the write is on disk, or failed. */
export interface Waiting {
  reply (answer: unknown): void
  fail (error: Error): void
}

interface Pending {
  table: string
  commit: Commit | undefined
  waiting: Waiting
  answer: unknown
}

interface StoreMeta { revision: number; generation: number }

/** How many records a load reads from LevelDB at a time: its extra memory. */
const LOAD_CHUNK = 1000
/** ms between attempts to read back from a disk that failed a batch. */
const RECOVERY_RETRY = 1000
/** The key, in `stores`, of the marker whose synced write syncs LevelDB's log. */
const SYNC_MARKER = '.synced'

export class Storage {
  readonly data: Sublevel
  readonly meta: Sublevel
  readonly db: Db
  private readonly stores = new Map<string, TableStore>()
  private readonly timer: NodeJS.Timeout
  /** A relaxed table wrote since the last synced write. */
  private unsynced = false

  constructor (private readonly catalog: Catalog, readonly options: StorageOptions) {
    this.db = catalog.database
    this.data = this.db.sublevel('objects')
    this.meta = this.db.sublevel('stores')
    this.timer = setInterval(() => { void this.syncLog() }, options.syncInterval ?? 1000).unref()
  }

  /** A new storage id: never reused, so a dropped table's leftovers can never be mistaken for a new table's. */
  static newId (): string {
    return `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`
  }

  /** The store of a table by name (undefined for a memory table). O(1). */
  of (name: string): TableStore | undefined {
    const id = this.catalog.get(name)?.storageId
    return id === undefined ? undefined : this.stores.get(id)
  }

  /** The store whose table is called `name` now, catalogued or not (a drop or rename under way). O(stores). */
  named (name: string): TableStore | undefined {
    for (const store of this.stores.values()) if (store.name === name) return store
    return undefined
  }

  /** The store of the table last called `name` that no catalog record names (a drop cut short). O(stores + tables). */
  detached (name: string): TableStore | undefined {
    const known = new Set(this.catalog.all().map(record => record.storageId))
    for (const store of this.stores.values()) {
      if (store.name === name && !known.has(store.storageId)) return store
    }
    return undefined
  }

  /**
   * The store of a durable table, made and its load from disk started if it
   * is new (a node start; a new table's range is empty). A store that exists
   * (a manager restart) is the one its table's writes are queued in: kept. O(1).
   */
  open (record: TableRecord, table: Table): TableStore | undefined {
    if (record.storageId === undefined || record.durability === undefined || record.durability === 'memory') return undefined
    let store = this.stores.get(record.storageId)
    if (store === undefined) {
      store = new TableStore(this, record.storageId, record.durability, table)
      this.stores.set(record.storageId, store)
      store.load(record.name)
    }
    return store
  }

  /** The batch operation that forgets a table's revision: part of the drop's catalog batch. */
  dropOps (storageId: string): Array<AbstractBatchOperation<Db, string, string>> {
    return [{ type: 'del', sublevel: this.meta, key: storageId }]
  }

  /**
   * Deletes a dropped table's objects (its catalog record and revision are
   * gone already), after the batch being written, if any: it may have put
   * the revision back, so that goes again.
   */
  async destroy (storageId: string): Promise<void> {
    const store = this.stores.get(storageId)
    this.stores.delete(storageId)
    store?.dropped()
    await store?.idle()
    try {
      await this.meta.del(storageId)
      await this.data.clear(range(`${storageId}/`))
    } catch (error) {
      this.options.report(`storage: the objects of dropped table ${storageId} were not cleared (${message(error)}); the next start clears them`)
    }
  }

  /**
   * Deletes every store, revision and object range that no catalog record
   * names (a drop or create cut short). O(stores on disk) LevelDB seeks.
   */
  async sweep (): Promise<void> {
    const known = new Set(this.catalog.all().flatMap(record => record.storageId ?? []))
    for (const [id, store] of this.stores) {
      if (known.has(id)) continue
      this.stores.delete(id)
      store.dropped()
      await store.idle()
    }
    const orphans: string[] = []
    for await (const id of this.meta.keys()) if (id !== SYNC_MARKER && !known.has(id)) orphans.push(id)
    if (orphans.length > 0) await this.meta.batch(orphans.map(key => ({ type: 'del' as const, key })))
    let from = ''
    for (;;) {
      const [first] = await this.data.keys({ gt: from, limit: 1 }).all()
      if (first === undefined) break
      const id = first.slice(0, first.indexOf('/'))
      if (!known.has(id)) await this.data.clear(range(`${id}/`))
      from = `${id}0` // past every key of this id ('0' follows '/')
    }
  }

  /**
   * Readiness: no table loading, recovering, or with a failed batch not yet
   * followed by a good one. A damaged table does not hold the others back:
   * it answers 503 itself, and a restart would not mend it. O(stores).
   */
  healthy (): boolean {
    for (const store of this.stores.values()) {
      if (store.state === 'loading' || store.state === 'recovering') return false
      if (store.state === 'ready' && store.fault !== undefined) return false
    }
    return true
  }

  /** Stops the sync timer once every queued batch is written; relaxed writes get a last synced write. */
  async close (): Promise<void> {
    clearInterval(this.timer)
    await Promise.all([...this.stores.values()].map(store => store.idle()))
    await this.syncLog()
  }

  /** A relaxed table wrote: the next tick of the timer syncs. */
  wroteUnsynced (): void { this.unsynced = true }

  private async syncLog (): Promise<void> {
    if (!this.unsynced) return
    this.unsynced = false
    try {
      await this.db.batch([{ type: 'put', sublevel: this.meta, key: SYNC_MARKER, value: new Date().toISOString() }], synced(true))
    } catch (error) {
      this.unsynced = true
      this.options.report(`storage: the periodic sync of relaxed tables failed (${message(error)})`)
    }
  }
}

/** One durable table's disk image and its queue of writes on their way there. */
export class TableStore {
  state: StoreState = 'loading'
  /** The revision on disk: of the last acknowledged write. */
  revision = 0
  /** Why the last batch failed, until one succeeds; or why the table could not load. */
  fault: string | undefined
  /** Batches written: each is one LevelDB write (tests count them). */
  batches = 0
  private generation = 0
  private pending: Pending[] = []
  private flushing: Promise<void> | undefined
  /** Set while a batch is about to start (at the end of this poll phase): resolves when it has. */
  private scheduled: Promise<void> | undefined
  private loaded: Promise<void> = Promise.resolve()
  private current = ''

  constructor (
    private readonly storage: Storage,
    readonly storageId: string,
    readonly durability: 'disk' | 'relaxed',
    private readonly table: Table
  ) {}

  /** The name its table was last written, loaded or renamed under. */
  get name (): string { return this.current }

  /** Its table has a new name (a rename, which moves no data). */
  renamed (name: string): void { this.current = name }

  /** Resolves once the table is loaded (or found damaged). */
  whenLoaded (): Promise<void> { return this.loaded }

  /**
   * Why a write cannot be taken now, or undefined. `loading` is not a
   * refusal: the handler postpones writes until the load is done.
   */
  refusal (): HeirloomError | undefined {
    switch (this.state) {
      case 'recovering': return new HeirloomError('storage_unavailable', `a disk write of table ${this.name} failed (${this.fault}); it is being read back from disk`, { retryAfter: 1 })
      case 'damaged': return new HeirloomError('storage_unavailable', `table ${this.name} is not served: ${this.fault}`, { retryAfter: 1 })
      case 'dropped': return new HeirloomError('table_not_found', `no table ${this.name}`)
      default: return undefined
    }
  }

  /**
   * Queues a write applied in memory (`commit` undefined: it changed
   * nothing) to be answered `answer` once it, and every write before it,
   * is on disk. No closures per write: a relaxed table takes tens of
   * thousands a second.
   */
  submit (table: string, commit: Commit | undefined, waiting: Waiting, answer: unknown): void {
    this.current = table
    if (commit === undefined && this.pending.length === 0 && this.flushing === undefined) {
      waiting.reply(answer)
      return
    }
    this.pending.push({ table, commit, waiting, answer })
    this.schedule()
  }

  /** Resolves once no batch is being written, nor about to be (a write submitted in this turn). */
  async idle (): Promise<void> {
    for (;;) {
      if (this.flushing !== undefined) await this.flushing
      else if (this.scheduled !== undefined) await this.scheduled
      else return
    }
  }

  /** For `GET /v1/processes`. */
  describe (): Record<string, unknown> {
    return {
      durability: this.durability,
      state: this.state,
      storageId: this.storageId,
      revisionOnDisk: this.revision,
      queued: this.pending.length,
      batches: this.batches,
      ...(this.fault === undefined ? {} : { fault: this.fault }),
    }
  }

  /** Called by Storage.destroy: queued writes are answered `table_not_found`. */
  dropped (): void {
    this.state = 'dropped'
    for (const write of this.pending.splice(0)) write.waiting.fail(this.refusal()!)
  }

  /** Reads the table from disk into its (empty) memory table; see the top of the file for what is served meanwhile. */
  load (name: string): void {
    this.current = name
    this.state = 'loading'
    this.loaded = this.read().then(() => {
      if (this.state === 'loading') this.state = 'ready'
    }, error => {
      if (this.state === 'loading') this.damaged(error)
    })
  }

  /** Serves nothing more, for a reason only a `--repair` start (a bad record) or a working disk mends. */
  private damaged (error: unknown): void {
    this.state = 'damaged'
    this.fault = error instanceof BadRecord ? error.message : `LevelDB cannot read it (${message(error)})`
    this.storage.options.report(`storage: table ${this.name}: ${this.fault}`)
  }

  // ── group commit ─────────────────────────────────────────────────────

  /**
   * The next batch starts once this poll phase's requests have been
   * handled (setImmediate), so that the writes that came in together go to
   * disk together, unless one is being written: then once the poll phase
   * in which it ended has been handled (flush), so that the writes its
   * answers bring in go with those that waited (a relaxed PUT took 5 % less
   * CPU, with a batch of 24 writes, not 16, at 50 connections).
   */
  private schedule (): void {
    if (this.scheduled !== undefined || this.flushing !== undefined) return
    this.scheduled = new Promise(resolve => {
      setImmediate(() => {
        this.scheduled = undefined
        // Only with something to write: a flush with nothing (its writes failed by a drop
        // meanwhile) would clear `flushing` before it is set, and leave it set for ever.
        if (this.flushing === undefined && this.writable()) this.flushing = this.flush()
        resolve()
      })
    })
  }

  /** Whether a flush has writes to write. */
  private writable (): boolean {
    return this.pending.length > 0 && this.state === 'ready'
  }

  /**
   * Writes the queued writes batch after batch until none is left. Started
   * only when `writable`, so it always waits on a batch before its end
   * clears `flushing` (synchronously, so that a write queued after the
   * last batch finds no flush under way and schedules one).
   */
  private async flush (): Promise<void> {
    try {
      while (this.writable()) {
        const group = this.pending
        this.pending = []
        try {
          await this.write(group)
        } catch (error) {
          this.failed(group, error)
          return
        }
        for (const write of group) {
          if (write.commit !== undefined) this.storage.options.onCommit(write.table, write.commit)
          write.waiting.reply(write.answer)
        }
        // The next batch, once this poll phase's requests are handled too (schedule).
        if (this.pending.length > 0) await new Promise(resolve => setImmediate(resolve))
      }
    } finally {
      this.flushing = undefined
    }
  }

  /** One LevelDB batch for the group: each changed key's last values, the revision, and a new generation after a reset. */
  private async write (group: Pending[]): Promise<void> {
    const commits = group.flatMap(write => write.commit ?? [])
    if (commits.length === 0) return
    let reset = false
    const changes = new Map<string, Term[]>()
    for (const commit of commits) {
      if (commit.reset) {
        reset = true
        changes.clear()
      }
      for (const { key, values } of commit.changes) changes.set(storageKey(key), values)
    }
    const revision = commits[commits.length - 1].revision
    const generation = reset ? this.generation + 1 : this.generation
    const prefix = this.prefix(generation)
    const { data, meta } = this.storage
    await this.storage.options.beforeBatch?.(group[0].table, commits)
    if (this.state !== 'ready') throw new Error(`table ${this.name} was ${this.state} before its batch was written`)
    // A chained batch, not an array: classic-level takes each put as its key
    // and value, where an array's operations are read property by property
    // (a 20-key group cost about 3x the CPU, measured). Its keys carry their
    // sublevel's prefix, put here: the `sublevel` option sends each put
    // through abstract-level's general path (a relaxed PUT took 13 % more CPU).
    const batch = this.storage.db.batch()
    const dataPrefix = data.prefix + prefix
    for (const [key, values] of changes) {
      if (values.length > 0) batch.put(dataPrefix + key, JSON.stringify(values))
      else if (!reset) batch.del(dataPrefix + key)
    }
    batch.put(meta.prefix + this.storageId, JSON.stringify({ revision, generation } satisfies StoreMeta))
    await batch.write(synced(this.durability === 'disk'))
    this.batches++
    if (this.durability === 'relaxed') this.storage.wroteUnsynced()
    const old = this.generation
    this.revision = revision
    this.generation = generation
    this.fault = undefined
    if (reset) {
      // Best effort: a range left behind is cleared at the next load.
      void this.storage.data.clear(range(this.prefix(old))).catch(() => undefined)
    }
  }

  // ── a failed batch ───────────────────────────────────────────────────

  private failed (group: Pending[], error: unknown): void {
    const undone = [...group, ...this.pending]
    this.pending = []
    this.fault = message(error)
    const dropped = this.state === 'dropped'
    if (!dropped) this.state = 'recovering'
    const answer = dropped
      ? this.refusal()!
      : new HeirloomError('storage_unavailable', `the write was not stored: the disk write of table ${this.name} failed (${this.fault}); it was undone`, { cause: error, retryAfter: 1 })
    for (const write of undone) write.waiting.fail(answer)
    if (dropped) return
    this.storage.options.report(`storage: table ${this.name}: a disk write failed (${this.fault}); ${undone.length} writes undone in memory and answered 503`)
    void this.recover(undone)
  }

  /** Makes memory agree with disk again: the keys the undone writes touched, read back (all of them after a reset). */
  private async recover (undone: Pending[]): Promise<void> {
    const commits = undone.flatMap(write => write.commit ?? [])
    if (commits.some(commit => commit.reset)) {
      // Writes wait (and reads answer 503 loading) until the whole table is back, as at start-up.
      this.state = 'loading'
      this.loaded = this.reload()
      return
    }
    try {
      const keys = new Map<string, Term>()
      for (const commit of commits) for (const { key } of commit.changes) keys.set(storageKey(key), key)
      const prefix = this.prefix(this.generation)
      const stored = await this.storage.data.getMany([...keys.keys()].map(key => prefix + key))
      let i = 0
      for (const key of keys.values()) {
        const json = stored[i++]
        this.table.delete(key)
        if (json !== undefined) this.table.insert((JSON.parse(json) as Term[]).map(value => ({ key, value })))
      }
      this.table.revision = this.revision
      this.state = 'ready'
    } catch (error) {
      this.storage.options.report(`storage: table ${this.name}: reading back from disk failed (${message(error)}); retrying`)
      setTimeout(() => { void this.recover(undone) }, RECOVERY_RETRY).unref()
    }
  }

  /**
   * Reads the whole table back after a failed batch that held a reset: a
   * read that fails is tried again every RECOVERY_RETRY ms, as a read back
   * of keys is (a disk that failed a write may fail a read too); only a
   * record that does not decode damages the table, as at start-up.
   */
  private async reload (): Promise<void> {
    for (;;) {
      this.table.deleteAllObjects()
      try {
        await this.read()
        if (this.state === 'loading') this.state = 'ready'
        return
      } catch (error) {
        if (this.state !== 'loading') return
        if (error instanceof BadRecord) {
          this.damaged(error)
          return
        }
        this.storage.options.report(`storage: table ${this.name}: reading back from disk failed (${message(error)}); retrying`)
      }
      await new Promise(resolve => setTimeout(resolve, RECOVERY_RETRY).unref())
      if (this.state !== 'loading') return
    }
  }

  // ── load ─────────────────────────────────────────────────────────────

  /** Streams the current generation into the table, LOAD_CHUNK records at a time. */
  private async read (): Promise<void> {
    const { data, meta, options } = this.storage
    const stored = await meta.get(this.storageId)
    let found = stored === undefined ? { revision: 0, generation: 0 } : decodeMeta(stored)
    if (found === undefined) {
      const line = `its revision record ${clip(JSON.stringify(stored))} is malformed`
      if (!options.repair) throw new BadRecord(`${line}; start with --repair to rebuild it`)
      found = { revision: 0, generation: await this.newestGeneration() }
      options.report(`repair: table ${this.name}: ${line}; rebuilt at revision 0, generation ${found.generation}`)
      await meta.put(this.storageId, JSON.stringify(found))
    }
    this.revision = found.revision
    this.generation = found.generation
    const prefix = this.prefix(found.generation)
    const bad: string[] = []
    const iterator = data.iterator(range(prefix))
    // The next chunk is read (on LevelDB's thread) while this one goes into the table.
    let next = iterator.nextv(LOAD_CHUNK)
    try {
      for (;;) {
        const entries = await next
        if (entries.length === 0) break
        next = iterator.nextv(LOAD_CHUNK)
        for (const [key, json] of entries) {
          const problem = this.insertRecord(key.slice(prefix.length), json)
          if (problem === undefined) continue
          const line = `record ${clip(JSON.stringify(key))} ${problem}`
          if (!options.repair) throw new BadRecord(`${line}; start with --repair to drop it`)
          options.report(`repair: table ${this.name}: dropped ${line}`)
          bad.push(key)
        }
      }
    } finally {
      // A bad record leaves a read in flight: close waits for it, and its failure is not this load's.
      next.catch(() => undefined)
      await iterator.close()
    }
    this.table.revision = found.revision
    if (bad.length > 0) await data.batch(bad.map(key => ({ type: 'del' as const, key })))
    // Generations a crash left behind (a reset whose old range was not cleared yet).
    await data.clear({ gte: `${this.storageId}/`, lt: prefix })
    await data.clear({ gte: `${this.storageId}/${found.generation}0`, lt: `${this.storageId}0` })
  }

  /**
   * The newest generation on disk: a repair's guess when the revision record
   * is lost. Generations only grow, and a reset's old one stays on disk when
   * a crash comes before it is cleared, so the newest is the current one;
   * key order is text order ("10" before "2"), so each is read. O(generations)
   * LevelDB seeks.
   */
  private async newestGeneration (): Promise<number> {
    const start = this.storageId.length + 1
    let newest = 0
    let from = `${this.storageId}/`
    for (;;) {
      const [first] = await this.storage.data.keys({ gte: from, lt: `${this.storageId}0`, limit: 1 }).all()
      if (first === undefined) return newest
      const slash = first.indexOf('/', start)
      if (slash === -1) {
        from = first + '\u0000' // not an object's key: past it
        continue
      }
      const generation = Number(first.slice(start, slash))
      if (Number.isSafeInteger(generation) && generation > newest) newest = generation
      from = first.slice(0, slash) + '0' // past every key of this generation ('0' follows '/')
    }
  }

  /** Inserts one stored key's values; what is wrong with the record, if anything. */
  private insertRecord (encodedKey: string, json: string): string | undefined {
    let key: Term
    let values: unknown
    try {
      key = decodeKey(encodedKey)
      values = JSON.parse(json)
    } catch (error) {
      return `does not decode (${message(error)})`
    }
    if (!Array.isArray(values) || values.length === 0) return 'is not a non-empty list of values'
    try {
      this.table.restore(key, values as Term[])
    } catch (error) {
      return `is refused by the table (${message(error)})`
    }
    return undefined
  }

  private prefix (generation: number): string {
    return `${this.storageId}/${generation}/`
  }
}

class BadRecord extends Error {}

/** Every key starting with `prefix`. */
function range (prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) }
}

/**
 * A key's storage form: `termKey`'s canonical encoding (a string's `s` +
 * text, or the term's JSON, with sorted member names), except for a string
 * that is not well-formed UTF-16: LevelDB stores UTF-8, which has no lone
 * surrogate, so two such keys would both come back as U+FFFD, one key. Such
 * a string is stored as its JSON, which escapes them (`"\ud800"`); no other
 * encoding starts with `"`, so distinct keys stay distinct. O(|key|).
 */
export function storageKey (key: Term): string {
  return typeof key === 'string' && !(key as unknown as WellFormed).isWellFormed() ? JSON.stringify(key) : termKey(key)
}

/** String#isWellFormed (ES2024; Node 20 has it), which the ES2022 lib does not declare. */
interface WellFormed { isWellFormed(): boolean }

/**
 * The key of an object, from its storage form (`storageKey`). A test pins
 * that every term reads back equal, lone surrogates included, so a change
 * to termKey cannot go unnoticed.
 */
export function decodeKey (encoded: string): Term {
  return encoded.startsWith('s') ? encoded.slice(1) : JSON.parse(encoded) as Term
}

function decodeMeta (stored: string): StoreMeta | undefined {
  try {
    const value = JSON.parse(stored) as Partial<StoreMeta>
    if (Number.isSafeInteger(value.revision) && value.revision! >= 0 && Number.isSafeInteger(value.generation) && value.generation! >= 0) return value as StoreMeta
  } catch {}
  return undefined
}

function message (error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause
  return String(cause?.message ?? (error as Error)?.message ?? error).split('\n')[0]
}

function clip (text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}
