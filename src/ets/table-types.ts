import type { CompiledMatchSpec } from './match-spec.js'
import type { Term } from './term.js'

export type TableType = 'set' | 'ordered_set' | 'bag' | 'duplicate_bag'

export const TABLE_TYPES: readonly TableType[] = ['set', 'ordered_set', 'bag', 'duplicate_bag']

export interface EtsObject {
  key: Term
  value: Term
}

/**
 * A page of `page()`. `nextAfter`, present when more objects may follow, is
 * the opaque cursor to pass back as `after`: the last key of the page for
 * ordered_set, `{ "seq": n }` (a position in insertion order) for the hash
 * types. Either stays valid when its object is deleted meanwhile.
 */
export interface Page {
  objects: EtsObject[]
  nextAfter?: Term
}

export interface PageOptions {
  /** A `nextAfter` from an earlier page (for ordered_set any key will do). */
  after?: Term
  /** Keys per page; a bag's objects of one key are never split across pages. */
  limit: number
  reverse?: boolean
  /** Inclusive key range, ordered_set only. */
  from?: Term
  to?: Term
  /** The page ends before the key whose objects would pass this many bytes of JSON. */
  maxBytes?: number
}

/** Where `select` resumes: at the bucket named by the cursor `at`, skipping `skip` objects of it. */
export type SelectContinuation = { at: Term; skip: number }

/** Where a scan resumes, and when it should hand back a continuation to let others run. */
export interface ScanOptions {
  continuation?: SelectContinuation
  /** Asked after each object visited; true ends the chunk there (see `Table.select`). */
  pause?: () => boolean
  /** ordered_set: backwards, as ETS select_reverse (the hash types ignore it, as ETS does). */
  reverse?: boolean
}

export interface SelectOptions extends ScanOptions {
  /** At most this many results per call; more come with a continuation. */
  limit?: number
  /** At most this many bytes of results' JSON per call; more come with a continuation. */
  maxBytes?: number
  /**
   * The call continues a page that already holds results (a caller's
   * slices): its first result past `maxBytes` ends the chunk (`bytes`)
   * like any other, instead of being refused as one result too large.
   */
  continuesPage?: boolean
}

export interface SelectChunk {
  results: Term[]
  continuation?: SelectContinuation
  /** Bytes of the results' JSON (counted only with `maxBytes`). */
  bytes?: number
  /** Why a chunk with a continuation ended: its limit, its bytes, or a pause. */
  stopped?: 'limit' | 'bytes' | 'pause'
}

export interface CountChunk {
  count: number
  continuation?: SelectContinuation
}

/** A match spec as JSON, or compiled once with compileMatchSpec for reuse. */
export type MatchSpec = Term | CompiledMatchSpec

export interface TableInfo {
  type: TableType
  size: number
  memory: number
  keys: number
  /** Selects that had to scan the whole table (a literal-key head looks up instead, a key range walks only it). */
  fullScans: number
  /** Keys the match-spec operations (select and its kin) have visited: what a range walk saves. */
  keysVisited: number
}
