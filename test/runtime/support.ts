/**
 * What the runtime tests share: an inbox a test can await, a probe process
 * that puts every info message into one, and a clock the test moves by hand.
 * Tests wait on events through these, never on time.
 */
import { Node, type ProcessContext, type ProcessFactory, type StartOptions } from '../../src/runtime/node.js'
import type { Behaviour } from '../../src/runtime/process.js'
import type { Clock, ExitMessage, ExitReason, Pid } from '../../src/runtime/types.js'

/** Messages pushed from inside a process, taken by a test in order or by pattern. */
export class Inbox<T = any> {
  private readonly items: T[] = []
  private readonly waiters: Array<{ match: (m: T) => boolean; resolve: (m: T) => void }> = []

  push (message: T): void {
    const at = this.waiters.findIndex(w => w.match(message))
    if (at >= 0) this.waiters.splice(at, 1)[0].resolve(message)
    else this.items.push(message)
  }

  /** The first message that matches, now or when it arrives. */
  take (match: (m: T) => boolean = () => true): Promise<T> {
    const at = this.items.findIndex(match)
    if (at >= 0) return Promise.resolve(this.items.splice(at, 1)[0])
    return new Promise(resolve => this.waiters.push({ match, resolve }))
  }

  /** Messages received and not yet taken. */
  get pending (): readonly T[] { return this.items }
}

export interface Probe { pid: Pid; ctx: ProcessContext; inbox: Inbox }

/**
 * Starts a process that records every info message in its inbox; `extra`
 * adds or overrides callbacks (it gets the context and the inbox).
 */
export async function startProbe (
  node: Node,
  options: StartOptions = {},
  extra: (ctx: ProcessContext, inbox: Inbox) => Behaviour = () => ({})
): Promise<Probe> {
  const inbox = new Inbox()
  let context!: ProcessContext
  const pid = await node.start(probeFactory(inbox, (ctx, box) => { context = ctx; return extra(ctx, box) }), options)
  return { pid, ctx: context, inbox }
}

/** The factory behind `startProbe`, for supervisors' child specs. */
export function probeFactory (
  inbox: Inbox,
  extra: (ctx: ProcessContext, inbox: Inbox) => Behaviour = () => ({})
): ProcessFactory {
  return ctx => ({ handleInfo: message => inbox.push(message), ...extra(ctx, inbox) })
}

/** A promise with its settle functions outside it. */
export function deferred<T = void> (): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let settle!: (v: T) => void
  let fail!: (e: unknown) => void
  const promise = new Promise<T>((resolve, reject) => { settle = resolve; fail = reject })
  return { promise, resolve: settle, reject: fail }
}

/** A clock that moves only when the test says so. */
export class ManualClock implements Clock {
  private ms = 0
  now (): number { return this.ms }
  advance (seconds: number): void { this.ms += seconds * 1000 }
}

/** A process that does nothing; for targets, heirs and owners. */
export const idle: ProcessFactory = () => ({})

export type WorkerEvent =
  | { started: string; pid: Pid }
  | { stopped: string; pid: Pid; reason: unknown }

/**
 * A supervised worker: reports its start, crashes on the cast `crash`, exits
 * with the cast `{ exit: reason }`; if it traps exits, it reports the exit
 * signal (its supervisor shutting it down) and exits with that reason.
 */
export function worker (id: string, events: Inbox<WorkerEvent>): ProcessFactory {
  return ctx => ({
    init () { events.push({ started: id, pid: ctx.self }) },
    handleCast (message: 'crash' | { exit: ExitReason }) {
      if (message === 'crash') throw new Error(`${id} crashed`)
      ctx.exitSelf(message.exit)
    },
    handleInfo (message: ExitMessage) {
      events.push({ stopped: id, pid: ctx.self, reason: message.reason })
      ctx.exitSelf(message.reason)
    },
  })
}

/** The next start of child `id`. */
export function started (events: Inbox<WorkerEvent>, id: string): Promise<Pid> {
  return events.take(e => 'started' in e && e.started === id).then(e => e.pid)
}

export { Node }
