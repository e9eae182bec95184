/**
 * The node's lifecycle events, for `GET /v1/changes` (what a dashboard
 * draws): tables created, dropped and renamed; processes started, crashed
 * and restarted; tables given to their heir, parked in the holding pen,
 * handed back or lost; supervisors giving up. The last `KEPT` are kept,
 * each with a sequence number, so a reader can resume after a reconnect.
 * The numbers of a server run start past its start time in µs (ms × 1000),
 * so a run's ids are above every id of the runs before it (unless one of
 * them made more than 1,000 events a millisecond): a client of the server
 * before a restart never resumes, silently, in the middle of the new run's
 * events. They are answered as a table's changes are: a `since` older than
 * the kept ones (an earlier run's, too), or past the last id, is refused
 * with `history_compacted` and the oldest id a reader may resume from,
 * since either would be a gap told as a stream without one; a reader that
 * falls behind what is kept while streaming is ended with `overflow`
 * (resuming from it is refused the same way: the recovery is to read from
 * now, without `since`).
 */
import { HeirloomError } from '../errors.js'
import { type NodeEvent, reasonText } from '../runtime/types.js'
import { type Next, OwnWait, type StreamEvent, type StreamReader, Waiters } from './changes.js'

/** Events kept for readers to resume from. */
export const KEPT = 1000

/** `data` is the event as JSON: `{"id", "type", "at", …}`. */
type LifecycleEvent = StreamEvent

/** What the service adds to the node's own events. */
export type TableEvent =
  | { type: 'table_created'; table: string; tableType: string }
  | { type: 'table_dropped'; table: string }
  | { type: 'table_renamed'; table: string; name: string }

export class LifecycleLog {
  private events: LifecycleEvent[] = []
  private last: number
  private readonly waiters = new Waiters()

  /** @param first the id before the first event: by default this run's start time in µs (see above). */
  constructor (private readonly first = Date.now() * 1000) {
    this.last = first
  }

  /** The node's event, as readers see it (reasons as text, crashes told apart from orderly exits). */
  node (event: NodeEvent): void {
    if (event.type === 'exited') {
      const orderly = event.reason === 'normal' || event.reason === 'shutdown'
      this.add(orderly ? 'process_exited' : 'process_crashed', { pid: event.pid, name: event.name, reason: reasonText(event.reason) })
    } else if (event.type === 'spawned') {
      this.add('process_started', { pid: event.pid, name: event.name })
    } else {
      const { type, ...rest } = event
      this.add(type, rest)
    }
  }

  table (event: TableEvent): void {
    const { type, ...rest } = event
    this.add(type, rest)
  }

  private add (type: string, fields: object): void {
    const id = ++this.last
    this.events.push({ id, type, data: JSON.stringify({ id, type, at: new Date().toISOString(), ...fields }) })
    if (this.events.length > 2 * KEPT) this.events = this.events.slice(-KEPT)
    this.waiters.wakeSoon()
  }

  /**
   * A reader after event `since` (default: from now on). Refuses a `since`
   * older than what is kept, or past the last id: it would skip events
   * without saying so.
   */
  read (since: number | undefined): LifecycleReader {
    const from = since ?? this.last
    if (from < this.oldest || from > this.last) {
      throw new HeirloomError('history_compacted', from > this.last
        ? `event ${from} is past the node's last event ${this.last} (it never got there): read from now on, without since or Last-Event-ID`
        : `events up to ${this.oldest} are no longer kept (or are of the server before a restart): read from now on, without since or Last-Event-ID`, { oldest: this.oldest })
    }
    return new LifecycleReader(this, from)
  }

  /** Readers may resume after any id ≥ this one: the last `KEPT` events are kept. */
  get oldest (): number { return Math.max(this.first, this.last - KEPT) }

  /** The event after `id`, if kept; `null` when it is no longer kept. */
  after (id: number): LifecycleEvent | undefined | null {
    if (id >= this.last) return undefined
    if (id < this.oldest) return null
    return this.events[id + 1 - this.events[0].id]
  }

  get lastId (): number { return this.last }

  /** Resolves at the next event, when `signal` aborts, or when the stop given to `started` is called. */
  changed (signal?: AbortSignal, started?: (stop: () => void) => void): Promise<void> {
    return this.waiters.wait(signal, started)
  }

  /** Readers waiting now. */
  get waiting (): number { return this.waiters.size }
}

export class LifecycleReader implements StreamReader {
  private ended = false
  private readonly own = new OwnWait()

  constructor (private readonly log: LifecycleLog, public delivered: number) {}

  get revision (): number { return this.log.lastId }

  next (): Next {
    if (this.ended) return undefined
    const event = this.log.after(this.delivered)
    if (event === null) {
      this.ended = true
      return { end: { type: 'overflow', rev: this.delivered } }
    }
    if (event === undefined) return undefined
    this.delivered = event.id
    return { event }
  }

  changed (signal?: AbortSignal): Promise<void> {
    return this.log.changed(signal, this.own.started)
  }

  get lagging (): boolean {
    return this.log.after(this.delivered) === null
  }

  interrupt (): void {
    this.own.interrupt()
  }
}
