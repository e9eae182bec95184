// Argument checks of the table methods: each public method validates with
// these before it changes anything, so a bad argument leaves the table as it was.
import { UNBOUNDED, type WriteBudget } from './budget.js'
import { badarg, EtsError } from './errors.js'
import type { EtsObject, SelectContinuation } from './table-types.js'
import { hasOwn, isTermObject, termBytes, termEquals, type Term } from './term.js'

/** Fixed cost per object on top of its key and value (the pair, the slot). */
export const OBJECT_OVERHEAD = 32

/**
 * Bytes of one object (its key's and value's JSON, plus the pair); also
 * refuses non-JSON terms with badarg, and a value past the budget's
 * maxValueBytes (measured with that cap, so a huge one costs no more).
 */
export function objectBytes (key: Term, value: Term, budget: WriteBudget = UNBOUNDED): number {
  const valueBytes = termBytes(value, budget.maxValueBytes)
  budget.checkValue(valueBytes)
  return OBJECT_OVERHEAD + termBytes(key) + valueBytes
}

/** Validates a list of objects before any is stored; returns their sizes. */
export function checkObjects (objects: readonly EtsObject[], budget: WriteBudget = UNBOUNDED): number[] {
  if (!Array.isArray(objects)) throw badarg('objects must be a list')
  return objects.map(object => checkObject(object, budget))
}

export function checkObject (object: EtsObject, budget: WriteBudget = UNBOUNDED): number {
  if (typeof object !== 'object' || object === null || !hasOwn(object, 'key') || !hasOwn(object, 'value')) {
    throw badarg('an object is {"key": …, "value": …}')
  }
  return objectBytes(object.key, object.value, budget)
}

export function checkLimit (limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw badarg('limit must be a positive integer')
  return limit
}

export function checkContinuation (continuation: SelectContinuation): SelectContinuation {
  const { at, skip } = (continuation ?? {}) as Partial<SelectContinuation>
  if (at === undefined || !Number.isSafeInteger(skip) || skip! < 0) throw new EtsError('bad_cursor', 'a continuation is {"at": cursor, "skip": n}')
  checkCursor(at)
  return { at, skip: skip! }
}

/** A cursor must be a JSON term; a forged one that is not (too deep, not JSON) is bad_cursor, not badarg. */
export function checkCursor (cursor: Term): void {
  try {
    termBytes(cursor)
  } catch (error) {
    throw new EtsError('bad_cursor', `not a cursor this server gave: ${(error as Error).message}`, { cause: error })
  }
}

/** The value of a select_replace result, which must be the object with its key unchanged (its size is checked when stored). */
export function replacementValue (key: Term, result: Term): Term {
  const names = isTermObject(result) ? Object.keys(result) : []
  const isObject = names.length === 2 && names.includes('key') && names.includes('value')
  if (!isObject || !termEquals((result as { key: Term }).key, key)) {
    throw badarg('a select_replace result must be {"key", "value"} with the key unchanged')
  }
  return (result as { value: Term }).value
}
