/**
 * The table manager, registered as `table_manager`: creates and drops
 * tables, is heir of every table, and keeps the catalog (DESIGN §3).
 *
 * Messages it answers (calls wait until the first reconcile is done):
 * - call `{ sync: true }` → true, once the node matches the catalog.
 * - call `{ ready: true }` → whether it does now (never postponed: readiness probes ask it).
 * - call `{ create: { name, type, durability } }` → the catalog record; `table_exists`.
 * - call `{ drop: name }`; `table_not_found`.
 * - call `{ rename: { from, to } }` → the new record; `table_not_found`, `table_exists`.
 * - cast `{ claim: name }` from a (re)started handler: give it its table.
 * - info `ETS-TRANSFER`: a handler died and its table came back (or a table
 *   waited in the holding pen for a new manager): give it to the table's
 *   living handler, or keep it until the restarting handler claims it.
 * - info `DOWN` of `table_sup`: the handlers' supervisor was restarted empty;
 *   start a handler for every catalogued table again.
 *
 * Every table's heir is the *name* `table_manager`, never a pid, so a table
 * whose owner dies while the manager is down waits in the holding pen for
 * the next manager (DESIGN §3.4) instead of being deleted. That also makes
 * Vinoski's "reheir" round after a manager restart unnecessary: the heir
 * already names whoever is manager now, and `GET /v1/tables/{t}` shows it.
 *
 * Its first message, sent by `init`, reconciles the node with the catalog:
 * tables the catalog does not know (a create or drop cut short by a crash)
 * are removed, an interrupted rename is finished, catalogued tables that do
 * not exist (a node restart) are recreated empty, every catalogued table
 * gets a handler, and tables it holds go to their handlers.
 *
 * Durable tables (storage.ts): a recreated table is loaded from disk by its
 * store, started here before the handler gets the table; the handler
 * postpones writes until the load is done. A table that exists (a manager
 * restart) keeps its store and is not reloaded: a manager crash changes
 * nothing on disk. The reconcile also deletes the stored objects of storage
 * ids no record names (a drop cut short: its record went first).
 */
import { createTable, type Table, type TableType } from '../ets/table.js'
import { HeirloomError } from '../errors.js'
import { CallError, RuntimeError } from '../runtime/errors.js'
import type { ProcessContext, ProcessFactory } from '../runtime/node.js'
import { type Behaviour, type CallResult, type Details, POSTPONE, refuse } from '../runtime/process.js'
import type { SystemMessage } from '../runtime/types.js'
import type { Catalog, TableRecord } from './catalog.js'
import { type ClaimMessage, handlerSpec } from './handler.js'
import { handlerName, MANAGER, TABLE_SUP } from './names.js'
import { type Durability, Storage, type TableStore } from './storage.js'

/** The steps of a create, in order; a fault can be injected after each. */
export const CREATE_STEPS = ['table_created', 'handler_started', 'given_away', 'catalogued'] as const
export type CreateStep = typeof CREATE_STEPS[number]
/** Every step a fault can be injected after: a create's, and a drop's or rename's catalog write. */
export type Step = CreateStep | 'drop_catalogued' | 'rename_catalogued'

/**
 * What the manager tells when a table joins, leaves or changes its name:
 * on the request's own path, and on a reconcile that finishes a drop or a
 * rename that a crash cut short (the request's caller was answered an error
 * by then, so only the manager can tell).
 */
export interface TableEvents {
  created (record: TableRecord): void
  dropped (name: string): void
  renamed (from: string, to: string): void
}

export interface ManagerOptions {
  catalog: Catalog
  maxTables: number
  /** Called after each step (tests crash processes here). */
  afterStep?: (step: Step, table: string) => void
  events: TableEvents
  /**
   * Names a drop or a rename is taking away, from just before its catalog
   * write until the end is told: shared by every manager (and read by the
   * service, whose readers of such a name wait for the end). A reconcile
   * tells a drop only for a name in it: a table without a record and not
   * in it is a create cut short, which nobody saw.
   */
  leaving: Set<string>
  /** Durable tables' objects; also tells every acknowledged commit to the change streams. */
  storage: Storage
}

