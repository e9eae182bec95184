/**
 * The vocabulary of the runtime: pids, exit reasons and the messages the
 * node itself sends. Kept from Erlang on purpose (DESIGN §1).
 */

/** A process identifier, printed as Erlang prints a local pid: `<0.N.0>`. */
export type Pid = `<0.${number}.0>`

/** A registered name or a pid: what `call`, `cast` and `send` accept. */
export type Destination = Pid | string

/**
 * Why a process exited. `normal` and `shutdown` are orderly; `kill` is the
 * untrappable signal (the victim exits with `killed`); a `Crash` wraps what a
 * behaviour threw or what an exit signal carried.
 */
export type ExitReason = 'normal' | 'shutdown' | 'kill' | 'killed' | 'noproc' | Crash

export class Crash {
  // eslint-disable-next-line n/handle-callback-err -- a parameter property, not a callback's error argument
  constructor (readonly error: unknown) {}
  toString (): string {
    const e = this.error
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  }
}

export function isPid (d: Destination): d is Pid {
  return d.startsWith('<0.')
}

export function reasonText (reason: ExitReason): string {
  return typeof reason === 'string' ? reason : reason.toString()
}

/** Sent to a process that traps exits when a linked process exits. */
export interface ExitMessage { type: 'EXIT'; from: Pid; reason: ExitReason }
/** Sent to a monitoring process when the monitored one exits. */
export interface DownMessage { type: 'DOWN'; ref: number; pid: Pid; reason: ExitReason }
/** Sent to the new owner of a table: on `giveAway`, or as heir of a dead owner. */
export interface TransferMessage { type: 'ETS-TRANSFER'; table: string; from: Pid; data: unknown }

export type SystemMessage = ExitMessage | DownMessage | TransferMessage

/** A clock in milliseconds; injected so that supervisor tests never sleep. */
export interface Clock { now(): number }
export const systemClock: Clock = { now: () => performance.now() }

/**
 * What the node tells its listeners (logs, metrics, the lifecycle stream):
 * every process start and exit, every table moved, parked or lost, and
 * what supervisors report. Told synchronously, in the order it happens.
 */
export type NodeEvent =
  | { type: 'spawned'; pid: Pid; name: string | undefined }
  | { type: 'exited'; pid: Pid; name: string | undefined; reason: ExitReason }
  | { type: 'table_transferred'; table: string; from: Pid; to: Pid; inherited: boolean }
  | { type: 'table_held'; table: string; heir: string }
  | { type: 'table_lost'; table: string; owner: Pid }
  | { type: 'child_restarted'; supervisor: Pid; id: string; pid: Pid; restarts: number }
  | { type: 'supervisor_gave_up'; supervisor: Pid; name: string | undefined; restarts: number; period: number }

export type NodeListener = (event: NodeEvent) => void
