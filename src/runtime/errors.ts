import type { ExitReason } from './types.js'
import { reasonText } from './types.js'

/**
 * Why a `call` failed. `delivered` says whether the target started handling
 * the request: a request that was never delivered was certainly not applied,
 * so a caller may send it again (the table client does, to ride out a
 * handler restart).
 */
export class CallError extends Error {
  constructor (
    readonly reason: 'noproc' | 'timeout' | 'exit',
    readonly delivered: boolean,
    readonly exitReason?: ExitReason
  ) {
    super(reason === 'exit' ? `process exited: ${reasonText(exitReason!)}` : reason)
    this.name = 'CallError'
  }
}

/** Why the runtime refused an operation: the reasons Erlang gives as badarg or as a supervisor's error tuple. */
export type RuntimeErrorCode =
  | 'already_registered' | 'process_dead'
  | 'table_exists' | 'no_table' | 'not_owner' | 'already_owner'
  | 'bad_flags' | 'bad_child_spec' | 'bad_request'
  | 'already_started' | 'already_present' | 'not_found' | 'running'

/** A runtime operation refused for a reason Erlang would give as badarg. */
export class RuntimeError extends Error {
  constructor (readonly code: RuntimeErrorCode, message: string) {
    super(message)
    this.name = 'RuntimeError'
  }
}
