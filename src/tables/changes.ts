/**
 * Change streams: every table's recent history of committed writes, and
 * the readers that follow it (etcd's watch, CouchDB's `_changes`).
 *
 * A table's log holds its last events, bounded by count and bytes; each
 * event is one committed write: its revision and, for every key it
 * changed, the key's whole value list after it (so applying an event twice
 * does no harm), or `reset` when the write emptied the table first. The
 * log belongs to the table, not to its handler: handler and manager
 * crashes neither close it nor skip a revision, since the handler tells
 * each commit in revision order (handler.ts) and the table, with its
 * revision, outlives the handler.
 *
 * A reader is a cursor into the log, not a copy of it: it costs O(1)
 * memory however far behind it is. It is ended with `overflow`, naming the
 * last revision it was given, when its backlog grew by more than its
 * allowance while it did not read (a client that stopped reading: etcd's
 * slow watcher), or when the log no longer keeps the events it still
 * needs (etcd's compaction). A reader that reads is never ended for how
 * far behind it started or still is: one that starts from the history, or
 * resumes from an overflow's revision, is given events at its first read,
 * so resuming always makes progress (or, once the events are gone, is
 * refused with `history_compacted`, below).
 *
 * A `since` older than what the log keeps is refused (`history_compacted`,
 * with the oldest revision kept): the documented recovery is a dump, then
 * a watch from the dump's revision. A `since` newer than the table's
 * revision (a memory table recreated empty after a restart, or a client's
 * mistake) is refused too: the reader's view is not this table's past.
 *
 * A rename or a drop ends the streams of the table's name; the hub
 * remembers the last GONE_KEPT such names, so that a reader that comes
 * back to one (it was away when the end came) is given what it missed and
 * the end, not a 404 that cannot say where the table went.
 */
import type { Change, Commit } from '../ets/table.js'
import { HeirloomError } from '../errors.js'

export interface HistoryLimits {
  /** Events kept per table. */
  historyEvents: number
  /**
   * Bytes of events kept per table, each counted as the table's memory
   * estimate of the objects it names (at least the bytes of its JSON).
   */
  historyBytes: number
  /**
   * Bytes of events kept for all tables together: past it, a table's
   * appends trim its own log down to its last event, so many busy tables
   * cannot hold more than this (plus one event each).
   */
  historyTotalBytes: number
  /**
   * Events that may come while a reader does not read (a client that
   * stopped reading) before it is ended with `overflow`. How far behind
   * a reader starts does not count.
   */
  watchLag: number
  /**
   * Least ms between two wakes of a table's readers: a busy table's readers
   * are woken (and write to their sockets) at most this often, each time
   * with everything that came meanwhile; the first change after a quiet
   * spell goes out on the next turn. 0: every turn of the event loop.
   */
  watchInterval: number
  /**
   * Most socket writes a second to a table's readers together (each wake
   * writes once to each reader): past it, wakes are spaced further apart
   * than `watchInterval`, each carrying more, so that many readers cost
   * writers a bounded number of system calls, not one each per interval.
   * 0: no such bound, `watchInterval` alone paces.
   */
  watchRate: number
}

/** One event of a stream, serialised once for every reader (SSE frames and long-poll answers alike). */
export interface StreamEvent {
  /** A table's revision, or a lifecycle event's sequence number. */
  id: number
  type: string
  data: string
}

/**
 * A committed write: `data` is `{"rev": R, "changes": [{"key", "values"}],
 * "reset"?: true}`, serialised when first read, not in the handler's turn
 * (most events of a table nobody watches are never read). Its changes are
 * held until then: their value lists are never changed (a set's are
 * replaced by the next write, a bag's are copies) and neither are terms,
 * so they say later what they said when the write was made.
 */
class ChangeEvent implements StreamEvent {
  readonly type = 'change'
  readonly id: number
  /** Its size as the history counts it (the commit's estimate), fixed when appended. */
  readonly bytes: number
  private readonly reset: boolean
  /**
   * The changes until serialised: a one-key commit's change itself (most
   * writes), else the list. Held here rather than the commit, so that a
   * kept event holds no more objects than it must (the history's cost is
   * mostly the garbage collector's, for what it keeps alive).
   */
  private changes: Change | Change[] | undefined
  private text: string | undefined

  constructor ({ revision, bytes, reset, changes }: Commit) {
    this.id = revision
    this.bytes = bytes
    this.reset = reset
    this.changes = changes.length === 1 ? changes[0] : changes
  }

