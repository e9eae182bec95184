/**
 * The table service: the node, its supervision tree and the catalog, and
 * the operations of the registry (operations.ts) that the HTTP routes
 * translate to. Nothing here knows HTTP; failures are `HeirloomError`s from
 * the one catalogue (src/errors.ts).
 *
 * Reads go straight to the table (protected tables: anyone reads), so they
 * never queue behind writes. Writes are calls to the table's handler; a
 * write the handler never received (it died with the write still in its
 * mailbox, or was not yet registered again) is sent again to its successor
 * until the write deadline, so a handler restart neither loses nor doubles
 * a write.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Config } from '../config.js'
import type { EtsObject, Table, TableType } from '../ets/table.js'
import { termBytesOver, type Term } from '../ets/term.js'
import { HeirloomError } from '../errors.js'
import { CallError } from '../runtime/errors.js'
import { Node, type ProcessView } from '../runtime/node.js'
import { type ChildInfo, supervisor, type SupervisorFlags, validFlags } from '../runtime/supervisor.js'
import { type Clock, Crash, type Pid, systemClock } from '../runtime/types.js'
import { Catalog, type TableRecord } from './catalog.js'
import { manager, type ManagerRequest, type Step, type TableEvents } from './manager.js'
import { handlerName, MANAGER, ROOT, TABLE_SUP } from './names.js'
import { apply, type Args, type Limits, type ReadName, registry, type Result, type WriteName } from './operations.js'
import { ChangeHub, type HistoryLimits, type Reader } from './changes.js'
import { LifecycleLog } from './lifecycle.js'
import type { CrashTarget, TableInfo } from './schemas.js'
import type { HandlerCall, Written } from './handler.js'
import { DURABILITIES, type Durability, Storage, type StorageOptions } from './storage.js'

/** The settings the service takes, whole (defaults are resolved in config.ts). */
export type ServiceSettings = Pick<Config, 'dataDir' | 'repair' | 'maxTables' | 'writeTimeout' | 'maxQueue' | 'maxMemory' | 'maxKeyBytes' | 'durability' | 'maxValueBytes' | 'maxResponseBytes' | 'maxSpecTerms'> & HistoryLimits

export interface ServiceOptions extends ServiceSettings {
  /** The catalog to use instead of opening one in `dataDir` (tests give one that fails). */
  catalog?: Catalog
  clock?: Clock
  /**
   * Restart intensity of the root (the manager and table_sup restarts) and
   * of table_sup (every handler restart). Defaults: RESTART_INTENSITY.
   */
  restartIntensity?: { root?: SupervisorFlags; tableSup?: SupervisorFlags }
  afterStep?: (step: Step, table: string) => void
  /** Durable tables' test hooks and reporting (storage.ts); reports go to stderr by default. */
  storage?: Partial<Pick<StorageOptions, 'beforeBatch' | 'syncInterval' | 'report'>>
}

/**
 * At most `intensity` restarts in `period` seconds. table_sup allows many:
 * each handler restart counts, and one bad table must not take the others down.
 */
export const RESTART_INTENSITY = {
  root: { intensity: 50, period: 10 },
  tableSup: { intensity: 1000, period: 10 },
} as const

export interface ProcessTree extends ProcessView { children?: ProcessTree[] }

/** Who owns a table and who inherits it (the heir's pid, resolved from its name). */
export interface HeirView { table: string; owner: Pid | null; heir: Pid | null; heirName: string | null }

/** How long a computed memory total is reused, ms. */
const MEMORY_TOTAL_TTL = 100

/**
 * Tables a turn of the event loop that the views of every table (the
 * list, the process tree, the metrics) describe: at 10,000 tables each
 * held the loop 25 to 80 ms when made in one turn.
 */
export const TABLES_PER_TURN = 1000

/** Processes a turn that the process tree describes: each view of a handler is 10 to 15 µs. */
const PROCESSES_PER_TURN = 200

