/**
 * Responses written together at the end of the event loop's turn, as Redis
 * writes its replies before it sleeps (handleClientsWithPendingWrites):
 * a turn reads the requests of every connection that has one, and the
 * answers go out one after another once they are all made, not each
 * between two reads. The writes are the same, one per response; they cost
 * less together: the client sees them at once instead of waking for each
 * (on this project's 2-core VM a PUT's user+system CPU went from 66 to 51
 * µs, bench/load.ts has the figures). A response waits at most the rest of
 * its turn: under light load a turn holds one request and nothing waits.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

type OnSendDone = (error?: Error | null, payload?: unknown) => void

export class EndOfTurn {
  private due: Array<() => void> = []

  /** Runs `run` once the current turn's I/O callbacks are done: with the others of its turn, in order (one setImmediate a turn). */
  defer (run: () => void): void {
    if (this.due.length === 0) setImmediate(this.runDue)
    this.due.push(run)
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
