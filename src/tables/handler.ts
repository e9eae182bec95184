/**
 * The table handler: one process per table, registered as
 * `table_handler:<name>`. It owns its table and applies every write to it,
 * one at a time, so writes to a table are serialised and each is atomic.
 *
 * Messages it answers:
 * - call `{ write }` → the write's result and the table's revision after it.
 *   A write that changed the table is told to `onCommit` in the same turn,
 *   so commits reach it in revision order, once each. A durable table's
 *   write is applied to memory at once (later writes and readers see it:
 *   the window the README describes) and handed to the table's store
 *   (storage.ts) with its caller, answered NOREPLY: the store writes the
 *   writes of a turn as one batch and answers each, and tells `onCommit`,
 *   once its batch is on disk. The store, not this process, holds that
 *   queue, so a crash here leaves nothing half-done: the queued writes still
 *   reach the disk (their callers were answered process_crashed), and the
 *   table goes to the heir in the state the disk is about to have. While the
 *   store loads the table, writes are postponed; while it recovers from a
 *   failed disk write, they are refused (storage_unavailable). While the handler does
 *   not own its table (it has just been restarted and the table is on its
 *   way back from the manager), writes are postponed, not re-sent or
 *   dropped: they wait in order in the mailbox and run once the table has
 *   arrived (crash window 6 of DESIGN §3).
 * - info `ETS-TRANSFER`: the table has arrived; nothing to do but to let the
 *   postponed writes run.
 * - cast `{ poison: true }` (fault injection): the next write crashes the
 *   handler, as a write hitting a bug would.
 *
 * On start it asks the manager for its table (a pull, as riak_core's table
 * manager is asked): a cast, since the manager may be down; a manager that
 * starts later gives every table it holds to its living handler anyway.
 */
import { EtsError } from '../ets/errors.js'
import type { Commit, Table } from '../ets/table.js'
import type { ProcessContext } from '../runtime/node.js'
import { type Behaviour, type CallResult, type Details, type From, NOREPLY, POSTPONE, refuse } from '../runtime/process.js'
import type { ChildSpec } from '../runtime/supervisor.js'
import { handlerName, MANAGER } from './names.js'
import { apply, type WriteName, type WriteRequest } from './operations.js'
import type { Storage, TableStore } from './storage.js'

export type { OnCommit } from './storage.js'

export interface HandlerCall<N extends WriteName = WriteName> { write: WriteRequest<N> }
/** A write's answer: its result, and the table's revision once it is applied. */
export interface Written<R> { result: R; revision: number }
export interface HandlerCast { poison: true }
export interface ClaimMessage { claim: string }

/** Sent to itself once its table's store has loaded: handling it retries the postponed writes. */
const LOADED = { type: 'LOADED' } as const

class TableHandler implements Behaviour<HandlerCall, HandlerCast, typeof LOADED, unknown> {
  private poisoned = false
  private waitingForLoad = false
  /** The table's store (null: a memory table), found at the first write: a drop that forgets the name finds it `dropped`. */
  private store: TableStore | null | undefined

  constructor (
    private readonly ctx: ProcessContext<Table>,
    private readonly table: string,
    private readonly storage: Storage
  ) {}

  init (): void {
    const claim: ClaimMessage = { claim: this.table }
    this.ctx.cast(MANAGER, claim)
  }

  handleCall ({ write }: HandlerCall, from: From): CallResult<unknown> {
    const table = this.ctx.tables.owned(this.table)
    if (table === undefined) return POSTPONE
    const store = this.store ??= this.storage.of(this.table) ?? null
    if (store?.state === 'loading') return this.postponeUntilLoaded(store)
    const refusal = store?.refusal()
    if (refusal !== undefined) return refuse(refusal)
    if (this.poisoned) throw new Error('poisoned write (fault injection)')
    let written: { result: unknown; commit: Commit | undefined }
    try {
      written = table.transact(() => apply(table, write.op, write.args))
    } catch (error) {
      // The engine refuses bad arguments before changing anything (and
      // transact undid a batch's earlier operations): the caller's error,
      // not a reason to crash and restart.
      if (error instanceof EtsError) return refuse(error)
      throw error
    }
    const answer: Written<unknown> = { result: written.result, revision: table.revision }
    if (store === null) {
      if (written.commit !== undefined) this.storage.options.onCommit(this.table, written.commit)
      return answer
    }
    store.submit(this.table, written.commit, from, answer)
    return NOREPLY
  }

  private postponeUntilLoaded (store: TableStore): typeof POSTPONE {
    if (!this.waitingForLoad) {
      this.waitingForLoad = true
      void store.whenLoaded().then(() => {
        this.waitingForLoad = false
        if (this.ctx.alive) this.ctx.send(this.ctx.self, LOADED)
      })
    }
    return POSTPONE
  }

  handleCast (message: HandlerCast): void {
    if (message?.poison === true) this.poisoned = true
  }

  handleInfo (): void {
    // ETS-TRANSFER, LOADED (or anything else): handling it is what retries the postponed writes.
  }

  describe (): Details {
    const store = this.store ?? this.storage.of(this.table)
    return {
      behaviour: 'table_handler',
      table: this.table,
      ownsTable: this.ctx.tables.owns(this.table),
      ...(store === undefined ? {} : { storage: store.describe() }),
    }
  }
}

/** The child spec of a table's handler under `table_sup`. */
export function handlerSpec (table: string, storage: Storage): ChildSpec<Table> {
  return { id: table, name: handlerName(table), start: ctx => new TableHandler(ctx, table, storage), restart: 'permanent' }
}
