/**
 * Errors raised by the table engine. The `code` is stable (callers map it to
 * HTTP problems); the message is for humans and may change.
 *
 * - `badarg`: what ETS answers with `badarg` (wrong argument, wrong table
 *   type for the operation, not a JSON term, a bad cursor…).
 * - `bad_match_spec`: a match spec that does not compile; `path` says where
 *   (for example `[0].guards[1]`).
 * - `not_found`: the operation needs an object that is not there
 *   (merge patch on a missing key).
 * - `bad_cursor`: a page cursor or select continuation of the wrong shape
 *   (ETS would say badarg; callers pass these back opaquely, so a bad one
 *   is its own error).
 * - `limit_exceeded`: past a limit the caller set (value size, match-spec
 *   size, result size); `limit` names it.
 * - `memory_quota`: the write would grow the table past what its budget allows.
 */
export type EtsErrorCode = 'badarg' | 'bad_match_spec' | 'not_found' | 'bad_cursor' | 'limit_exceeded' | 'memory_quota'

/** The limits the engine enforces for its callers, by the names the server's settings give them. */
export type EngineLimit = 'maxValueBytes' | 'maxResponseBytes' | 'maxSpecTerms' | 'maxMemory'

export class EtsError extends Error {
  override readonly name = 'EtsError'
  readonly code: EtsErrorCode
  readonly path?: string
  /** The limit that refused the call (limit_exceeded, memory_quota). */
  readonly limit?: EngineLimit

  constructor (code: EtsErrorCode, message: string, options: { path?: string; cause?: unknown; limit?: EngineLimit } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.path !== undefined) this.path = options.path
    if (options.limit !== undefined) this.limit = options.limit
  }
}

export function badarg (message: string): EtsError {
  return new EtsError('badarg', message)
}