  get data (): string {
    if (this.text === undefined) {
      // What JSON.stringify({ rev, changes, reset? }) writes, with the envelope written
      // here rather than made as an object: a fifth less time an event (one key, measured).
      const changes = Array.isArray(this.changes) ? this.changes : [this.changes!]
      this.text = `{"rev":${this.id},"changes":${JSON.stringify(changes)}${this.reset ? ',"reset":true}' : '}'}`
      this.changes = undefined
    }
    return this.text
  }
}

/** How a reader's stream ends, after every event before it. */
export type StreamEnd =
  | { type: 'renamed'; rev: number; name: string }
  | { type: 'dropped'; rev: number }
  | { type: 'overflow'; rev: number }

/** What a reader is given next: an event, the end of its stream, or nothing new yet. */
export type Next = { event: StreamEvent } | { end: StreamEnd } | undefined

/** A reader of a stream of events (a table's changes, the node's lifecycle): what the HTTP streams serve. */
export interface StreamReader {
  /** The next event, the end, or undefined when up to date; taking an event counts it as delivered. */
  next(): Next
  /** Resolves when there may be something new for `next` (or when `signal` aborts). */
  changed(signal?: AbortSignal): Promise<void>
  /** The id of the last event delivered (where a client resumes). */
  readonly delivered: number
  /** The newest id of the stream. */
  readonly revision: number
  /** Stops this reader's pending `changed()` wait (its stream is closing), and no other reader's. */
  interrupt(): void
  /** Whether the reader fell behind its allowance: its next `next()` is `overflow`. */
  readonly lagging: boolean
  /**
   * The events `next` would give one at a time, taken at once (counted as
   * delivered): up to `max` of them, stopping once `maxChars` characters of
   * data are reached; none when there are none, or when the next thing is
   * an end or an overflow, which `next` gives. Readers at the same revision
   * get the same array: it must not be changed.
   */
  take?(max: number, maxChars: number): readonly StreamEvent[]
}

const NONE: readonly StreamEvent[] = []

/** A log's ends kept (between half and all of them), for the readers of a table's earlier names. */
export const ENDS_KEPT = 1000

class TableLog {
  /** Kept events in revision order, from `head`: their ids are consecutive. */
  private events: ChangeEvent[] = []
  private head = 0
  private bytes = 0
  private readonly waiters: Waiters
  /**
   * The log's ends for readers of an earlier name: each rename, and the
   * drop, at a revision; the last ENDS_KEPT of them, so that a table
   * renamed again and again holds bounded memory. `endCount` counts them
   * all: ends are numbered from 0 in the order they came.
   */
  private ends: Array<{ name: string; end: StreamEnd }> = []
  /** The number of the first end still kept. */
  private endsFrom = 0

  constructor (
    public name: string,
    public revision: number,
    private readonly limits: HistoryLimits,
    /** The bytes every log holds, shared by all. */
    private total: { bytes: number }
  ) {
    this.waiters = new Waiters(limits.watchInterval, limits.watchRate)
  }

  /** Readers may resume from any revision ≥ this one. */
  get oldest (): number {
    return this.head < this.events.length ? this.events[this.head].id - 1 : this.revision
  }

