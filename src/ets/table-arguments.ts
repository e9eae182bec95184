// Argument checks of the table methods: each public method validates with
// these before it changes anything, so a bad argument leaves the table as it was.
import { badarg, EtsError } from './errors.js'
import type { EtsObject, SelectContinuation } from './table-types.js'
import { isTermObject, termBytes, termEquals, type Term } from './term.js'

/** Fixed cost per object on top of its key and value (the pair, the slot). */
const OBJECT_OVERHEAD = 32

/** Estimated bytes of one object; also refuses non-JSON terms with badarg. */
export function objectBytes (key: Term, value: Term): number {
  return OBJECT_OVERHEAD + termBytes(key) + termBytes(value)
}

/** Validates a list of objects before any is stored; returns their sizes. */
export function checkObjects (objects: readonly EtsObject[]): number[] {
  if (!Array.isArray(objects)) throw badarg('objects must be a list')
  return objects.map(checkObject)
}

export function checkObject (object: EtsObject): number {
  if (typeof object !== 'object' || object === null || !Object.hasOwn(object, 'key') || !Object.hasOwn(object, 'value')) {
    throw badarg('an object is {"key": …, "value": …}')
  }
  return objectBytes(object.key, object.value)
}

export function checkLimit (limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw badarg('limit must be a positive integer')
  return limit
}

export function checkContinuation (continuation: SelectContinuation): SelectContinuation {
  const { at, skip } = (continuation ?? {}) as Partial<SelectContinuation>
  if (at === undefined || !Number.isSafeInteger(skip) || skip! < 0) throw new EtsError('bad_cursor', 'a continuation is {"at": cursor, "skip": n}')
  termBytes(at)
  return { at, skip: skip! }
}

/** The value of a select_replace result, which must be the object with its key unchanged. */
export function replacementValue (key: Term, result: Term): Term {
  const names = isTermObject(result) ? Object.keys(result) : []
  const isObject = names.length === 2 && names.includes('key') && names.includes('value')
  if (!isObject || !termEquals((result as { key: Term }).key, key)) {
    throw badarg('a select_replace result must be {"key", "value"} with the key unchanged')
  }
  const value = (result as { value: Term }).value
  termBytes(value)
  return value
}
