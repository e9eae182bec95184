/**
 * The node: every process, the registered names, links, monitors, exit
 * signals, and the table registry (tables.ts). One Heirloom server is one
 * node. Exits are delivered synchronously, in Erlang's order: the dead
 * process's name is freed, its tables go to their heirs, its links get exit
 * signals, its monitors get DOWN, and its waiting callers are failed.
 */
import { CallError, RuntimeError } from './errors.js'
import { type Behaviour, type Envelope, From, Process } from './process.js'
import { type Heir, type TableEntry, TableRegistry } from './tables.js'
import { type Timeout, Timeouts } from './timeouts.js'
import {
  type Clock, Crash, type Destination, type ExitReason, isPid, type NodeEvent, type NodeListener, type Pid, systemClock,
} from './types.js'

export type ProcessFactory<T = unknown> = (ctx: ProcessContext<T>) => Behaviour

export interface StartOptions {
  /** Register the process under this name before `init` runs. */
  name?: string
  /** Link the new process to this one before `init` runs (start_link). */
  linkTo?: Pid
  trapExit?: boolean
}

export interface CallOptions {
  /** Milliseconds before the call fails with `timeout`; `Infinity` never. Default 5000. */
  timeout?: number
  /**
   * When the destination is a name nobody holds, wait (within the timeout)
   * for a process to register it instead of failing with `noproc`.
   */
  waitForName?: boolean
}

/** The longest delay setTimeout honours (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The pid of the node itself, as the sender of exit signals from outside. */
export const NODE_PID: Pid = '<0.0.0>'

/**
 * `T` is the type of the tables the registry holds: opaque to the runtime,
 * typed for its users (the table service keeps ETS tables in it).
 */
export class Node<T = unknown> {
  readonly tables: TableRegistry<T>
  private readonly processes = new Map<Pid, Process>()
  private readonly names = new Map<string, Pid>()
  private readonly nameWaiters = new Map<string, Set<() => void>>()
  /** The timeouts of calls: one timer per duration (timeouts.ts). */
  private readonly timeouts = new Timeouts()
  private readonly listeners = new Set<NodeListener>()
  private nextPid = 1
  private nextRef = 1

  constructor (readonly clock: Clock = systemClock) {
    this.tables = new TableRegistry<T>(this)
  }

