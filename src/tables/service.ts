/**
 * The table service: the node, its supervision tree and the catalog, and
 * the operations the HTTP routes translate to. Nothing here knows HTTP;
 * failures are `HeirloomError`s from the one catalogue (src/errors.ts).
 *
 * Reads go straight to the table (protected tables: anyone reads), so they
 * never queue behind writes. Writes are calls to the table's handler; a
 * write the handler never received (it died with the write still in its
 * mailbox, or was not yet registered again) is sent again to its successor
 * until the write deadline, so a handler restart neither loses nor doubles
 * a write.
 */
import type { EtsObject, Table, TableType } from '../ets/table.js'
import { termBytes, type Term } from '../ets/term.js'
import { HeirloomError } from '../errors.js'
import { CallError } from '../runtime/errors.js'
import { Node, type ProcessView } from '../runtime/node.js'
import { type ChildInfo, supervisor, type SupervisorFlags } from '../runtime/supervisor.js'
import { type Clock, Crash, type Pid, systemClock } from '../runtime/types.js'
import { Catalog, type TableRecord } from './catalog.js'
import { type CreateStep, manager, type ManagerRequest } from './manager.js'
import { handlerName, MANAGER, ROOT, TABLE_SUP } from './names.js'
import type { Write, WriteOp, WriteResult } from './writes.js'

export interface ServiceOptions {
  dataDir: string
  /** Default 10,000. */
  maxTables?: number
  /** Milliseconds a write or create may wait for a restarting process. Default 5,000. */
  writeTimeout?: number
  /** Writes queued for one table before new ones get 503. Default 10,000. */
  maxQueue?: number
  /** Estimated bytes of table data before growing writes get 507. Default 1 GiB. */
  maxMemory?: number
  /** Largest key a write may store, estimated bytes. Default 4096. */
  maxKeyBytes?: number
  clock?: Clock
  /**
   * Restart intensity of the root (the manager and table_sup restarts) and
   * of table_sup (every handler restart): at most `intensity` restarts in
   * `period` seconds. Defaults: root 50 in 10 s, table_sup 1000 in 10 s.
   */
  restartIntensity?: { root?: SupervisorFlags; tableSup?: SupervisorFlags }
  afterCreateStep?: (step: CreateStep, table: string) => void
}

export interface TableInfo {
  name: string
  type: TableType
  size: number
  memory: number
  owner: Pid | null
  heir: Pid | null
  heirName: string
  protection: 'protected'
  /** ETS keypos: the key is the first element of each {key, value} object. */
  keypos: 1
  created: string
  restarts: number
}

export type CrashTarget = { process: 'table_manager' } | { process: 'table_handler'; table: string }

export interface ProcessTree extends ProcessView { children?: ProcessTree[] }

/** Who owns a table and who inherits it (the heir's pid, resolved from its name). */
export interface HeirView { table: string; owner: Pid | null; heir: Pid | null; heirName: string | null }

/** Writes that can only shrink a table: allowed past the memory quota. */
const SHRINKING = new Set(['delete', 'delete_object', 'delete_all_objects', 'take', 'select_delete'])

/** How long a computed memory total is reused, ms. */
const MEMORY_TOTAL_TTL = 100

export class TableService {
  private root: Pid | undefined
  private stopping = false
  private memoryTotal = { bytes: 0, at: -Infinity }

  private constructor (
    readonly node: Node,
    readonly catalog: Catalog,
    private readonly options: ServiceOptions,
  ) {}