export type ManagerRequest =
  | { sync: true }
  | { ready: true }
  | { create: { name: string; type: TableType; durability: Durability } }
  | { drop: string }
  | { rename: { from: string; to: string } }

const HEIR = { name: MANAGER }

const RECONCILE = { type: 'RECONCILE' } as const
/** Tables a reconcile makes whole between two turns of the event loop. */
const RECONCILE_STEP = 64
type Reconcile = typeof RECONCILE

class TableManager implements Behaviour<ManagerRequest, ClaimMessage, Reconcile, boolean | TableRecord | void> {
  private tableSup = 0
  /** Until the node matches the catalog, requests wait and transfers are left to the reconcile. */
  private reconciled = false

  constructor (private readonly ctx: ProcessContext<Table>, private readonly options: ManagerOptions) {}

  private get catalog (): Catalog { return this.options.catalog }

  /**
   * Short on purpose: the supervisor that started us waits for `init`, and
   * if table_sup is down only that supervisor can restart it. The
   * reconcile, which needs table_sup, is our first message instead (OTP's
   * handle_continue).
   */
  async init (): Promise<void> {
    await this.catalog.load()
    this.ctx.send(this.ctx.self, RECONCILE)
  }

  private async reconcile (): Promise<void> {
    await this.watchTableSup()
    for (const record of this.catalog.all()) await this.finishRename(record)
    const { leaving } = this.options
    for (const name of this.ctx.tables.names()) {
      if (!this.catalog.has(name)) await this.discard(name, this.options.storage.detached(name), leaving.has(name))
    }
    // A drop or rename whose catalog write did not land: the name stays.
    for (const name of leaving) if (this.catalog.has(name)) leaving.delete(name)
    await this.options.storage.sweep()
    await this.materializeAll()
    this.reconciled = true
  }

  /**
   * Every catalogued table made whole, letting I/O run every
   * RECONCILE_STEP tables: each step is messages between processes
   * (microtasks), so 10,000 tables in one go held the event loop, /healthz
   * included, for seconds.
   */
  private async materializeAll (): Promise<void> {
    let step = 0
    for (const record of this.catalog.all()) {
      await this.materialize(record)
      if (++step % RECONCILE_STEP === 0) await new Promise(resolve => setImmediate(resolve))
    }
  }

  async handleCall (request: ManagerRequest): Promise<CallResult<boolean | TableRecord | void>> {
    if ('ready' in request) return this.reconciled
    if (!this.reconciled) return POSTPONE
    try {
      if ('sync' in request) return true
      if ('create' in request) return await this.create(request.create)
      if ('drop' in request) return await this.drop(request.drop)
      if ('rename' in request) return await this.rename(request.rename.from, request.rename.to)
      throw new HeirloomError('bad_request', 'unknown manager request')
    } catch (error) {
      if (error instanceof HeirloomError && this.ctx.alive) return refuse(error)
      throw error
    }
  }

  handleCast (message: ClaimMessage): void {
    if (typeof message?.claim === 'string') this.handOver(message.claim)
  }

  async handleInfo (message: Reconcile | SystemMessage): Promise<void> {
    if (message === RECONCILE) {
      await this.reconcile()
    } else if (message?.type === 'ETS-TRANSFER') {
      if (!this.reconciled) return
      if (!this.ctx.tables.owns(message.table)) return
      if (this.catalog.has(message.table)) this.handOver(message.table)
      else this.ctx.tables.delete(message.table)
    } else if (message?.type === 'DOWN' && message.ref === this.tableSup) {
      await this.watchTableSup()
      await this.materializeAll()
    }
  }

  describe (): Details {
    return { behaviour: 'table_manager', catalogued: this.catalog.size, reconciled: this.reconciled }
  }

