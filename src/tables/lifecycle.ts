/**
 * The node's lifecycle events, for `GET /v1/changes` (what a dashboard
 * draws): tables created, dropped and renamed; processes started, crashed
 * and restarted; tables given to their heir, parked in the holding pen,
 * handed back or lost; supervisors giving up. The last `KEPT` are kept,
 * each with a sequence number, so a reader can resume after a reconnect;
 * one that asks for older ones, or falls further behind, is told
 * `overflow` and resumes from now.
 */
import { type NodeEvent, reasonText } from '../runtime/types.js'
import { type Next, type StreamEvent, type StreamReader, Waiters } from './changes.js'

/** Events kept for readers to resume from. */
const KEPT = 1000

/** `data` is the event as JSON: `{"id", "type", "at", …}`. */
type LifecycleEvent = StreamEvent

/** What the service adds to the node's own events. */
export type TableEvent =
  | { type: 'table_created'; table: string; tableType: string }
  | { type: 'table_dropped'; table: string }
  | { type: 'table_renamed'; table: string; name: string }

export class LifecycleLog {
  private events: LifecycleEvent[] = []
  private last = 0
  private readonly waiters = new Waiters()

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

  /** A reader after event `since` (default: from now on). */
  read (since: number | undefined): LifecycleReader {
    return new LifecycleReader(this, since ?? this.last)
  }

  /** The event after `id`, if kept; `null` when it is no longer kept. */
  after (id: number): LifecycleEvent | undefined | null {
    if (id >= this.last) return undefined
    const first = this.events.length === 0 ? this.last + 1 : this.events[0].id
    if (id + 1 < first || this.last - id > KEPT) return null
    return this.events[id + 1 - first]
  }

  get lastId (): number { return this.last }

  changed (signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(signal)
  }

  interrupt (): void {
    this.waiters.wakeAll()
  }
}

export class LifecycleReader implements StreamReader {
  private ended = false

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
    return this.log.changed(signal)
  }

  get lagging (): boolean {
    return this.log.after(this.delivered) === null
  }

  interrupt (): void {
    this.log.interrupt()
  }
}