  append (commit: Commit): void {
    // A revision the log did not see (never expected: the handler tells
    // each commit once, in order) must not look like a continuous history.
    if (commit.revision !== this.revision + 1) this.clear()
    const event = new ChangeEvent(commit)
    this.events.push(event)
    this.bytes += event.bytes
    this.total.bytes += event.bytes
    this.revision = commit.revision
    const { historyEvents, historyBytes, historyTotalBytes } = this.limits
    while (this.length > historyEvents || (this.length > 1 && (this.bytes > historyBytes || this.total.bytes > historyTotalBytes))) {
      const evicted = this.events[this.head].bytes
      this.bytes -= evicted
      this.total.bytes -= evicted
      this.events[this.head++] = undefined as unknown as ChangeEvent
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head)
      this.head = 0
    }
    this.wake(event.bytes)
  }

  private get length (): number { return this.events.length - this.head }

  /** Stops counting this log's bytes in the total: the log of a dropped table, kept only by its last readers. */
  detach (): void {
    this.total.bytes -= this.bytes
    this.total = { bytes: this.bytes }
  }

  /** Forgets every event: a log that missed a revision. */
  private clear (): void {
    this.total.bytes -= this.bytes
    this.events = []
    this.head = 0
    this.bytes = 0
  }

  /** The event after revision `after`, if kept. O(1). */
  eventAfter (after: number): ChangeEvent | undefined {
    if (this.length === 0) return undefined
    return this.events[this.head + after + 1 - this.events[this.head].id]
  }

  /** The last run of events handed out: the readers of a table are woken together, mostly at one revision. */
  private lastRun: { after: number; revision: number; max: number; maxChars: number; events: readonly ChangeEvent[] } | undefined

  /**
   * The kept events after revision `after` (which must be kept), up to `max`
   * and until `maxChars` characters of data are reached: made once for all
   * the readers at that revision, O(1) for each after the first.
   */
  eventsAfter (after: number, max: number, maxChars: number): readonly ChangeEvent[] {
    const last = this.lastRun
    if (last !== undefined && last.after === after && last.revision === this.revision && last.max === max && last.maxChars === maxChars) return last.events
    const from = this.head + after + 1 - this.events[this.head].id
    let to = from
    for (let chars = 0; to < this.events.length && to - from < max && chars < maxChars; to++) chars += this.events[to].data.length
    const events = this.events.slice(from, to)
    this.lastRun = { after, revision: this.revision, max, maxChars, events }
    return events
  }

  end (name: string, end: StreamEnd): void {
    this.ends.push({ name, end })
    if (this.ends.length > ENDS_KEPT) {
      const forgotten = this.ends.length - ENDS_KEPT / 2
      this.ends = this.ends.slice(forgotten)
      this.endsFrom += forgotten
    }
    this.wake()
  }

  /** Ends recorded so far, kept or not. */
  get endCount (): number { return this.endsFrom + this.ends.length }

  /**
   * The first end for `name` numbered `from` or later; `forgotten` when
   * some of those ends are no longer kept (the reader cannot tell whether
   * its own was among them).
   */
  endFor (name: string, from: number): StreamEnd | 'forgotten' | undefined {
    if (from < this.endsFrom) return 'forgotten'
    for (let i = from - this.endsFrom; i < this.ends.length; i++) if (this.ends[i].name === name) return this.ends[i].end
    return undefined
  }

  /** Resolves at the next append or end (at most once a turn), when `signal` aborts, or when the stop given to `started` is called. */
  changed (signal?: AbortSignal, started?: (stop: () => void) => void): Promise<void> {
    return this.waiters.wait(signal, started)
  }

  /** Readers waiting on this log now. */
  get waiting (): number { return this.waiters.size }

  private wake (bytes = 0): void {
    this.waiters.wakeSoon(bytes)
  }
}

/**
 * Readers waiting for a log to grow. A burst of appends wakes them once, so
 * that each reader then writes all that came in one go: per reader, one
 * wake and one socket write per wake, not one per commit. Wakes are paced:
 * at most one every `interval` ms (the first after a quiet spell on the
 * next turn of the event loop), since on a busy table a socket write per
 * reader per turn costs its writers more than the events themselves. And
 * at most `rate` wakes of a reader a second, all readers together: at a
 * rate of 10,000, 100 readers are woken every 10 ms and 500 every 50 ms,
 * however short the interval. Each wake costs each reader a socket write
 * (about 20 µs here on a VM, mostly the kernel's loopback), whatever it
 * carries, so this bounds what many readers cost the writers. Never more
 * than MAX_GAP ms between two wakes of a busy log, whatever the readers.
 */
export class Waiters {
  /**
   * The pending waits: each leaves when it ends, however it ends (a wake,
   * its signal, its stop), so that waits that time out on a quiet log hold
   * nothing (a long-poll with a short `wait`, asked again and again).
   */
  private waiting = new Set<() => void>()
  private scheduled = false
  private lastWake = -Infinity

  constructor (
    private readonly interval = 0,
    /** Wakes of one reader a second, all readers together; 0: no bound. */
    private readonly rate = 0,
    /** How a wake is scheduled `ms` from now (0: the next turn). Tests watch it. */
    private readonly schedule: (wake: () => void, ms: number) => void = scheduleWake
  ) {}

  /** Waits pending now. O(1). */
  get size (): number { return this.waiting.size }