/**
 * Runs `work` to its end, a turn of the event loop at each of its yields;
 * all at once (its result made at the call) when it yields nothing.
 */
async function byTurns<R> (work: Generator<void, R>): Promise<R> {
  for (;;) {
    const step = work.next()
    if (step.done === true) return step.value
    await nextTurn()
  }
}

/** How long a readiness probe waits for the manager's answer, ms. */
const READY_TIMEOUT = 1000

export class TableService {
  private root: Pid | undefined
  private stopping = false
  /** Every table's bytes when last summed, plus what committed writes added since (see memoryUsed). */
  private memoryTotal = { bytes: 0, at: -Infinity, since: 0 }
  private requestLimits: Limits | undefined
  /** Every table's recent commits, for change streams. */
  readonly changes: ChangeHub
  /** Durable tables' objects on disk, and their queues of writes on the way there. */
  readonly storage: Storage
  /** The node's recent lifecycle events, for the lifecycle stream. */
  readonly lifecycle = new LifecycleLog()
  /** Names a drop or rename is taking away, until the end is told (ManagerOptions.leaving). */
  private readonly leaving = new Set<string>()

  private constructor (
    readonly node: Node<Table>,
    readonly catalog: Catalog,
    private readonly options: ServiceOptions
  ) {
    this.changes = new ChangeHub(options, table => this.acknowledged(table))
    this.storage = new Storage(catalog, {
      repair: options.repair,
      report: reportOnStderr,
      ...options.storage,
      onCommit: (table, commit) => { this.changes.publish(table, commit) },
    })
    node.on(event => this.lifecycle.node(event))
  }

  /**
   * Opens the catalog and starts the supervision tree of DESIGN §2. The root
   * is one_for_one, so a manager crash never restarts table_sup (whose
   * restart would kill every handler). table_sup starts first: the manager's
   * reconcile starts a handler for every catalogued table under it.
   */
  static async start (options: ServiceOptions): Promise<TableService> {
    const catalog = options.catalog ?? await Catalog.open(options.dataDir, { repair: options.repair, report: options.storage?.report ?? reportOnStderr })
    const service = new TableService(new Node<Table>(options.clock ?? systemClock), catalog, options)
    const { maxTables, afterStep } = options
    const root = supervisor<Table>(service.supervisors[ROOT], [
      { id: TABLE_SUP, name: TABLE_SUP, start: supervisor(service.supervisors[TABLE_SUP]), trapExit: true, shutdown: 30_000 },
      { id: MANAGER, name: MANAGER, start: manager({ catalog, maxTables, afterStep, storage: service.storage, events: service.tableEvents(), leaving: service.leaving }) },
    ])
    try {
      service.root = await service.node.start(root, { name: ROOT, trapExit: true })
      // Serve only once every catalogued table is back.
      await service.callManager({ sync: true })
    } catch (error) {
      await service.stop()
      throw error
    }
    return service
  }

  /** The restart intensity of each supervisor, by its registered name. */
  get supervisors (): Record<typeof ROOT | typeof TABLE_SUP, Required<SupervisorFlags>> {
    const { restartIntensity } = this.options
    return { [ROOT]: validFlags(restartIntensity?.root ?? RESTART_INTENSITY.root), [TABLE_SUP]: validFlags(restartIntensity?.tableSup ?? RESTART_INTENSITY.tableSup) }
  }

  /** Whether the tree is up: the root is alive and the manager answers that the node matches the catalog. */
  async ready (): Promise<boolean> {
    if (this.stopping || this.root === undefined || !this.node.isAlive(this.root)) return false
    try {
      // Durable tables loaded, and no disk fault outstanding.
      if (!this.storage.healthy()) return false
      return await this.node.call<boolean>(MANAGER, { ready: true } satisfies ManagerRequest, { timeout: READY_TIMEOUT })
    } catch (error) {
      if (error instanceof CallError) return false
      throw error
    }
  }

