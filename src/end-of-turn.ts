/**
 * Responses written together at the end of the event loop's turn, as Redis
 * writes its replies before it sleeps (handleClientsWithPendingWrites):
 * a turn reads the requests of every connection that has one, and the
 * answers go out one after another once they are all made, not each
 * between two reads. The writes are the same, one per response; they cost
 * less together: the client sees them at once instead of waking for each
 * (on this project's 2-core VM, a GET's server CPU went from 56 to 33 µs
 * and a PUT's from 73 to 66 in one sitting: README, Benchmarks). A
 * response waits at most the rest of its turn, and never more than a
 * millisecond: under light load a turn holds one request and nothing waits.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

type OnSendDone = (error?: Error | null, payload?: unknown) => void

export class EndOfTurn {
  private due: Array<() => void> = []
  /** When the first of `due` was deferred (performance.now). */
  private since = 0

  /** `maxWait`: most ms a response waits for the end of its turn; past it, the turn's responses go out at once. */
  constructor (private readonly maxWait = 1) {}

  /**
   * Runs `run` once the current turn's I/O callbacks are done, with the
   * others of its turn, in order (one setImmediate a turn); or now, with
   * them, if the first has waited `maxWait` already: a turn of slow
   * requests (a large batch takes ms) does not hold the answers of the
   * first ones until the last is done.
   */
  defer (run: () => void): void {
    if (this.due.length === 0) {
      setImmediate(this.runDue)
      this.since = performance.now()
    }
    this.due.push(run)
    if (performance.now() - this.since > this.maxWait) this.runDue()
  }

  private readonly runDue = (): void => {
    const due = this.due
    this.due = []
    for (const run of due) run()
  }

  /**
   * A Fastify onSend hook (a callback: no promise per response) that lets
   * the response be written at the end of the turn. What writing throws
   * goes to Fastify's error handling, as from a hook that returns a promise.
   */
  onSend (): (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone) => void {
    return (_request, _reply, payload, done) => {
      this.defer(() => {
        try {
          done(null, payload)
        } catch (error) {
          done(error as Error)
        }
      })
    }
  }
}
