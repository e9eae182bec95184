/**
 * The table handler: one process per table, registered as
 * `table_handler:<name>`. It owns its table and applies every write to it,
 * one at a time, so writes to a table are serialised and each is atomic.
 *
 * Messages it answers:
 * - call `{ write }` → the write's result and the table's revision after it.
 *   A write that changed the table is told to `onCommit` in the same turn,
 *   so commits reach it in revision order, once each. While the handler does
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
import { type Behaviour, type CallResult, type Details, POSTPONE, refuse } from '../runtime/process.js'
import type { ChildSpec } from '../runtime/supervisor.js'
import { handlerName, MANAGER } from './names.js'
import { apply, type WriteName, type WriteRequest } from './operations.js'

export interface HandlerCall<N extends WriteName = WriteName> { write: WriteRequest<N> }
/** A write's answer: its result, and the table's revision once it is applied. */
export interface Written<R> { result: R; revision: number }
export type OnCommit = (table: string, commit: Commit) => void
export interface HandlerCast { poison: true }
export interface ClaimMessage { claim: string }

class TableHandler implements Behaviour<HandlerCall, HandlerCast, never, unknown> {
  private poisoned = false

  constructor (
    private readonly ctx: ProcessContext<Table>,
    private readonly table: string,
    private readonly onCommit: OnCommit
  ) {}

  init (): void {
    const claim: ClaimMessage = { claim: this.table }
    this.ctx.cast(MANAGER, claim)
  }

  handleCall ({ write }: HandlerCall): CallResult<unknown> {
    const table = this.ctx.tables.owned(this.table)
    if (table === undefined) return POSTPONE
    if (this.poisoned) throw new Error('poisoned write (fault injection)')
    try {
      const { result, commit } = table.transact(() => apply(table, write.op, write.args))
      if (commit !== undefined) this.onCommit(this.table, commit)
      return { result, revision: table.revision }
    } catch (error) {
      // The engine refuses bad arguments before changing anything (and
      // transact undid a batch's earlier operations): the caller's error,
      // not a reason to crash and restart.
      if (error instanceof EtsError) return refuse(error)
      throw error
    }
  }

  handleCast (message: HandlerCast): void {
    if (message?.poison === true) this.poisoned = true
  }

  handleInfo (): void {
    // ETS-TRANSFER (or anything else): handling it is what retries the postponed writes.
  }

  describe (): Details {
    return { behaviour: 'table_handler', table: this.table, ownsTable: this.ctx.tables.owns(this.table) }
  }
}

/** The child spec of a table's handler under `table_sup`. */
export function handlerSpec (table: string, onCommit: OnCommit): ChildSpec<Table> {
  return { id: table, name: handlerName(table), start: ctx => new TableHandler(ctx, table, onCommit), restart: 'permanent' }
}