  /** Resolves when the root supervisor has exited (it gave up, or `stop` was called). */
  whenRootExited (): Promise<unknown> {
    return this.root === undefined ? Promise.resolve('noproc') : this.node.whenExited(this.root)
  }

  /** Shuts the tree down (children in reverse start order), then closes the catalog. */
  async stop (): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.root !== undefined && this.node.isAlive(this.root)) {
      const exited = this.node.whenExited(this.root)
      this.node.exit(this.root, 'shutdown')
      await exited
    }
    await this.storage.close()
    await this.catalog.close()
  }

  // ── tables ───────────────────────────────────────────────────────────

  /** Creates a table; `durability` defaults to the server's (`--durability`). */
  async create (name: string, type: TableType, durability: string = this.options.durability): Promise<TableInfo> {
    if (!(DURABILITIES as readonly string[]).includes(durability)) throw new HeirloomError('bad_request', `durability must be one of ${DURABILITIES.join(', ')}`)
    const record = await this.callManager<TableRecord>({ create: { name, type, durability: durability as Durability } })
    return await this.info(record.name)
  }

  async drop (name: string): Promise<void> {
    await this.callManager({ drop: name })
  }

  async rename (name: string, newName: string): Promise<TableInfo> {
    const record = await this.callManager<TableRecord>({ rename: { from: name, to: newName } })
    return await this.info(record.name)
  }

  /**
   * Tables created, dropped and renamed, as the manager tells them (also
   * when its reconcile finishes a drop or rename that a crash cut short):
   * the streams end or move, and the lifecycle log says so.
   */
  private tableEvents (): TableEvents {
    return {
      created: record => {
        this.changes.created(record.name)
        this.lifecycle.table({ type: 'table_created', table: record.name, tableType: record.type })
      },
      dropped: name => {
        this.changes.dropped(name)
        this.lifecycle.table({ type: 'table_dropped', table: name })
      },
      renamed: (from, to) => {
        this.changes.renamed(from, to)
        this.lifecycle.table({ type: 'table_renamed', table: from, name: to })
      },
    }
  }

  /**
   * A reader of the table's changes after revision `since` (default: from
   * now on); `history_compacted` when the history no longer reaches back.
   * A reader that resumes on the name of a table renamed or dropped since
   * it left is given what it missed, then the end (ChangeHub.readGone); one
   * that does not resume is told in the 404 where the table went; one that
   * comes while the drop or rename is under way waits for its end.
   */
  watch (name: string, since: number | undefined): Reader {
    if (!this.catalog.has(name)) {
      // A drop or rename under way: its catalog record went first, and the end comes when it is told.
      if (this.leaving.has(name) && this.node.tables.get(name) !== undefined) return this.changes.read(name, since)
      const reader = since === undefined ? undefined : this.changes.readGone(name, since)
      if (reader !== undefined) return reader
      const end = this.changes.endOf(name)
      if (end !== undefined) {
        throw new HeirloomError('table_not_found', `no table ${name}: it was ${end.type === 'renamed' ? `renamed to ${end.name}` : 'dropped'} at revision ${end.rev}`)
      }
    }
    this.table(name)
    return this.changes.read(name, since)
  }

  /** The table's revision now (what a dump starts from). */
  revision (name: string): number {
    this.table(name)
    return this.acknowledged(name)
  }

  /**
   * The revision of the last acknowledged write: a durable table's memory
   * may be ahead of it by writes still on their way to disk, which are not
   * in its history yet (and may yet be undone).
   */
  private acknowledged (name: string): number {
    // A table whose record is gone (a drop or rename under way) still has its store, under the name.
    const store = this.catalog.has(name) ? this.storage.of(name) : this.storage.named(name)
    return store?.revision ?? this.node.tables.get(name)?.table.revision ?? 0
  }

  /** Every table's info, TABLES_PER_TURN tables a turn of the event loop; each table as it is when its turn comes. */
  async list (): Promise<TableInfo[]> {
    const restarts = new Map((await this.handlers()).map(child => [child.id, child.restarts]))
    return await byTurns(this.described(restarts))
  }

  private * described (restarts: ReadonlyMap<string, number>): Generator<void, TableInfo[]> {
    const infos: TableInfo[] = []
    for (const record of this.catalog.all()) {
      if (infos.length > 0 && infos.length % TABLES_PER_TURN === 0) yield
      infos.push(this.describe(record, restarts.get(record.name) ?? 0))
    }
    return infos
  }

  async info (name: string): Promise<TableInfo> {
    const record = this.record(name)
    const child = await this.callTableSup<ChildInfo | undefined>({ whichChild: name })
    return this.describe(record, child?.restarts ?? 0)
  }

  // ── objects ──────────────────────────────────────────────────────────

  /**
   * A read operation of the registry, straight from the table: protected
   * tables are read by anyone, never queued behind writes.
   */
  async read<N extends ReadName> (name: string, op: N, args: Args<N>): Promise<Result<N>> {
    const operation = registry[op]
    const prepared = operation.prepare(args, this.limits())
    const table = this.table(name)
    if (operation.scan === undefined) return apply(table, op, prepared)
    // A scan runs in slices and lets other requests run between them, so
    // no read holds the event loop for long (changes made meanwhile may or
    // may not be seen, as with ets:select/3's continuations).
    const slices = operation.scan(table, prepared)
    for (let step = slices.next(); ; step = slices.next()) {
      if (step.done === true) return step.value
      await new Promise(resolve => setImmediate(resolve))
    }
  }

  /** Every object in table order, for a streamed dump. Changes made meanwhile may or may not be seen. */
  objects (name: string): IterableIterator<EtsObject> {
    return this.table(name).objects()
  }

  /**
   * A write operation of the registry, applied by the table's handler:
   * serialised, atomic, and sent again if the handler never got it. Refused
   * before it is queued when a key is too large, the table's queue is full
   * or the memory quota is spent (except for writes that only delete).
   */
  async write<N extends WriteName> (name: string, op: N, args: Args<N>): Promise<Written<Result<N>>> {
    const operation = registry[op]
    const prepared = operation.prepare(args, this.limits())
    this.admit(name, operation.storedKeys?.(prepared) ?? [], operation.shrinks?.(prepared) === true)
    const request: HandlerCall<N> = { write: { op, args: prepared } }
    const handler = handlerName(name)
    const timeout = this.options.writeTimeout
    // Real time, as the call timers are: the node's clock may be a test's.
    const deadline = performance.now() + timeout
    let remaining = timeout
    for (;;) {
      if (this.stopping) throw unavailable('the server is shutting down')
      if (remaining <= 0) throw unavailable(`the handler of ${name} did not come back within ${timeout} ms`)
      try {
        return await this.node.call<Written<Result<N>>>(handler, request, { timeout: remaining, waitForName: true })
      } catch (error) {
        if (!(error instanceof CallError)) throw error
        if (error.reason === 'timeout') throw unavailable(`the handler of ${name} did not answer within ${timeout} ms`)
        // A durable table's write may still reach the disk (handler.ts): not applied, or applied but never acknowledged.
        // So may one whose table was renamed meanwhile (the rename stops the handler): it lives on under the new name.
        const renamed = error.delivered ? this.renamedFrom(name) : undefined
        if (renamed !== undefined) {
          throw new HeirloomError('process_crashed', `table ${name} was renamed to ${renamed.name} while this write was applied; it was not acknowledged`, { cause: error })
        }
        this.record(name)
        remaining = deadline - performance.now()
        if (!error.delivered) continue
        throw new HeirloomError('process_crashed', `the handler of ${name} crashed while applying this write; it was not acknowledged`, { cause: error })
      }
    }
  }

  /**
   * Bytes of JSON held by every table: the sum over tables (taken at most
   * every 100 ms, real time; O(tables)) plus what each committed write that
   * stored values added since, told by the write itself in the handler's
   * turn (operations.ts): so a write never sees a total that misses an
   * earlier one. Deletes are counted at the next sum (until then the total
   * is high, never low).
   */
  memoryUsed (): number {
    const now = performance.now()
    if (now - this.memoryTotal.at > MEMORY_TOTAL_TTL) {
      let bytes = 0
      for (const name of this.node.tables.names()) bytes += this.node.tables.get(name)?.table.memory ?? 0
      this.memoryTotal = { bytes, at: now, since: 0 }
    }
    return this.memoryTotal.bytes + this.memoryTotal.since
  }

  /** What bounds each request (settings), and the memory quota's account that writes draw on. */
  private limits (): Limits {
    const { maxValueBytes, maxResponseBytes, maxSpecTerms, maxMemory } = this.options
    this.requestLimits ??= {
      maxValueBytes,
      maxResponseBytes,
      maxSpecTerms,
      memory: {
        left: () => maxMemory - this.memoryUsed(),
        add: bytes => { this.memoryTotal.since += bytes },
      },
    }
    return this.requestLimits
  }

  /** Admission: refuses a write before it is queued (keys it may store, queue length, memory quota). */
  private admit (name: string, storedKeys: Iterable<Term>, shrinks: boolean): void {
    this.record(name)
    const { maxKeyBytes, maxQueue, maxMemory } = this.options
    for (const key of storedKeys) {
      if (termBytesOver(key, maxKeyBytes)) throw new HeirloomError('limit_exceeded', `a key is larger than ${maxKeyBytes} bytes`, { setting: 'maxKeyBytes' })
    }
    const queued = this.node.queueLength(handlerName(name))
    if (queued >= maxQueue) throw new HeirloomError('overloaded', `${queued} writes are queued for table ${name}`, { retryAfter: 1, setting: 'maxQueue' })
    if (!shrinks && this.memoryUsed() >= maxMemory) {
      throw new HeirloomError('memory_quota', `tables hold ${this.memoryUsed()} bytes, the quota is ${maxMemory}; deletes still work`, { setting: 'maxMemory' })
    }
  }

  /** The table, for reading: anyone reads a protected table. */
  private table (name: string): Table {
    this.record(name)
    const entry = this.node.tables.get(name)
    if (!entry) throw unavailable(`table ${name} is being rebuilt`)
    const store = this.storage.of(name)
    // Never a half-loaded table; nor one whose disk holds what it cannot read.
    if (store?.state === 'loading') throw new HeirloomError('loading', `table ${name} is being loaded from disk`, { retryAfter: 1 })
    const refusal = store?.state === 'damaged' ? store.refusal() : undefined
    if (refusal !== undefined) throw refusal
    return entry.table
  }

  private async callManager<Reply = unknown> (request: ManagerRequest): Promise<Reply> {
    try {
      return await this.node.call<Reply>(MANAGER, request, { timeout: this.options.writeTimeout, waitForName: true })
    } catch (error) {
      if (!(error instanceof CallError)) throw error
      // Delivered or not, a create or drop cut short by a manager crash is
      // either whole or undone by the next manager; a retry tells which.
      throw unavailable(`the table manager is restarting (${error.message}); retry`)
    }
  }

  private async callTableSup<Reply> (request: { whichChildren: true } | { whichChild: string }): Promise<Reply> {
    try {
      return await this.node.call<Reply>(TABLE_SUP, request, { timeout: this.options.writeTimeout, waitForName: true })
    } catch (error) {
      if (!(error instanceof CallError)) throw error
      throw unavailable(`table_sup is restarting (${error.message}); retry`)
    }
  }

  /** The handlers under table_sup, with their restart counts. */
  private handlers (): Promise<ChildInfo[]> {
    return this.callTableSup<ChildInfo[]>({ whichChildren: true })
  }

  /** The record of the table that was `name` until its last rename, if no table is `name` now. O(tables): a rare path. */
  private renamedFrom (name: string): TableRecord | undefined {
    return this.catalog.has(name) ? undefined : this.catalog.all().find(record => record.renamedFrom === name)
  }

  private record (name: string): TableRecord {
    const record = this.catalog.get(name)
    if (!record) throw new HeirloomError('table_not_found', `no table ${name}`)
    return record
  }

  private describe (record: TableRecord, restarts: number): TableInfo {
    const entry = this.node.tables.get(record.name)
    return {
      name: record.name,
      type: record.type,
      size: entry?.table.size ?? 0,
      memory: entry?.table.memory ?? 0,
      // A durable table's: the last acknowledged (on disk), not the one in memory ahead of it.
      revision: this.storage.of(record.name)?.revision ?? entry?.table.revision ?? 0,
      durability: record.durability ?? 'memory',
      owner: entry?.owner ?? null,
      ...this.node.tables.heirOf(record.name),
      protection: 'protected',
      keypos: 1,
      created: record.created,
      restarts,
    }
  }

  // ── processes and faults ─────────────────────────────────────────────

  /** The supervision tree from the root down, with the holding pen: a view for people. */
  /**
   * The supervision tree, each process as it is when its turn comes
   * (PROCESSES_PER_TURN handlers and heirs a turn); a node of fewer is
   * described as it is at the call, in one go.
   */
  async processes (): Promise<{ tree: ProcessTree | null; heirs: HeirView[]; holdingPen: Record<string, string[]> }> {
    return await byTurns(this.processTree())
  }

  private * processTree (): Generator<void, { tree: ProcessTree | null; heirs: HeirView[]; holdingPen: Record<string, string[]> }> {
    const node = this.node
    let made = 0
    /** Whether a turn ends before the next process or heir. */
    const turnEnds = (): boolean => ++made % PROCESSES_PER_TURN === 0
    function * view (pid: Pid): Generator<void, ProcessTree | null> {
      const v = node.inspect(pid)
      if (!v) return null
      const children = v.children as ChildInfo[] | undefined
      if (!children) return v
      const views: ProcessTree[] = []
      for (const c of children) {
        if (turnEnds()) yield
        const child = c.pid === undefined ? null : yield * view(c.pid)
        views.push({ ...(child ?? { status: 'restarting' }), id: c.id, restart: c.restart, restarts: c.restarts } as ProcessTree)
      }
      return { ...v, children: views }
    }
    const tree = this.root === undefined ? null : yield * view(this.root)
    const heirs: HeirView[] = []
    for (const table of node.tables.names()) {
      if (turnEnds()) yield
      heirs.push({ table, owner: node.tables.get(table)?.owner ?? null, ...node.tables.heirOf(table) })
    }
    return { tree, heirs, holdingPen: node.tables.held() }
  }

  /**
   * Arms the table's handler to crash on its next write: a poison request,
   * for the tests and the demo of what a crashing write does (500, not
   * retried, the table and its other writes unharmed).
   */
  poison (table: string): Pid {
    const pid = this.living(handlerName(table))
    this.node.cast(pid, { poison: true })
    return pid
  }

  private living (name: string): Pid {
    const pid = this.node.whereis(name)
    if (pid === undefined) throw new HeirloomError('process_not_found', `no living process ${name}`)
    return pid
  }

  /** Crashes every target in the same tick (a fault, for the crash demo and tests). */
  crash (targets: CrashTarget[]): Pid[] {
    const pids = targets.map(target => this.living(target.process === 'table_manager' ? MANAGER : handlerName(target.table)))
    for (const pid of pids) this.node.exit(pid, new Crash(new Error('fault injected')))
    return pids
  }
}

function unavailable (detail: string): HeirloomError {
  return new HeirloomError('unavailable', detail, { retryAfter: 1 })
}

/** Where the repairs and faults of the catalog and the durable tables are told, a line each, unless a test listens. */
function reportOnStderr (line: string): void {
  process.stderr.write(`heirloom: ${line}\n`)
}