  /**
   * Resolves at the next wake; at once if `signal` aborts first. `started`,
   * if given, is handed this wait's stop, which ends this wait alone (a
   * reader whose stream closes wakes nobody else). O(1) to start and to end.
   */
  wait (signal?: AbortSignal, started?: (stop: () => void) => void): Promise<void> {
    return new Promise(resolve => {
      if (signal?.aborted === true) {
        resolve()
        return
      }
      const done = (): void => {
        this.waiting.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      signal?.addEventListener('abort', done, { once: true })
      this.waiting.add(done)
      started?.(done)
    })
  }

  /** The least ms between two wakes with the waiters there are now: the interval, or longer past the rate. O(1). */
  get gap (): number {
    const paced = this.rate > 0 ? this.waiting.size * 1000 / this.rate : 0
    return Math.max(this.interval, Math.min(paced, MAX_GAP))
  }

  /** Bytes of what came since the last wake (its events' memory estimate): about what each reader will send. */
  private pending = 0

  /**
   * Wakes every waiter soon: on the next turn, or `gap` ms after the last
   * wake (once, however often it is asked meanwhile). `bytes`: the size of
   * what came, which sets how many waiters a turn wakes (wakeGroups).
   */
  wakeSoon (bytes = 0): void {
    this.pending += bytes
    if (this.scheduled || this.waiting.size === 0) return
    this.scheduled = true
    this.schedule(this.wakeScheduled, Math.max(0, this.lastWake + this.gap - performance.now()))
  }

  private readonly wakeScheduled = (): void => {
    this.scheduled = false
    this.lastWake = performance.now()
    const group = Math.max(1, Math.min(WAKE_GROUP, Math.floor(WAKE_BYTES / this.pending)))
    this.pending = 0
    const waiting = [...this.waiting]
    this.waiting = new Set()
    wakeGroups(waiting, 0, group)
  }
}

/**
 * Waiters woken in one turn of the event loop, the rest in the turns
 * after; fewer when what came is large, so that the readers of a turn send
 * about WAKE_BYTES together. Each woken reader answers in the turn that
 * wakes it: 1,000 long-polls woken by a 1 MB write in one turn held
 * /healthz 1.4 s; 50 a turn, 120 ms. Between turns, other requests are served.
 */
export const WAKE_GROUP = 100
export const WAKE_BYTES = 4 * 1024 * 1024

function wakeGroups (waiting: ReadonlyArray<() => void>, from: number, group: number): void {
  const to = Math.min(waiting.length, from + group)
  for (let i = from; i < to; i++) waiting[i]()
  if (to < waiting.length) setImmediate(wakeGroups, waiting, to, group)
}

/** Most ms between two wakes of a busy log that the rate may impose (a larger interval still applies). */
const MAX_GAP = 1000

function scheduleWake (wake: () => void, ms: number): void {
  if (ms <= 0) setImmediate(wake)
  else setTimeout(wake, ms)
}

/**
 * A reader's own pending wait, which its `interrupt` ends: a stream that
 * closes stops its own wait, and wakes no other reader of the log (a
 * long-poll beside it would answer empty before its deadline).
 */
export class OwnWait {
  private stop: (() => void) | undefined
  /** Given to `Waiters.wait`: keeps the stop of the latest wait. */
  readonly started = (stop: () => void): void => { this.stop = stop }

  interrupt (): void {
    const stop = this.stop
    this.stop = undefined
    stop?.()
  }
}

/**
 * Refuses to resume at `from` when the log no longer keeps what came after
 * it, or when it is past `last`, the stream's last revision.
 */
function resumable (log: TableLog, from: number, last: number): void {
  if (from < log.oldest || from > last) {
    throw new HeirloomError('history_compacted', from > last
      ? `revision ${from} is past the table's revision ${last} (it was recreated empty, or never got there): dump it, then watch from the dump's revision`
      : `revisions up to ${log.oldest} are no longer kept: dump the table, then watch from the dump's revision`, { oldest: log.oldest })
  }
}

/** A reader of one table's log: where it is, under which name it came. */
export class Reader implements StreamReader {
  private ended = false
  /** Ends recorded before this reader came belong to earlier readers (a name renamed away and back). */
  private readonly endsBefore: number
  /**
   * The log's revision when this reader last read (was made, was given
   * events, or was woken from a wait it began up to date): what came after
   * it and is still unsent is the backlog it let grow without reading. How
   * far behind it started does not count.
   */
  private readAt: number
  private readonly own = new OwnWait()

