/**
 * A one_for_one supervisor, after OTP's supervisor.erl.
 *
 * Flags and child specs are plain data with documented defaults. The
 * supervisor traps exits and links to every child. When a child exits it is
 * restarted according to its restart type:
 * - `permanent`: always;
 * - `transient`: unless it exited `normal` or `shutdown`;
 * - `temporary`: never (and it is forgotten).
 * More than `intensity` restarts within `period` seconds (a sliding window
 * over the node's injected clock) and the supervisor gives up: it shuts its
 * children down in reverse start order and exits with `shutdown`, escalating
 * to its own supervisor.
 *
 * Requests (`call`): `{ startChild: ChildSpec }` → pid (`already_started` /
 * `already_present` refused), `{ terminateChild: id }`, `{ deleteChild: id }`,
 * `{ whichChildren: true }`, `{ whichChild: id }`.
 */
import { RuntimeError } from './errors.js'
import type { ProcessContext, ProcessFactory } from './node.js'
import { type Behaviour, type Details, type Refusal, refuse } from './process.js'
import type { ExitMessage, ExitReason, Pid, SystemMessage } from './types.js'

export type Restart = 'permanent' | 'transient' | 'temporary'

export interface ChildSpec<T = unknown> {
  id: string
  start: ProcessFactory<T>
  /** Registered name of the child, if any. */
  name?: string
  /** Default `permanent`. */
  restart?: Restart
  /** Children that are supervisors trap exits. Default false. */
  trapExit?: boolean
  /** Milliseconds to wait after `shutdown` before `kill`. Default 5000. */
  shutdown?: number
}

export interface SupervisorFlags {
  strategy?: 'one_for_one'
  /** Restarts allowed within `period`. Default 1, as OTP. */
  intensity?: number
  /** Seconds. Default 5, as OTP. */
  period?: number
}

export type SupervisorRequest<T = unknown> =
  | { startChild: ChildSpec<T> }
  | { terminateChild: string }
  | { deleteChild: string }
  | { whichChildren: true }
  | { whichChild: string }

export interface ChildInfo { id: string; pid: Pid | undefined; restart: Restart; restarts: number; name?: string }

interface Child<T> { spec: Required<Omit<ChildSpec<T>, 'name'>> & { name?: string }; pid: Pid | undefined; restarts: number }

/** The flags with OTP's defaults filled in; bad flags are refused. */
export function validFlags (flags: SupervisorFlags): Required<SupervisorFlags> {
  const { strategy = 'one_for_one', intensity = 1, period = 5 } = flags
  if (strategy !== 'one_for_one') throw new RuntimeError('bad_flags', `unsupported strategy ${String(strategy)}`)
  if (!Number.isInteger(intensity) || intensity < 0) throw new RuntimeError('bad_flags', 'intensity must be an integer ≥ 0')
  if (!(period > 0)) throw new RuntimeError('bad_flags', 'period must be > 0 seconds')
  return { strategy, intensity, period }
}

function validSpec<T> (spec: ChildSpec<T>): Child<T>['spec'] {
  const { restart = 'permanent', trapExit = false, shutdown = 5000 } = spec
  if (typeof spec.id !== 'string' || spec.id === '') throw new RuntimeError('bad_child_spec', 'id must be a non-empty string')
  if (!['permanent', 'transient', 'temporary'].includes(restart)) throw new RuntimeError('bad_child_spec', `bad restart ${restart}`)
  return { ...spec, restart, trapExit, shutdown }
}

function orderly (reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown'
}

/** A factory for a supervisor process with these flags and initial children. */
export function supervisor<T = unknown> (flags: SupervisorFlags, children: Array<ChildSpec<T>> = []): ProcessFactory<T> {
  const { intensity, period } = validFlags(flags)
  const specs = children.map(validSpec)
  return ctx => new Supervisor(ctx, intensity, period * 1000, specs)
}

class Supervisor<T> implements Behaviour<SupervisorRequest<T>, never, ExitMessage> {
  /** In start order. */
  private readonly children: Array<Child<T>> = []
  /** The same children by id, and the running ones by pid: a table_sup has one per table (10,000 and more). */
  private readonly byId = new Map<string, Child<T>>()
  private readonly byPid = new Map<Pid, Child<T>>()
  private restartTimes: number[] = []

  constructor (
    private readonly ctx: ProcessContext<T>,
    private readonly intensity: number,
    private readonly periodMs: number,
    private readonly initial: Array<Child<T>['spec']>
  ) {}

  async init (): Promise<void> {
    this.ctx.trapExit = true
    for (const spec of this.initial) {
      try {
        await this.startChild(spec)
      } catch (error) {
        await this.shutdownChildren()
        throw error
      }
    }
  }

  async handleCall (request: SupervisorRequest<T>): Promise<Pid | ChildInfo[] | ChildInfo | undefined | void | Refusal> {
    try {
      if ('startChild' in request) return await this.startChild(validSpec(request.startChild))
      if ('terminateChild' in request) return await this.terminateChild(request.terminateChild)
      if ('deleteChild' in request) return this.deleteChild(request.deleteChild)
      if ('whichChildren' in request) return this.whichChildren()
      if ('whichChild' in request) {
        const child = this.byId.get(request.whichChild)
        return child === undefined ? undefined : infoOf(child)
      }
      throw new RuntimeError('bad_request', 'unknown supervisor request')
    } catch (error) {
      // A refused request, or a child whose init failed, is the caller's error, not ours.
      if (this.ctx.alive) return refuse(error as Error)
      throw error
    }
  }