  /**
   * Opens the catalog and starts the supervision tree of DESIGN §2. The root
   * is one_for_one, so a manager crash never restarts table_sup (whose
   * restart would kill every handler). table_sup starts first: the manager's
   * `init` starts a handler for every catalogued table under it.
   */
  static async start (options: ServiceOptions): Promise<TableService> {
    const catalog = await Catalog.open(options.dataDir)
    const service = new TableService(new Node(options.clock ?? systemClock), catalog, options)
    const { maxTables = 10_000, afterCreateStep, restartIntensity } = options
    const root = supervisor(restartIntensity?.root ?? { intensity: 50, period: 10 }, [
      { id: TABLE_SUP, name: TABLE_SUP, start: supervisor(restartIntensity?.tableSup ?? { intensity: 1000, period: 10 }), trapExit: true, shutdown: 30_000 },
      { id: MANAGER, name: MANAGER, start: manager({ catalog, maxTables, afterCreateStep }) },
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

  /** Whether the tree is up: the root is alive and the manager has matched the node to the catalog. */
  get ready (): boolean {
    const manager = this.node.whereis(MANAGER)
    return !this.stopping && this.root !== undefined && this.node.isAlive(this.root) &&
      manager !== undefined && this.node.inspect(manager)?.reconciled === true
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
    await this.catalog.close()
  }

  // ── tables ───────────────────────────────────────────────────────────

  async create (name: string, type: TableType): Promise<TableInfo> {
    const record = await this.callManager({ create: { name, type } }) as TableRecord
    return this.info(record.name)
  }

  async drop (name: string): Promise<void> {
    await this.callManager({ drop: name })
  }

  async rename (name: string, newName: string): Promise<TableInfo> {
    const record = await this.callManager({ rename: { from: name, to: newName } }) as TableRecord
    return this.info(record.name)
  }

  list (): TableInfo[] {
    const restarts = this.handlerRestarts()
    return this.catalog.all().map(record => this.describe(record, restarts))
  }

  info (name: string): TableInfo {
    return this.describe(this.record(name), this.handlerRestarts())
  }

  // ── objects ──────────────────────────────────────────────────────────

  /** The values stored under `key`, in insertion order. O(1) for hash tables. */
  lookup (name: string, key: Term): Term[] {
    return this.readTable(name).lookup(key)
  }

  insert (name: string, objects: EtsObject[]): Promise<WriteResult> {
    return this.write(name, { op: 'insert', objects })
  }

  delete (name: string, key: Term): Promise<WriteResult> {
    return this.write(name, { op: 'delete', key })
  }

  /**
   * The table, for reading only: protected tables are read by anyone,
   * straight from memory, never queued behind writes.
   */
  readTable (name: string): Table {
    this.record(name)
    const entry = this.node.tables.get(name)
    if (!entry) throw unavailable(`table ${name} is being rebuilt`)
    return entry.table as Table
  }

  /** Estimated bytes held by every table; recomputed at most every 100 ms (real time). O(tables). */
  memoryUsed (): number {
    const now = performance.now()
    if (now - this.memoryTotal.at > MEMORY_TOTAL_TTL) {
      let bytes = 0
      for (const name of this.node.tables.names()) bytes += (this.node.tables.get(name)!.table as Table).memory
      this.memoryTotal = { bytes, at: now }
    }
    return this.memoryTotal.bytes
  }

  /**
   * Applies a write through the table's handler: serialised, atomic, and
   * sent again if the handler never got it. Refused before it is queued when
   * a key is too large (400), the table's queue is full (503) or the memory
   * quota is spent (507, except for writes that only delete).
   */
  async write (name: string, write: Write): Promise<WriteResult> {
    this.admit(name, write)
    const timeout = this.options.writeTimeout ?? 5000
    // Real time, as the call timers are: the node's clock may be a test's.
    const deadline = performance.now() + timeout
    for (;;) {
      this.record(name)
      if (this.stopping) throw unavailable('the server is shutting down')
      const remaining = deadline - performance.now()
      if (remaining <= 0) throw unavailable(`the handler of ${name} did not come back within ${timeout} ms`)
      try {
        return await this.node.call(handlerName(name), { write }, { timeout: remaining, waitForName: true }) as WriteResult
      } catch (error) {
        if (!(error instanceof CallError)) throw error
        if (error.reason === 'timeout') throw unavailable(`the handler of ${name} did not answer within ${timeout} ms`)
        if (!error.delivered) continue
        throw new HeirloomError('process_crashed', `the handler of ${name} crashed while applying this write; it was not applied`, { cause: error })
      }
    }
  }

  private admit (name: string, write: Write): void {
    this.record(name)
    const ops = write.op === 'batch' ? write.ops : [write]
    const maxKeyBytes = this.options.maxKeyBytes ?? 4096
    for (const op of ops) {
      for (const key of storedKeys(op)) {
        if (termBytes(key) > maxKeyBytes) throw new HeirloomError('limit_exceeded', `a key is larger than ${maxKeyBytes} bytes (--max-key-bytes)`)
      }
    }
    const queued = this.node.queueLength(handlerName(name))
    const maxQueue = this.options.maxQueue ?? 10_000
    if (queued >= maxQueue) throw new HeirloomError('overloaded', `${queued} writes are queued for table ${name} (--max-queue ${maxQueue})`, { retryAfter: 1 })
    const maxMemory = this.options.maxMemory ?? 1024 ** 3
    if (!ops.every(op => SHRINKING.has(op.op)) && this.memoryUsed() >= maxMemory) {
      throw new HeirloomError('memory_quota', `tables hold ${this.memoryUsed()} bytes, the quota is ${maxMemory} (--max-memory); deletes still work`)
    }
  }

  private async callManager (request: ManagerRequest): Promise<unknown> {
    try {
      return await this.node.call(MANAGER, request, { timeout: this.options.writeTimeout ?? 5000, waitForName: true })
    } catch (error) {
      if (!(error instanceof CallError)) throw error
      // Delivered or not, a create or drop cut short by a manager crash is
      // either whole or undone by the next manager; a retry tells which.
      throw unavailable(`the table manager is restarting (${error.message}); retry`)
    }
  }

  private record (name: string): TableRecord {
    const record = this.catalog.get(name)
    if (!record) throw new HeirloomError('table_not_found', `no table ${name}`)
    return record
  }

  private describe (record: TableRecord, restarts: Map<string, number>): TableInfo {
    const entry = this.node.tables.get(record.name)
    const table = entry?.table as Table | undefined
    return {
      name: record.name,
      type: record.type,
      size: table?.size ?? 0,
      memory: table?.memory ?? 0,
      owner: entry?.owner ?? null,
      heir: this.node.whereis(MANAGER) ?? null,
      heirName: MANAGER,
      protection: 'protected',
      keypos: 1,
      created: record.created,
      restarts: restarts.get(record.name) ?? 0,
    }
  }

  private handlerRestarts (): Map<string, number> {
    const sup = this.node.whereis(TABLE_SUP)
    const children = (sup && this.node.inspect(sup)?.children) as ChildInfo[] | undefined
    return new Map((children ?? []).map(c => [c.id, c.restarts]))
  }

  // ── processes and faults ─────────────────────────────────────────────

  /** The supervision tree from the root down, with the holding pen. */
  processes (): { tree: ProcessTree | null; heirs: HeirView[]; holdingPen: Record<string, string[]> } {
    const view = (pid: Pid): ProcessTree | null => {
      const v = this.node.inspect(pid)
      if (!v) return null
      const children = v.children as ChildInfo[] | undefined
      if (!children) return v
      return {
        ...v,
        children: children.map(c => {
          const child = c.pid === undefined ? null : view(c.pid)
          return { ...(child ?? { status: 'restarting' }), id: c.id, restart: c.restart, restarts: c.restarts } as ProcessTree
        }),
      }
    }
    const heirs = this.node.tables.names().map(name => {
      const entry = this.node.tables.get(name)!
      const heir = entry.heir
      const heirName = heir && 'name' in heir ? heir.name : null
      const heirPid = heir === undefined ? null : 'pid' in heir ? heir.pid : this.node.whereis(heir.name) ?? null
      return { table: name, owner: entry.owner ?? null, heir: heirPid, heirName }
    })
    return { tree: this.root ? view(this.root) : null, heirs, holdingPen: this.node.tables.held() }
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

/** Keys a write may add to a table. */
function storedKeys (op: WriteOp): Term[] {
  switch (op.op) {
    case 'insert':
    case 'insert_new': return op.objects.map(o => o.key)
    case 'update_counter': return [op.key]
    default: return []
  }
}

function unavailable (detail: string): HeirloomError {
  return new HeirloomError('unavailable', detail, { retryAfter: 1 })
}
