/**
 * The node's table registry: which process owns each table and who inherits
 * it. The table objects themselves are opaque here (src/ets builds them);
 * this module keeps only ownership, as ETS does in the emulator.
 *
 * Kept from ETS: a table has one owner; only the owner may give it away,
 * change its heir or delete it; when the owner exits, the heir gets the table
 * and an `ETS-TRANSFER` message with the heir data; with no heir, or a dead
 * heir pid, the table is deleted.
 *
 * Changed on purpose (DESIGN §3.4): an heir may be a registered name. If no
 * living process holds that name when the owner exits, the table waits in
 * the holding pen and is delivered, with `ETS-TRANSFER`, to the next process
 * that registers the name. The manager names itself heir of every table, so
 * a table whose owner dies while the manager is down or restarting is never
 * lost (crash windows 1 and 2 of DESIGN §3).
 */
import { RuntimeError } from './errors.js'
import type { Node } from './node.js'
import type { Pid, TransferMessage } from './types.js'

export type Heir = { pid: Pid; data?: unknown } | { name: string; data?: unknown }

export interface TableEntry<T = unknown> {
  name: string
  readonly table: T
  /** The owner; undefined while the table waits in the holding pen. */
  owner: Pid | undefined
  heir: Heir | undefined
  /** The last owner, the `from` of the next `ETS-TRANSFER`. */
  lastOwner: Pid
}

export class TableRegistry<T = unknown> {
  private readonly entries = new Map<string, TableEntry<T>>()
  private readonly byOwner = new Map<Pid, Set<string>>()
  /** Heir name → names of the tables waiting for it. */
  private readonly pen = new Map<string, Set<string>>()

  constructor (private readonly node: Node<T>) {}

  /** Creates a table owned by `owner`. O(1). */
  create (owner: Pid, name: string, table: T, heir?: Heir): TableEntry<T> {
    if (!this.node.isAlive(owner)) throw new RuntimeError('process_dead', `${owner} has exited`)
    if (this.entries.has(name)) throw new RuntimeError('table_exists', `table ${name} exists`)
    const entry: TableEntry<T> = { name, table, owner: undefined, heir, lastOwner: owner }
    this.entries.set(name, entry)
    this.setOwner(entry, owner)
    return entry
  }

  /** The table named `name`, wherever it is (owned or in the holding pen). O(1). */
  get (name: string): TableEntry<T> | undefined {
    return this.entries.get(name)
  }

  names (): string[] {
    return [...this.entries.keys()]
  }

  ownedBy (pid: Pid): string[] {
    return [...this.byOwner.get(pid) ?? []]
  }

  /**
   * Who inherits the table now: the heir's pid (a named heir resolved to
   * the process holding the name, if any) and its name. The one place that
   * resolves an heir, for table info and the process view alike. O(1).
   */
  heirOf (name: string): { heir: Pid | null; heirName: string | null } {
    const heir = this.entries.get(name)?.heir
    if (heir === undefined) return { heir: null, heirName: null }
    if ('pid' in heir) return { heir: this.node.isAlive(heir.pid) ? heir.pid : null, heirName: null }
    return { heir: this.node.whereis(heir.name) ?? null, heirName: heir.name }
  }

  /** Heir name → tables waiting in the holding pen for a process of that name. */
  held (): Record<string, string[]> {
    return Object.fromEntries([...this.pen].map(([heir, names]) => [heir, [...names]]))
  }

  /**
   * `ets:give_away/3`: refuses a caller that is not the owner, a dead target
   * and a target that already owns the table. O(1).
   */
  giveAway (caller: Pid, name: string, to: Pid, data?: unknown): void {
    const entry = this.owned(caller, name)
    if (to === caller) throw new RuntimeError('already_owner', `${to} already owns ${name}`)
    if (!this.node.isAlive(to)) throw new RuntimeError('process_dead', `${to} has exited`)
    this.transfer(entry, to, data, false)
  }

  /** `ets:setopts(T, {heir, …})`: only the owner may. O(1). */
  setHeir (caller: Pid, name: string, heir: Heir | undefined): void {
    this.owned(caller, name).heir = heir
  }

  /** `ets:delete/1`: only the owner may. O(1). */
  delete (caller: Pid, name: string): void {
    this.owned(caller, name)
    this.byOwner.get(caller)?.delete(name)
    this.entries.delete(name)
  }

  /** `ets:rename/2`: only the owner may; the new name must be free. O(1). */
  rename (caller: Pid, name: string, newName: string): void {
    const entry = this.owned(caller, name)
    if (this.entries.has(newName)) throw new RuntimeError('table_exists', `table ${newName} exists`)
    this.entries.delete(name)
    this.byOwner.get(caller)!.delete(name)
    entry.name = newName
    this.entries.set(newName, entry)
    this.byOwner.get(caller)!.add(newName)
  }

  /** Called by the node when `pid` exits: each table it owned goes to its heir. */
  ownerExited (pid: Pid): void {
    const names = this.byOwner.get(pid)
    if (!names) return
    this.byOwner.delete(pid)
    for (const name of names) {
      const entry = this.entries.get(name)!
      entry.owner = undefined
      this.inherit(entry, pid)
    }
  }

  /** Called by the node when `pid` registers `heirName`: delivers what waits for it. */
  deliverHeld (heirName: string, pid: Pid): void {
    const names = this.pen.get(heirName)
    if (!names) return
    this.pen.delete(heirName)
    for (const name of names) {
      const entry = this.entries.get(name)!
      this.transfer(entry, pid, entry.heir?.data, true)
    }
  }

  private inherit (entry: TableEntry<T>, deadOwner: Pid): void {
    const heir = entry.heir
    if (heir && 'name' in heir) {
      const holder = this.node.whereis(heir.name)
      // The dead owner's own name is already free: a holder is someone else.
      if (holder !== undefined) {
        this.transfer(entry, holder, heir.data, true)
      } else {
        let waiting = this.pen.get(heir.name)
        if (!waiting) this.pen.set(heir.name, waiting = new Set())
        waiting.add(entry.name)
        this.node.emit({ type: 'table_held', table: entry.name, heir: heir.name })
      }
    } else if (heir && heir.pid !== deadOwner && this.node.isAlive(heir.pid)) {
      this.transfer(entry, heir.pid, heir.data, true)
    } else {
      this.entries.delete(entry.name)
      this.node.emit({ type: 'table_lost', table: entry.name, owner: deadOwner })
    }
  }

  private transfer (entry: TableEntry<T>, to: Pid, data: unknown, inherited: boolean): void {
    const from = entry.owner ?? entry.lastOwner
    if (entry.owner !== undefined) this.byOwner.get(entry.owner)?.delete(entry.name)
    this.setOwner(entry, to)
    const message: TransferMessage = { type: 'ETS-TRANSFER', table: entry.name, from, data }
    this.node.send(to, message)
    this.node.emit({ type: 'table_transferred', table: entry.name, from, to, inherited })
  }

  private setOwner (entry: TableEntry<T>, owner: Pid): void {
    entry.owner = owner
    entry.lastOwner = owner
    let names = this.byOwner.get(owner)
    if (!names) this.byOwner.set(owner, names = new Set())
    names.add(entry.name)
  }

  private owned (caller: Pid, name: string): TableEntry<T> {
    const entry = this.entries.get(name)
    if (!entry) throw new RuntimeError('no_table', `no table ${name}`)
    if (entry.owner !== caller) throw new RuntimeError('not_owner', `${caller} does not own ${name}`)
    return entry
  }
}