  async handleInfo (message: ExitMessage | SystemMessage): Promise<void> {
    if (message?.type !== 'EXIT') return
    // Its parent's exit (for the root, the node's) stops it and its children.
    if (message.from === this.ctx.parent) {
      await this.shutdownChildren()
      this.ctx.exitSelf(message.reason)
      return
    }
    const child = this.byPid.get(message.from)
    if (!child || this.byId.get(child.spec.id) !== child) return // not ours, or forgotten while it restarted
    this.setPid(child, undefined)
    const { restart } = child.spec
    if (restart === 'temporary') this.forget(child)
    else if (restart === 'permanent' || !orderly(message.reason)) await this.restart(child)
  }

  describe (): Details {
    return { behaviour: 'supervisor', strategy: 'one_for_one', intensity: this.intensity, period: this.periodMs / 1000, children: this.whichChildren() }
  }

  private whichChildren (): ChildInfo[] {
    return this.children.map(infoOf)
  }

  private async startChild (spec: Child<T>['spec']): Promise<Pid> {
    const existing = this.byId.get(spec.id)
    if (existing?.pid !== undefined) throw new RuntimeError('already_started', `child ${spec.id} is running as ${existing.pid}`)
    if (existing) throw new RuntimeError('already_present', `child ${spec.id} is present`)
    const child: Child<T> = { spec, pid: undefined, restarts: 0 }
    const pid = await this.spawn(spec)
    this.setPid(child, pid)
    this.children.push(child)
    this.byId.set(spec.id, child)
    return pid
  }

  /** A child's pid, kept in step with the index by pid. */
  private setPid (child: Child<T>, pid: Pid | undefined): void {
    if (child.pid !== undefined) this.byPid.delete(child.pid)
    child.pid = pid
    if (pid !== undefined) this.byPid.set(pid, child)
  }

  private spawn (spec: Child<T>['spec']): Promise<Pid> {
    return this.ctx.startLink(spec.start, { name: spec.name, trapExit: spec.trapExit })
  }

  /**
   * Restarts `child`, counting each attempt against the intensity; a child
   * whose `init` fails is tried again until the intensity is spent.
   */
  private async restart (child: Child<T>): Promise<void> {
    for (;;) {
      if (!this.allowRestart()) {
        this.ctx.report({ type: 'supervisor_gave_up', supervisor: this.ctx.self, name: this.ctx.name, restarts: this.intensity, period: this.periodMs / 1000 })
        await this.shutdownChildren()
        this.ctx.exitSelf('shutdown')
        return
      }
      try {
        const pid = await this.spawn(child.spec)
        this.setPid(child, pid)
        child.restarts++
        this.ctx.report({ type: 'child_restarted', supervisor: this.ctx.self, id: child.spec.id, pid, restarts: child.restarts })
        return
      } catch {
        if (!this.ctx.alive) return
      }
    }
  }

  /** Sliding window: at most `intensity` restarts in the last `period`, its start included (as OTP). */
  private allowRestart (): boolean {
    const now = this.ctx.now()
    this.restartTimes = this.restartTimes.filter(t => now - t <= this.periodMs)
    this.restartTimes.push(now)
    return this.restartTimes.length <= this.intensity
  }

  private async terminateChild (id: string): Promise<void> {
    const child = this.byId.get(id)
    if (!child) throw new RuntimeError('not_found', `no child ${id}`)
    await this.stop(child)
    if (child.spec.restart === 'temporary') this.forget(child)
  }

  private deleteChild (id: string): void {
    const child = this.byId.get(id)
    if (!child) throw new RuntimeError('not_found', `no child ${id}`)
    if (child.pid !== undefined) throw new RuntimeError('running', `child ${id} is running`)
    this.forget(child)
  }

  private forget (child: Child<T>): void {
    this.children.splice(this.children.indexOf(child), 1)
    this.byId.delete(child.spec.id)
    this.setPid(child, undefined)
  }

  /** Stops a child: `shutdown`, then `kill` if it is still alive after its grace time. */
  private async stop (child: Child<T>): Promise<void> {
    const pid = child.pid
    if (pid === undefined) return
    this.setPid(child, undefined)
    this.ctx.unlink(pid)
    const exited = this.ctx.whenExited(pid)
    this.ctx.exit(pid, 'shutdown')
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>(resolve => { timer = setTimeout(() => resolve('late'), child.spec.shutdown) })
    if (await Promise.race([exited, late]) === 'late') this.ctx.exit(pid, 'kill')
    clearTimeout(timer)
  }

  private async shutdownChildren (): Promise<void> {
    for (const child of [...this.children].reverse()) await this.stop(child)
  }
}

function infoOf<T> (c: Child<T>): ChildInfo {
  return { id: c.spec.id, pid: c.pid, restart: c.spec.restart, restarts: c.restarts, name: c.spec.name }
}