  /**
   * Create, in DESIGN §3.1's order: table (heir: the manager), handler, give
   * away, catalog record. A failure undoes the earlier steps; a crash leaves
   * them to the next manager's reconcile, which removes what the catalog lacks.
   */
  private async create ({ name, type, durability }: { name: string; type: TableType; durability: Durability }): Promise<TableRecord> {
    if (this.catalog.has(name) || this.ctx.tables.get(name)) {
      throw new HeirloomError('table_exists', `table ${name} exists`)
    }
    if (this.catalog.size >= this.options.maxTables) {
      throw new HeirloomError('too_many_tables', `at most ${this.options.maxTables} ${this.options.maxTables === 1 ? 'table' : 'tables'}`, { setting: 'maxTables' })
    }
    const record: TableRecord = { name, type, created: new Date().toISOString() }
    if (durability !== 'memory') Object.assign(record, { durability, storageId: Storage.newId() })
    const table = createTable(type)
    this.ctx.tables.create(name, table, HEIR)
    this.step('table_created', name)
    try {
      // A new storage id's range is empty: the load is one seek.
      await this.options.storage.open(record, table)?.whenLoaded()
      await this.startHandler(name)
      this.step('handler_started', name)
      this.handOver(name)
      this.step('given_away', name)
      await this.catalogWrite(name, () => this.catalog.put(record))
      this.options.events.created(record)
      this.step('catalogued', name)
    } catch (error) {
      if (!this.ctx.alive) throw error
      await this.discard(name, undefined, false)
      if (error instanceof HeirloomError) throw error
      if (error instanceof CallError) throw new HeirloomError('unavailable', `table ${name} was not created: table_sup is restarting (${error.message})`, { cause: error, retryAfter: 1 })
      throw new HeirloomError('internal', `table ${name} was not created: ${(error as Error).message}`, { cause: error })
    }
    return record
  }

  /**
   * Drop: the catalog record (with a durable table's revision, in the same
   * batch) first, so that a crash at any later point cannot bring the table
   * back; then the handler and table; then the stored objects, which the
   * next reconcile deletes if a crash comes first.
   */
  private async drop (name: string): Promise<void> {
    const record = this.catalog.get(name)
    if (!record) throw new HeirloomError('table_not_found', `no table ${name}`)
    const { storageId } = record
    const { storage } = this.options
    const store = storage.of(name)
    await this.leave(name, () => this.catalog.del(name, storageId === undefined ? [] : storage.dropOps(storageId)))
    this.step('drop_catalogued', name)
    await this.discard(name, store, true)
    if (storageId !== undefined) await storage.destroy(storageId)
  }

  /**
   * The catalog write of a drop or rename of `name`, with the name marked
   * leaving first: should this manager die before the end is told, the
   * next one's reconcile knows to tell it. A write that fails unmarks it.
   */
  private async leave (name: string, write: () => Promise<void>): Promise<void> {
    // A manager already dead writes nothing (catalogWrite) and marks nothing.
    if (this.ctx.alive) this.options.leaving.add(name)
    try {
      await this.catalogWrite(name, write)
    } catch (error) {
      if (this.ctx.alive) this.options.leaving.delete(name)
      throw error
    }
  }

  /** A catalog write, refused for a manager that has already exited (a zombie must not write). */
  private async catalogWrite (name: string, write: () => Promise<void>): Promise<void> {
    if (!this.ctx.alive) throw new RuntimeError('process_dead', `${MANAGER} has exited`)
    try {
      await write()
    } catch (error) {
      throw new HeirloomError('catalog_unavailable', `the catalog record of ${name} could not be written: ${(error as Error).message}`, { cause: error, retryAfter: 1 })
    }
  }

  /**
   * Rename: the catalog first (one atomic batch, remembering the old name),
   * then the handler of the old name is stopped, which gives the table back
   * to us, and the table is renamed and handed to a handler of the new name.
   * Writes still queued for the old handler are answered table_not_found.
   */
  private async rename (from: string, to: string): Promise<TableRecord> {
    const record = this.catalog.get(from)
    if (!record) throw new HeirloomError('table_not_found', `no table ${from}`)
    if (this.catalog.has(to) || this.ctx.tables.get(to)) throw new HeirloomError('table_exists', `table ${to} exists`)
    const renamed: TableRecord = { ...record, name: to, renamedFrom: from }
    await this.leave(from, () => this.catalog.rename(from, renamed))
    this.step('rename_catalogued', from)
    await this.finishRename(renamed)
    return renamed
  }

