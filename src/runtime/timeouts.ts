/**
 * Call timeouts with one timer per duration, not one per call. Every call
 * to a table's handler waits the same write timeout, so the calls of one
 * duration expire in the order they were made: each duration keeps its
 * deadlines in a FIFO and one timer, set for the oldest. A call that is
 * answered is marked, and marked entries at the front leave at once; calls
 * are mostly answered in the order they were made, so a FIFO holds about
 * the calls in flight. Real time (performance.now), as setTimeout.
 */
import { Queue } from './queue.js'

export interface Timeout {
  /** Its duration, ms: which FIFO it waits in. */
  readonly ms: number
  readonly deadline: number
  readonly expire: () => void
  cancelled: boolean
}

class Deadlines {
  readonly entries = new Queue<Timeout>()
  /** Set for the oldest entry's deadline, or earlier: when it fires, it expires what is due and is set again. */
  timer: NodeJS.Timeout | undefined
  /** Whether the timer keeps the process up: only while calls wait. */
  held = false
}

export class Timeouts {
  private readonly byDuration = new Map<number, Deadlines>()

  /** Calls `expire` in `ms` unless cancelled first. */
  start (ms: number, expire: () => void): Timeout {
    let deadlines = this.byDuration.get(ms)
    if (deadlines === undefined) this.byDuration.set(ms, deadlines = new Deadlines())
    const timeout: Timeout = { ms, deadline: performance.now() + ms, expire, cancelled: false }
    deadlines.entries.push(timeout)
    if (deadlines.timer === undefined) {
      deadlines.timer = setTimeout(() => this.fire(ms), ms)
      deadlines.held = true
    } else if (!deadlines.held) {
      deadlines.timer.ref()
      deadlines.held = true
    }
    return timeout
  }

  cancel (timeout: Timeout): void {
    timeout.cancelled = true
    const deadlines = this.byDuration.get(timeout.ms)
    if (deadlines?.entries.peek() === timeout) this.dropCancelled(deadlines)
  }

  /** Expires what is due, then sets the timer for the oldest entry left. */
  private fire (ms: number): void {
    const deadlines = this.byDuration.get(ms)
    if (deadlines === undefined) return
    deadlines.timer = undefined
    const now = performance.now()
    for (let next = deadlines.entries.peek(); next !== undefined && (next.cancelled || next.deadline <= now); next = deadlines.entries.peek()) {
      deadlines.entries.shift()
      if (!next.cancelled) next.expire()
    }
    this.dropCancelled(deadlines)
    const oldest = deadlines.entries.peek()
    // A duration no call waits for any longer is forgotten (retries wait for what is left, seldom the same ms twice).
    if (oldest === undefined && deadlines.timer === undefined) this.byDuration.delete(ms)
    else if (oldest !== undefined && deadlines.timer === undefined) {
      deadlines.timer = setTimeout(() => this.fire(ms), Math.max(1, oldest.deadline - now))
      deadlines.held = true
    }
  }

  /**
   * Drops cancelled entries at the front. The timer of an empty FIFO stays
   * set (the next call would set one again: one per call is what this
   * saves) but no longer keeps the process up; it finds nothing when it fires.
   */
  private dropCancelled (deadlines: Deadlines): void {
    while (deadlines.entries.peek()?.cancelled === true) deadlines.entries.shift()
    if (deadlines.entries.length === 0 && deadlines.held) {
      deadlines.timer?.unref()
      deadlines.held = false
    }
  }
}
