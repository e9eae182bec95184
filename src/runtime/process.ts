/**
 * A process: a behaviour, a mailbox handled one message at a time, links and
 * monitors. The node (node.ts) creates processes and delivers their exits.
 *
 * The behaviour contract, as gen_server's:
 * - `init()` runs before any message is handled; messages sent meanwhile wait.
 *   Throwing (or rejecting) fails the start and the process exits.
 * - `handleCall(request, from)` returns the reply; or `refuse(error)`, which
 *   fails the caller with `error` and keeps the process running; or
 *   `POSTPONE`, and the request waits in
 *   the mailbox until the next message that is not postponed has been
 *   handled (gen_statem's postpone: a handler waiting for its table postpones
 *   writes, and they are retried once the table arrives); or `NOREPLY`
 *   (gen_server's `{noreply, State}`): the process goes on with its mailbox
 *   and answers later through `from.reply(value)` or `from.fail(error)` (a
 *   durable table's handler answers once the write's batch is on disk). A
 *   caller left unanswered when the process exits is failed as the request
 *   being handled is: delivered, so never sent again.
 * - `handleCast(message)` and `handleInfo(message)` return nothing.
 * - Anything a callback throws crashes the process: it exits with a `Crash`.
 *   A call the behaviour has no `handleCall` for crashes it too; a cast or
 *   info message it has no handler for is dropped.
 * - `describe()`, if present, is read synchronously by `GET /v1/processes`:
 *   a view for people, never a control channel.
 *
 * The type parameters say which messages a behaviour answers; messages the
 * node itself sends (EXIT, DOWN, ETS-TRANSFER) arrive as info too.
 *
 * The process catches nothing else: the node turns a crash into an exit
 * signal for its links and a DOWN message for its monitors.
 */
import { CallError } from './errors.js'
import { Queue } from './queue.js'
import type { ExitReason, Pid, SystemMessage } from './types.js'

export const POSTPONE = Symbol('postpone')
export const NOREPLY = Symbol('noreply')

/**
 * Returned by `handleCall` to answer the caller with an error and go on
 * running (gen_server's `{reply, {error, Reason}, State}`); throwing would
 * crash the process.
 */
export class Refusal {
  // eslint-disable-next-line n/handle-callback-err -- a parameter property, not a callback's error argument
  constructor (readonly error: Error) {}
}

export function refuse (error: Error): Refusal {
  return new Refusal(error)
}

/** What `handleCall` may return: the reply, a refusal, POSTPONE or NOREPLY; or a promise of one. */
export type CallResult<Reply> = Reply | Refusal | typeof POSTPONE | typeof NOREPLY
export type Details = Readonly<Record<string, unknown>>

/**
 * A process's callbacks. Methods (not function properties) on purpose: a
 * `Behaviour<HandlerCall>` is then usable where the node keeps any
 * `Behaviour`, as gen_server modules are all one type to the emulator.
 */
export interface Behaviour<Call = unknown, Cast = unknown, Info = unknown, Reply = unknown> {
  init?(): void | Promise<void>
  handleCall?(request: Call, from: From): CallResult<Reply> | Promise<CallResult<Reply>>
  handleCast?(message: Cast): void | Promise<void>
  handleInfo?(message: Info | SystemMessage): void | Promise<void>
  describe?(): Details
}

/** The caller of a `call`: answer it once, with a value or an error. */
export class From {
  settled = false
  /**
   * The deferred callers of the process that put this one off: it leaves
   * them when answered. A set, not a closure per deferred call: a durable
   * table defers every write.
   */
  deferredIn: Set<From> | undefined
  constructor (
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: Error) => void
  ) {}

  reply (value: unknown): void {
    if (this.settle()) this.resolve(value)
  }

  fail (error: Error): void {
    if (this.settle()) this.reject(error)
  }

  /** Whether this is the answer (the first): then it is settled. */
  private settle (): boolean {
    if (this.settled) return false
    this.settled = true
    this.deferredIn?.delete(this)
    return true
  }
}

export type Envelope =
  | { kind: 'call'; request: unknown; from: From }
  | { kind: 'cast'; message: unknown }
  | { kind: 'info'; message: unknown }

export type Status = 'init' | 'running' | 'dead'

/** How many messages a process handles before it lets I/O run. */
const BATCH = 256

export class Process {
  status: Status = 'init'
  /** Why it exited, once dead. */
  exitReason: ExitReason | undefined
  trapExit = false
  readonly links = new Set<Pid>()
  /** Monitors on this process: ref → watcher. */
  readonly monitoredBy = new Map<number, Pid>()
  /** Monitors this process holds: ref → target. */
  readonly monitoring = new Map<number, Pid>()
  readonly exitWaiters: Array<(reason: ExitReason) => void> = []
  readonly queue = new Queue<Envelope>()
  postponed: Envelope[] = []
  inFlight: Envelope | undefined
  /** Callers handled with NOREPLY and not answered yet. */
  readonly deferred = new Set<From>()
  behaviour!: Behaviour
  private pumping = false

