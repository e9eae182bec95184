/**
 * What the node does, as log lines an operator can act on: every process
 * crash and restart, every table given to its heir, parked in the holding
 * pen or handed back, every supervisor giving up — one structured line each
 * (pino), with the process, its pid, the table and the reason. Crashes are
 * `error` (a table handler's: `warn`, since its table survives and it is
 * restarted); orderly exits and spawns are `debug`.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { Node } from './runtime/node.js'
import { Crash, type ExitReason, type NodeEvent, type Pid, reasonText } from './runtime/types.js'
import { MANAGER, ROOT, TABLE_SUP } from './tables/names.js'

const HANDLER_PREFIX = 'table_handler:'

/** What a process is, for logs and metrics: a bounded set. */
export type ProcessKind = 'handler' | 'manager' | 'table_sup' | 'root' | 'other'

export function processKind (name: string | undefined): ProcessKind {
  if (name === MANAGER) return 'manager'
  if (name === TABLE_SUP) return 'table_sup'
  if (name === ROOT) return 'root'
  if (name?.startsWith(HANDLER_PREFIX) === true) return 'handler'
  return 'other'
}

/** The table a handler's name names, if it is one. */
export function tableOfProcess (name: string | undefined): string | undefined {
  return name?.startsWith(HANDLER_PREFIX) === true ? name.slice(HANDLER_PREFIX.length) : undefined
}

/** A crash: a thrown error, or an exit signal that was not orderly. */
export function isCrash (reason: ExitReason): boolean {
  return reason instanceof Crash || reason === 'killed'
}

/**
 * The process that exited last: the transfers of its tables to their heirs
 * come right after its `exited` event (node.terminate), so they can name it
 * and tell why it went. Tell it every event after handling the event.
 */
export class LastExit {
  private last: { pid: Pid; name: string | undefined; reason: ExitReason } | undefined

  saw (event: NodeEvent): void {
    if (event.type === 'exited') this.last = { pid: event.pid, name: event.name, reason: event.reason }
  }

  /** The name of `pid`: the process that just exited (no longer registered), or a living one. */
  nameOf (pid: Pid, node: Node<unknown>): string | undefined {
    return pid === this.last?.pid ? this.last.name : node.inspect(pid)?.name
  }

  /**
   * Whether a table went to its heir because its owner stopped in order (a
   * drop or a rename stops the table's handler), not because it crashed.
   * A table delivered later from the holding pen counts as crashed: its
   * heir was down.
   */
  orderly (transfer: { from: Pid; inherited: boolean }): boolean {
    return transfer.inherited && transfer.from === this.last?.pid && !isCrash(this.last.reason)
  }
}

/** Logs every node event from now on; returns the function that stops it. */
export function logNodeEvents (node: Node<unknown>, log: FastifyBaseLogger): () => void {
  const exits = new LastExit()
  return node.on(event => {
    logEvent(event, log, exits, node)
    exits.saw(event)
  })
}

function logEvent (event: NodeEvent, log: FastifyBaseLogger, exits: LastExit, node: Node<unknown>): void {
  const nameOf = (pid: Pid): string | undefined => exits.nameOf(pid, node)
  switch (event.type) {
    case 'spawned':
      log.debug({ event: event.type, process: event.name, processPid: event.pid }, 'process started')
      return
    case 'exited': {
      const fields = { event: event.type, process: event.name, processPid: event.pid, table: tableOfProcess(event.name), reason: reasonText(event.reason) }
      if (!isCrash(event.reason)) log.debug(fields, 'process exited')
      else if (processKind(event.name) === 'handler') log.warn(fields, 'table handler crashed; its table goes to its heir')
      else log.error(fields, 'process crashed')
      return
    }
    case 'child_restarted': {
      const supervisor = nameOf(event.supervisor)
      const fields = { event: event.type, process: childName(supervisor, event.id), processPid: event.pid, supervisor, table: supervisor === TABLE_SUP ? event.id : undefined, restarts: event.restarts }
      log.info(fields, 'process restarted by its supervisor')
      return
    }
    case 'table_transferred': {
      const fields = { event: event.type, table: event.table, from: event.from, fromProcess: nameOf(event.from), to: event.to, process: nameOf(event.to), inherited: event.inherited }
      if (exits.orderly(event)) log.debug(fields, 'table given to its heir (its owner stopped: a drop or a rename)')
      else if (event.inherited) log.warn(fields, 'table given to its heir (its owner crashed)')
      else log.info(fields, 'table handed over')
      return
    }
    case 'table_held':
      log.warn({ event: event.type, table: event.table, heir: event.heir }, 'table parked in the holding pen until its heir registers')
      return
    case 'table_lost':
      log.error({ event: event.type, table: event.table, processPid: event.owner, process: nameOf(event.owner) }, 'table lost: its owner exited with no heir')
      return
    case 'supervisor_gave_up':
      log.error({ event: event.type, process: event.name, processPid: event.supervisor, restarts: event.restarts, period: event.period }, 'supervisor gave up: restart intensity exceeded')
  }
}

/** A child's registered name, from its supervisor and child id (handlers are registered as table_handler:<table>). */
function childName (supervisor: string | undefined, id: string): string {
  return supervisor === TABLE_SUP ? `${HANDLER_PREFIX}${id}` : id
}

/** Access-log levels (--access-log); off: no line per request (the default: it is the hot path). */
export type AccessLogLevel = 'off' | 'trace' | 'debug' | 'info' | 'warn'

/** An onResponse hook writing one line per answered request at `level`. */
export function accessLog (level: Exclude<AccessLogLevel, 'off'>): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    request.log[level]({
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    }, 'request')
  }
}