  /** Completes a rename the catalog holds but the node does not show yet (also after a crash). */
  private async finishRename (record: TableRecord): Promise<void> {
    const from = record.renamedFrom
    if (from === undefined || this.ctx.tables.get(record.name) || this.catalog.has(from)) return
    if (!this.ctx.tables.get(from)) return
    // A durable table's writes that the old handler applied reach the disk, and their change
    // events the old name's stream, before the streams move to the new name (after this call):
    // first those being written (their callers are answered), then any the handler applied
    // before it stopped (they are kept; their callers were told process_crashed).
    const store = this.options.storage.of(record.name)
    await store?.idle()
    await this.stopHandler(from)
    await store?.idle()
    if (this.ctx.tables.owns(from)) {
      this.ctx.tables.rename(from, record.name)
      store?.renamed(record.name)
      // In the same turn: a crash before it leaves the table under its old name, for the next reconcile.
      this.options.events.renamed(from, record.name)
      this.options.leaving.delete(from)
    }
    await this.materialize(record)
  }

  /** Makes a catalogued table whole: it exists, it has a handler, and the handler owns it. */
  private async materialize (record: TableRecord): Promise<void> {
    if (!this.ctx.tables.get(record.name)) {
      this.ctx.tables.create(record.name, createTable(record.type), HEIR)
    }
    this.options.storage.open(record, this.ctx.tables.get(record.name)!.table)
    await this.startHandler(record.name)
    this.handOver(record.name)
  }

  /**
   * Removes a table the catalog does not hold: its handler first, then the
   * writes it sent to disk (their commits reach the streams before the
   * drop does), then the table, told as dropped in the same turn (a crash
   * before that leaves the table to the next reconcile). A create undone
   * is not told: nobody saw the table.
   */
  private async discard (name: string, store: TableStore | undefined, dropped: boolean): Promise<void> {
    await this.stopHandler(name)
    await store?.idle()
    if (this.ctx.tables.owns(name)) {
      // Before the delete, in the same turn: the table is still there to tell its revision.
      if (dropped) this.options.events.dropped(name)
      this.options.leaving.delete(name)
      this.ctx.tables.delete(name)
    }
  }

  /** Stops and forgets a table's handler; its exit gives the table back to us, its heir. */
  private async stopHandler (name: string): Promise<void> {
    try {
      await this.ctx.call(TABLE_SUP, { terminateChild: name }, { waitForName: true })
      await this.ctx.call(TABLE_SUP, { deleteChild: name }, { waitForName: true })
    } catch (error) {
      if (!(error instanceof RuntimeError) || error.code !== 'not_found') throw error
    }
  }

  private async startHandler (name: string): Promise<void> {
    try {
      await this.ctx.call(TABLE_SUP, { startChild: handlerSpec(name, this.options.storage) }, { waitForName: true })
    } catch (error) {
      if (!(error instanceof RuntimeError) || error.code !== 'already_started') throw error
    }
  }

  /** Gives a table we hold to its living handler; without one, keeps it for the handler's claim. */
  private handOver (name: string): void {
    if (!this.ctx.tables.owns(name)) return
    const handler = this.ctx.whereis(handlerName(name))
    if (handler !== undefined) this.ctx.tables.giveAway(name, handler)
  }

  private async watchTableSup (): Promise<void> {
    // Waits (bounded) for a restarting table_sup to register again.
    await this.ctx.call(TABLE_SUP, { whichChildren: true }, { waitForName: true })
    this.tableSup = this.ctx.monitor(TABLE_SUP)
  }

  private step (step: Step, name: string): void {
    this.options.afterStep?.(step, name)
    if (!this.ctx.alive) throw new RuntimeError('process_dead', `${MANAGER} exited after ${step}`)
  }
}

export function manager (options: ManagerOptions): ProcessFactory<Table> {
  return ctx => new TableManager(ctx, options)
}