  constructor (
    private readonly log: TableLog,
    private readonly name: string,
    /** The last revision given to this reader. */
    public delivered: number,
    private readonly maxLag: number,
    /** Its end when it is known already: a reader that comes back to a name its table left (ChangeHub.readGone). */
    private readonly knownEnd?: StreamEnd
  ) {
    this.endsBefore = log.endCount
    this.readAt = log.revision
  }

  /** The stream's revision now: the table's, or its end's once it has one. */
  get revision (): number { return this.upTo(this.end()) }

  /**
   * The next thing to send: the event after the last one delivered; the
   * end of the stream (renamed, dropped) once every event before it was
   * given; `overflow` when this reader fell behind its allowance or behind
   * what the log keeps; undefined when it is up to date. Taking an event
   * counts it as delivered.
   */
  next (): Next {
    if (this.ended) return undefined
    const end = this.end()
    const upTo = this.upTo(end)
    if (this.delivered < upTo) {
      if (this.behind(upTo)) return this.finish({ type: 'overflow', rev: this.delivered })
      const event = this.log.eventAfter(this.delivered)!
      this.delivered = event.id
      this.readAt = this.log.revision
      return { event }
    }
    if (end === undefined) return undefined
    // Renamed again since: name the table as it is called now, so the reader can follow it.
    return this.finish(end.type === 'renamed' ? { ...end, name: this.log.name } : end)
  }

  take (max: number, maxChars: number): readonly StreamEvent[] {
    if (this.ended || this.delivered >= this.log.revision) return NONE
    if (this.end() !== undefined) return NONE
    if (this.behind(this.log.revision)) return NONE
    const events = this.log.eventsAfter(this.delivered, max, maxChars)
    if (events.length > 0) {
      this.delivered = events[events.length - 1].id
      this.readAt = this.log.revision
    }
    return events
  }

  /** The end of this reader's stream, if recorded. Called once per event for every reader: no closure made while the log has no end for it. */
  private end (): StreamEnd | undefined {
    if (this.knownEnd !== undefined) return this.knownEnd
    return this.log.endCount > this.endsBefore ? this.endOfMine() : undefined
  }

  /** The last revision of this reader's stream: its end's, or the log's while it has none. */
  private upTo (end: StreamEnd | undefined): number {
    return end === undefined ? this.log.revision : end.rev
  }

  /**
   * The end recorded for this reader's name since it came, if any. When the
   * log no longer keeps every end since then (its table was renamed more
   * than ENDS_KEPT / 2 times since), the reader is ended with `overflow`:
   * resuming from it finds where the table went (ChangeHub.readGone).
   */
  private endOfMine (): StreamEnd | undefined {
    const end = this.log.endFor(this.name, this.endsBefore)
    return end === 'forgotten' ? { type: 'overflow', rev: this.delivered } : end
  }

  /**
   * Whether a reader with events left up to `upTo` (the end of its own
   * stream: a rename's revision, not what the table gets under its new
   * name) is to be ended with `overflow`: its unsent backlog grew by more
   * than its allowance since it last read, or the log no longer keeps the
   * next event it needs.
   */
  private behind (upTo: number): boolean {
    return upTo - this.readAt > this.maxLag || this.delivered < this.log.oldest
  }

  /**
   * Resolves when there may be something new for `next`, when `signal`
   * aborts, or at `interrupt`. A reader that waits with nothing left to
   * read is reading: what comes before its wake (held back by the pacing,
   * up to a second with many readers) is not a backlog it let grow.
   */
  changed (signal?: AbortSignal): Promise<void> {
    const wait = this.log.changed(signal, this.own.started)
    if (this.delivered < this.log.revision) return wait
    return wait.then(() => { this.readAt = Math.max(this.readAt, this.log.revision) })
  }

  get lagging (): boolean {
    const upTo = this.upTo(this.end())
    return this.delivered < upTo && this.behind(upTo)
  }

  interrupt (): void {
    this.own.interrupt()
  }

  private finish (end: StreamEnd): Next {
    this.ended = true
    return { end }
  }
}

/** Names of tables renamed or dropped that the hub remembers, the most recent ones. */
export const GONE_KEPT = 1000

/**
 * What the hub remembers of a name a table left: how its stream ended and,
 * for a rename, the log that goes on under the new name (until that log is
 * dropped too).
 */
interface Gone { end: TableEnd; log: TableLog | undefined }

/** How a table's own stream ends (overflow is a reader's). */
export type TableEnd = Extract<StreamEnd, { type: 'renamed' | 'dropped' }>

/** Every table's log, by table name. */
export class ChangeHub {
  private readonly logs = new Map<string, TableLog>()
  private readonly total = { bytes: 0 }
  /** Names tables left, in the order they left: a reader that comes back after its table's end is given it. */
  private readonly gone = new Map<string, Gone>()

