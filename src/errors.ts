/**
 * The one error catalogue: every failure a client can see, with its stable
 * machine code, HTTP status and title. Codes are stable; details are not.
 * Routes answer them as RFC 9457 problem details (routes/problem.ts); a test
 * checks that `openapi.yaml` names every code and no other.
 */
import type { SettingName } from './config.js'
import type { EtsError, EtsErrorCode } from './ets/errors.js'

export const errors = {
  bad_request: { status: 400, title: 'The request is malformed' },
  validation_failed: { status: 400, title: 'The request does not match the schema' },
  badarg: { status: 400, title: 'The operation does not apply to these arguments' },
  bad_match_spec: { status: 400, title: 'The match spec does not compile' },
  bad_cursor: { status: 400, title: 'The cursor or continuation is malformed: pass back the one the server gave' },
  limit_exceeded: { status: 400, title: 'The request is past a configured limit' },
  unauthorized: { status: 401, title: 'A valid bearer token is required' },
  not_found: { status: 404, title: 'No such route' },
  table_not_found: { status: 404, title: 'No such table' },
  object_not_found: { status: 404, title: 'No object with this key' },
  process_not_found: { status: 404, title: 'No such process' },
  request_timeout: { status: 408, title: 'The request did not arrive in time' },
  table_exists: { status: 409, title: 'A table with this name exists' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json (application/x-ndjson for load)' },
  too_many_tables: { status: 422, title: 'The table limit is reached' },
  internal: { status: 500, title: 'Internal error' },
  process_crashed: { status: 500, title: 'The process handling the request crashed' },
  unavailable: { status: 503, title: 'The table is briefly unavailable; retry' },
  overloaded: { status: 503, title: 'Too many writes are queued for this table; retry' },
  too_many_streams: { status: 503, title: 'Too many change streams are open; retry' },
  memory_quota: { status: 507, title: 'The memory quota for table data is spent' },
  catalog_unavailable: { status: 503, title: 'The catalog could not be written' },
  storage_unavailable: { status: 503, title: 'The durable table\'s disk cannot be written or read: the write was not stored; retry' },
  loading: { status: 503, title: 'The durable table is still being loaded from disk; retry' },
  history_compacted: { status: 410, title: 'The change history no longer reaches back that far (the detail says how to catch up)' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof errors

/** The engine's error codes (src/ets), as this catalogue names them. */
export const ENGINE_ERRORS: Record<EtsErrorCode, ErrorCode> = {
  badarg: 'badarg',
  bad_match_spec: 'bad_match_spec',
  not_found: 'object_not_found',
  bad_cursor: 'bad_cursor',
  limit_exceeded: 'limit_exceeded',
  memory_quota: 'memory_quota',
}

export class HeirloomError extends Error {
  readonly status: number
  constructor (
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; retryAfter?: number; setting?: SettingName; oldest?: number }
  ) {
    super(detail ?? errors[code].title, { cause: options?.cause })
    this.name = 'HeirloomError'
    this.status = errors[code].status
    this.retryAfter = options?.retryAfter
    this.setting = options?.setting
    this.oldest = options?.oldest
  }

  /** Seconds, for the Retry-After header of a 503. */
  readonly retryAfter: number | undefined
  /** The setting whose limit refused the request; the server names its flag. */
  readonly setting: SettingName | undefined
  /** For history_compacted: the oldest revision a watch may still start from. */
  readonly oldest: number | undefined

  /** An engine error (a refused argument, a bad match spec…) under its catalogue code, cause kept. */
  static fromEngine (error: EtsError): HeirloomError {
    return new HeirloomError(ENGINE_ERRORS[error.code], error.message, { cause: error, setting: error.limit })
  }
}