  // ── events ───────────────────────────────────────────────────────────

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  on (listener: NodeListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * Tells every listener, in the middle of whatever happens (an exit, a
   * transfer): a listener only records, and what it throws is dropped, so
   * that no listener can break the node's bookkeeping.
   */
  emit (event: NodeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // A broken listener loses its event, never the node its state.
      }
    }
  }

  // ── processes ────────────────────────────────────────────────────────

  /**
   * Starts a process and resolves with its pid once `init` has returned
   * (proc_lib's start_link). Rejects with what `init` threw, or with
   * `already_registered`.
   */
  async start (factory: ProcessFactory<T>, options: StartOptions = {}): Promise<Pid> {
    const { name, linkTo, trapExit = false } = options
    if (name !== undefined && this.names.has(name)) {
      throw new RuntimeError('already_registered', `name ${name} is registered by ${this.names.get(name)}`)
    }
    const pid: Pid = `<0.${this.nextPid++}.0>`
    const process = new Process(pid, name, linkTo ?? NODE_PID, (p, error) => this.terminate(p, new Crash(error)))
    process.trapExit = trapExit
    this.processes.set(pid, process)
    const exited = this.whenExited(pid)
    try {
      process.behaviour = factory(new ProcessContext(this, process))
    } catch (error) {
      this.terminate(process, new Crash(error))
      throw error
    }
    if (linkTo !== undefined) this.link(pid, linkTo)
    if (name !== undefined && !process.dead) this.register(name, process)
    // A process that dies during `init` (killed, or by a linked exit) fails
    // the start at once: its starter, often a supervisor, must not wait for
    // an `init` that may never return.
    if (!process.dead) {
      const init = (async () => { await process.behaviour.init?.() })()
      const outcome = await Promise.race([
        init.then(() => undefined, (error: unknown) => ({ error })),
        exited.then(() => undefined),
      ])
      if (outcome !== undefined) {
        this.terminate(process, new Crash(outcome.error))
        throw outcome.error
      }
    }
    if (process.dead) throw new CallError('exit', true, process.exitReason)
    process.start()
    this.emit({ type: 'spawned', pid, name })
    return pid
  }

  /** The pid registered under `name`, if a living process holds it. */
  whereis (name: string): Pid | undefined {
    return this.names.get(name)
  }

  isAlive (pid: Pid): boolean {
    return this.processes.has(pid)
  }

  /** Messages waiting in the mailbox of `to` (0 for nobody). O(1). */
  queueLength (to: Destination): number {
    return this.resolve(to)?.queueLength ?? 0
  }

  /** Every living process, in pid order. */
  pids (): Pid[] {
    return [...this.processes.keys()]
  }

  /** A read-only view of a process, for `GET /v1/processes`. */
  inspect (pid: Pid): ProcessView | undefined {
    const p = this.processes.get(pid)
    if (!p) return undefined
    return {
      pid,
      name: p.name,
      status: p.status,
      links: [...p.links],
      trapExit: p.trapExit,
      queued: p.queueLength,
      tables: this.tables.ownedBy(pid),
      ...p.behaviour.describe?.(),
    }
  }

  /** Resolves with the exit reason once `pid` has exited (at once if it is dead). */
  whenExited (pid: Pid): Promise<ExitReason> {
    const p = this.processes.get(pid)
    if (!p) return Promise.resolve('noproc')
    return new Promise(resolve => p.exitWaiters.push(resolve))
  }

  // ── messages ─────────────────────────────────────────────────────────

  /** Sends an info message; a message to nobody is dropped, as in Erlang. */
  send (to: Destination, message: unknown): void {
    this.resolve(to)?.enqueue({ kind: 'info', message })
  }

  cast (to: Destination, message: unknown): void {
    this.resolve(to)?.enqueue({ kind: 'cast', message })
  }

  /**
   * Sends a request and waits for the reply. Fails with a `CallError` that
   * says whether the request was delivered: `noproc` and a timeout before
   * the request was taken from the mailbox mean it was not; the request is
   * then withdrawn, so it will never be handled.
   */
  call<Reply = unknown> (to: Destination, request: unknown, options: CallOptions = {}): Promise<Reply> {
    const { timeout = 5000, waitForName = false } = options
    const target = this.resolve(to)
    // The common case, on every write: the process is there. No wait for a name, one promise.
    if (target !== undefined && !target.dead) {
      return new Promise<Reply>((resolve, reject) => {
        let timer: Timeout | undefined
        const from = new From(
          value => { if (timer !== undefined) this.timeouts.cancel(timer); resolve(value as Reply) },
          error => { if (timer !== undefined) this.timeouts.cancel(timer); reject(error) }
        )
        const envelope: Envelope = { kind: 'call', request, from }
        // Infinity waits for ever, as Erlang's `infinity` (see below).
        if (timeout <= MAX_TIMER_MS) timer = this.timeouts.start(timeout, () => from.fail(new CallError('timeout', !target.withdraw(envelope))))
        target.enqueue(envelope)
      })
    }
    return this.callWhenRegistered<Reply>(to, request, timeout, waitForName)
  }

  /** `call` to a name nobody holds yet: waits for it (within the timeout) when asked to. */
  private async callWhenRegistered<Reply> (to: Destination, request: unknown, timeout: number, waitForName: boolean): Promise<Reply> {
    // One timer covers the whole call, the wait for the name included.
    let timedOut = false
    let expire = (): void => {}
    // Infinity waits for ever, as Erlang's `infinity`: setTimeout would fire
    // it, and any delay past its 32-bit limit, after 1 ms.
    const timer = timeout <= MAX_TIMER_MS ? setTimeout(() => { timedOut = true; expire() }, timeout) : undefined
    try {
      let target = this.resolve(to)
      if (!target && waitForName && !isPid(to)) {
        target = await new Promise<Process | undefined>(resolve => {
          const stopWaiting = this.whenRegistered(to, resolve)
          expire = () => { stopWaiting(); resolve(undefined) }
        })
      }
      // A process found by name may have died in the microtask since it registered.
      if (!target || target.dead) throw new CallError(timedOut ? 'timeout' : 'noproc', false)
      const process = target
      return await new Promise<Reply>((resolve, reject) => {
        const from = new From(resolve as (value: unknown) => void, reject)
        const envelope: Envelope = { kind: 'call', request, from }
        expire = () => from.fail(new CallError('timeout', !process.withdraw(envelope)))
        process.enqueue(envelope)
      })
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Calls `wake` with the process that next registers `name`. Returns the
   * function that stops waiting.
   */
  private whenRegistered (name: string, wake: (process: Process) => void): () => void {
    let waiters = this.nameWaiters.get(name)
    if (!waiters) this.nameWaiters.set(name, waiters = new Set())
    const own = waiters
    const stopWaiting = (): void => {
      own.delete(waiter)
      if (own.size === 0 && this.nameWaiters.get(name) === own) this.nameWaiters.delete(name)
    }
    const waiter = (): void => {
      stopWaiting()
      wake(this.resolve(name)!)
    }
    own.add(waiter)
    return stopWaiting
  }

  private resolve (to: Destination): Process | undefined {
    const pid = isPid(to) ? to : this.names.get(to)
    return pid === undefined ? undefined : this.processes.get(pid)
  }

  private register (name: string, process: Process): void {
    this.names.set(name, process.pid)
    // Tables waiting in the holding pen for this name are delivered first,
    // so that the new process owns them before its `init` runs.
    this.tables.deliverHeld(name, process.pid)
    for (const wake of this.nameWaiters.get(name) ?? []) wake()
  }

  // ── links, monitors, exits ───────────────────────────────────────────

  link (a: Pid, b: Pid): void {
    const pa = this.processes.get(a)
    const pb = this.processes.get(b)
    if (!pa) return
    if (!pb) {
      this.exitSignal(pa, 'noproc', b)
      return
    }
    pa.links.add(b)
    pb.links.add(a)
  }

  unlink (a: Pid, b: Pid): void {
    this.processes.get(a)?.links.delete(b)
    this.processes.get(b)?.links.delete(a)
  }

  /** Monitors `target` for `watcher`; a DOWN with `noproc` comes at once if it is dead. */
  monitor (watcher: Pid, target: Destination): number {
    const ref = this.nextRef++
    const p = this.resolve(target)
    if (!p) {
      this.send(watcher, { type: 'DOWN', ref, pid: target, reason: 'noproc' })
      return ref
    }
    p.monitoredBy.set(ref, watcher)
    this.processes.get(watcher)?.monitoring.set(ref, p.pid)
    return ref
  }

  demonitor (watcher: Pid, ref: number): void {
    const w = this.processes.get(watcher)
    const target = w?.monitoring.get(ref)
    if (target === undefined) return
    w!.monitoring.delete(ref)
    this.processes.get(target)?.monitoredBy.delete(ref)
  }

  /**
   * Sends an exit signal to `pid`, as `exit(Pid, Reason)`: `kill` always
   * kills; a process trapping exits gets an EXIT message; otherwise
   * `normal` is ignored and any other reason kills it.
   */
  exit (pid: Pid, reason: ExitReason, from: Pid = NODE_PID): void {
    const p = this.processes.get(pid)
    if (p) this.exitSignal(p, reason, from)
  }

  private exitSignal (target: Process, reason: ExitReason, from: Pid): void {
    if (reason === 'kill') this.terminate(target, 'killed')
    else if (target.trapExit) target.enqueue({ kind: 'info', message: { type: 'EXIT', from, reason } })
    else if (reason !== 'normal') this.terminate(target, reason)
  }

  /** The process exits with `reason`; everything that depends on it is told, in order. */
  terminate (process: Process, reason: ExitReason): void {
    if (process.status === 'dead') return
    // `kill` is untrappable only as a signal sent with `exit`; a process that
    // exits with it (exitSelf('kill')) is `killed` to its links and monitors,
    // so that it cannot take a trapping supervisor down with it.
    if (reason === 'kill') reason = 'killed'
    process.status = 'dead'
    process.exitReason = reason
    const { pid } = process
    this.processes.delete(pid)
    if (process.name !== undefined && this.names.get(process.name) === pid) {
      this.names.delete(process.name)
    }
    // Told first: what follows (tables to heirs, exit signals) is because of it.
    this.emit({ type: 'exited', pid, name: process.name, reason })
    this.tables.ownerExited(pid)
    for (const linked of process.links) {
      const other = this.processes.get(linked)
      if (!other) continue
      other.links.delete(pid)
      this.exitSignal(other, reason, pid)
    }
    for (const [ref, watcher] of process.monitoredBy) {
      this.processes.get(watcher)?.monitoring.delete(ref)
      this.send(watcher, { type: 'DOWN', ref, pid, reason })
    }
    for (const [ref, target] of process.monitoring) {
      this.processes.get(target)?.monitoredBy.delete(ref)
    }
    process.failCallers(delivered => new CallError('exit', delivered, reason))
    for (const wake of process.exitWaiters) wake(reason)
  }
}

export interface ProcessView {
  pid: Pid
  name: string | undefined
  status: string
  links: Pid[]
  trapExit: boolean
  queued: number
  tables: string[]
  [detail: string]: unknown
}

/**
 * What a behaviour may do, as its process. Every operation first checks that
 * the process is alive: code of a killed process that resumes after an
 * `await` is fenced off and cannot act on the node (a "zombie" manager must
 * not give tables away or start handlers). The node itself is not exposed.
 */
export class ProcessContext<T = unknown> {
  constructor (private readonly node: Node<T>, private readonly process: Process) {}

  get self (): Pid { return this.process.pid }
  /** The name it was registered under at start, if any. */
  get name (): string | undefined { return this.process.name }
  get alive (): boolean { return this.process.status !== 'dead' }
  /** Who started this process linked to it (its supervisor), or the node. */
  get parent (): Pid { return this.process.parent }

  get trapExit (): boolean { return this.process.trapExit }
  set trapExit (on: boolean) { this.process.trapExit = on }

  private live (): Node<T> {
    if (this.process.status === 'dead') {
      throw new RuntimeError('process_dead', `${this.process.pid} has exited`)
    }
    return this.node
  }

  call<Reply = unknown> (to: Destination, request: unknown, options?: CallOptions): Promise<Reply> {
    return this.live().call<Reply>(to, request, options)
  }

  cast (to: Destination, message: unknown): void { this.live().cast(to, message) }
  send (to: Destination, message: unknown): void { this.live().send(to, message) }
  link (pid: Pid): void { this.live().link(this.self, pid) }
  unlink (pid: Pid): void { this.live().unlink(this.self, pid) }
  monitor (target: Destination): number { return this.live().monitor(this.self, target) }
  demonitor (ref: number): void { this.live().demonitor(this.self, ref) }
  exit (pid: Pid, reason: ExitReason): void { this.live().exit(pid, reason, this.self) }
  /** Tells the node's listeners something this process did (a supervisor's restart). */
  report (event: NodeEvent): void { this.live().emit(event) }
  /** Exits this process now with `reason`, trapping or not (Erlang's `exit/1`). */
  exitSelf (reason: ExitReason): void { this.live().terminate(this.process, reason) }
  whereis (name: string): Pid | undefined { return this.node.whereis(name) }
  whenExited (pid: Pid): Promise<ExitReason> { return this.node.whenExited(pid) }
  /** The node's clock, injected: supervisors count restarts on it. */
  now (): number { return this.node.clock.now() }

  /** Starts a process linked to this one (start_link). */
  startLink (factory: ProcessFactory<T>, options: Omit<StartOptions, 'linkTo'> = {}): Promise<Pid> {
    return this.live().start(factory, { ...options, linkTo: this.self })
  }

  /** The table registry: reads as anyone, changes as this process. Made once: handlers read it on every write. */
  readonly tables: TablesAs<T> = {
    get: name => this.live().tables.get(name),
    names: () => this.live().tables.names(),
    create: (name, table, heir) => { this.live().tables.create(this.self, name, table, heir) },
    giveAway: (name, to, data) => { this.live().tables.giveAway(this.self, name, to, data) },
    setHeir: (name, heir) => { this.live().tables.setHeir(this.self, name, heir) },
    delete: name => { this.live().tables.delete(this.self, name) },
    rename: (name, newName) => { this.live().tables.rename(this.self, name, newName) },
    owns: name => this.live().tables.get(name)?.owner === this.self,
    owned: name => {
      const entry = this.live().tables.get(name)
      return entry?.owner === this.self ? entry.table : undefined
    },
  }
}

export interface TablesAs<T> {
  get(name: string): Readonly<TableEntry<T>> | undefined
  names(): string[]
  create(name: string, table: T, heir?: Heir): void
  giveAway(name: string, to: Pid, data?: unknown): void
  setHeir(name: string, heir: Heir | undefined): void
  delete(name: string): void
  rename(name: string, newName: string): void
  owns(name: string): boolean
  /** The table if this process owns it: what a handler writes to. */
  owned(name: string): T | undefined
}