  constructor (private readonly limits: HistoryLimits, private readonly revisionOf: (table: string) => number) {}

  /** Called by the handler with each commit, in revision order (the service wires it as `onCommit`). */
  publish (table: string, commit: Commit): void {
    this.log(table, commit.revision - 1).append(commit)
  }

  /**
   * A reader from revision `since` (default: now, live changes only).
   * Refuses a `since` the log no longer keeps or the table never reached.
   */
  read (table: string, since: number | undefined): Reader {
    const log = this.log(table, this.revisionOf(table))
    const from = since ?? log.revision
    resumable(log, from, log.revision)
    return new Reader(log, log.name, from, this.limits.watchLag)
  }

  /**
   * A reader that comes back, after revision `since`, to a name its table
   * has left since (renamed or dropped; the last GONE_KEPT names): it is
   * given what it missed and then the end, as if it had never gone. A
   * renamed table's events up to the rename come from its log (under the
   * new name); a dropped table's are gone with it, so such a reader gets
   * `dropped` at once. Undefined for a name the hub does not remember, or
   * for a `since` past the end.
   */
  readGone (table: string, since: number): Reader | undefined {
    const gone = this.gone.get(table)
    // A revision past the end is not of this table's stream.
    if (gone === undefined || since > gone.end.rev) return undefined
    const { end, log } = gone
    // Up to date (nothing to miss), or the log went with a drop: the end alone, from a log of
    // nothing but it, under the name the table has now (next() names a renamed table by its log).
    if (since === end.rev || log === undefined) {
      const now = end.type === 'renamed' ? log?.name ?? end.name : table
      return new Reader(new TableLog(now, end.rev, this.limits, { bytes: 0 }), table, end.rev, this.limits.watchLag, end)
    }
    resumable(log, since, end.rev)
    return new Reader(log, table, since, this.limits.watchLag, end)
  }

  /** A table took the name: what the hub remembered of the name's earlier table is forgotten. */
  created (table: string): void {
    this.gone.delete(table)
  }

  /** How the stream of a name no table has now ended, if the hub remembers. */
  endOf (table: string): TableEnd | undefined {
    const gone = this.gone.get(table)
    // Renamed again since: the name the table has now.
    return gone?.end.type === 'renamed' && gone.log !== undefined ? { ...gone.end, name: gone.log.name } : gone?.end
  }

  /** Readers waiting on the table's changes now (none once they all stopped, however they stopped). */
  waiting (table: string): number {
    return this.logs.get(table)?.waiting ?? 0
  }

  /** Ends the streams of `from` with `renamed` (called once the table has its new name); the log follows the table. */
  renamed (from: string, to: string): void {
    const log = this.log(from, this.revisionOf(to))
    this.logs.delete(from)
    const end: TableEnd = { type: 'renamed', rev: log.revision, name: to }
    log.end(from, end)
    log.name = to
    this.logs.set(to, log)
    this.gone.delete(to)
    this.remember(from, { end, log })
  }

  /** Ends the table's streams with `dropped` and forgets its log (called while the table is still there to tell its revision). */
  dropped (table: string): void {
    const log = this.logs.get(table)
    const end: TableEnd = { type: 'dropped', rev: log?.revision ?? this.revisionOf(table) }
    if (log !== undefined) {
      this.logs.delete(table)
      log.end(table, end)
      // No longer counted: its readers still finish reading it, and then it is garbage.
      log.detach()
      // Earlier names of the table keep their ends, not the log. O(GONE_KEPT), once a drop.
      for (const gone of this.gone.values()) if (gone.log === log) gone.log = undefined
    }
    this.remember(table, { end, log: undefined })
  }

  private remember (table: string, gone: Gone): void {
    this.gone.delete(table)
    this.gone.set(table, gone)
    if (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.keys().next().value!)
  }

  private log (table: string, revision: number): TableLog {
    let log = this.logs.get(table)
    if (log === undefined) this.logs.set(table, log = new TableLog(table, revision, this.limits, this.total))
    return log
  }
}