  constructor (
    readonly pid: Pid,
    readonly name: string | undefined,
    /** Who started it linked (start_link), or the node: a supervisor's parent. */
    readonly parent: Pid,
    private readonly onCrash: (process: Process, error: unknown) => void
  ) {}

  enqueue (envelope: Envelope): void {
    this.queue.push(envelope)
    this.schedule()
  }

  /** Withdraws a call not yet handled; says whether it was still waiting. */
  withdraw (envelope: Envelope): boolean {
    if (this.queue.remove(envelope)) return true
    const at = this.postponed.indexOf(envelope)
    if (at < 0) return false
    this.postponed.splice(at, 1)
    return true
  }

  /** Read through a getter: the status changes across the pump's awaits. */
  get dead (): boolean { return this.status === 'dead' }

  get queueLength (): number { return this.queue.length + this.postponed.length }

  start (): void {
    this.status = 'running'
    this.schedule()
  }

  private schedule (): void {
    if (this.pumping || this.status !== 'running' || this.queue.length === 0) return
    this.pumping = true
    queueMicrotask(this.resume)
  }

  /** Starts the pump on a batch: from `schedule` (a microtask), or once I/O has had its turn. */
  private readonly resume = (): void => { this.pump(0) }

  /**
   * Handles the queued messages in order, one at a time: synchronously while
   * handlers answer synchronously (no promise per message). A handler's
   * promise is awaited before the next message, and after BATCH messages
   * I/O gets a turn; the pump goes on from there. `pumping` stays true
   * until the queue is empty (or the process died).
   */
  private pump (handled: number): void {
    while (this.status === 'running') {
      const envelope = this.queue.shift()
      if (envelope === undefined) break
      this.inFlight = envelope
      let result: unknown
      try {
        result = this.dispatch(envelope)
      } catch (error) {
        this.crashed(error)
        return
      }
      if (result instanceof Promise) {
        result.then(value => { this.afterAsync(envelope, value, handled) }, error => { this.crashed(error) })
        return
      }
      const outcome = this.settle(envelope, result)
      if (outcome === 'dead') return
      if (outcome === 'handled' && ++handled % BATCH === 0) {
        setImmediate(this.resume)
        return
      }
    }
    this.pumping = false
  }

  private afterAsync (envelope: Envelope, result: unknown, handled: number): void {
    const outcome = this.settle(envelope, result)
    if (outcome === 'dead') return
    if (outcome === 'handled' && ++handled % BATCH === 0) setImmediate(this.resume)
    else this.pump(handled)
  }

  private crashed (error: unknown): void {
    if (!this.dead) this.onCrash(this, error)
  }

  /** Answers a handled message's caller (or keeps the message for later): what became of it. */
  private settle (envelope: Envelope, result: unknown): 'dead' | 'postponed' | 'handled' {
    this.inFlight = undefined
    if (this.dead) return 'dead'
    if (result === POSTPONE) {
      this.postponed.push(envelope)
      return 'postponed'
    }
    if (envelope.kind === 'call') {
      if (result === NOREPLY) this.defer(envelope.from)
      else if (result instanceof Refusal) envelope.from.fail(result.error)
      else envelope.from.reply(result)
    }
    if (this.postponed.length > 0) {
      this.queue.unshiftAll(this.postponed)
      this.postponed = []
    }
    return 'handled'
  }

  private defer (from: From): void {
    if (from.settled) return // answered already, inside handleCall
    this.deferred.add(from)
    from.deferredIn = this.deferred
  }

  private dispatch (envelope: Envelope): unknown {
    const b = this.behaviour
    switch (envelope.kind) {
      case 'call':
        if (!b.handleCall) throw new Error(`unexpected call to ${this.name ?? this.pid}`)
        return b.handleCall(envelope.request, envelope.from)
      case 'cast':
        return b.handleCast?.(envelope.message)
      case 'info':
        return b.handleInfo?.(envelope.message)
    }
  }

  /** Fails every caller still waiting on this process, saying whether each was delivered. */
  failCallers (error: (delivered: boolean) => CallError): void {
    const pending = [...this.queue.drain(), ...this.postponed]
    this.postponed = []
    for (const envelope of pending) {
      if (envelope.kind === 'call') envelope.from.fail(error(false))
    }
    if (this.inFlight?.kind === 'call') this.inFlight.from.fail(error(true))
    this.inFlight = undefined
    for (const from of [...this.deferred]) from.fail(error(true))
    this.deferred.clear()
  }
}
