// ETS's positions, for JSON values. An ETS object is a tuple {Key, Value…}
// and lookup_element/update_element name an element by its position; a
// Heirloom object is {key, value} with any JSON value, so a position is the
// value itself (no path: ETS position 2) or a member of an object value
// (`path`: a member name, as update_counter's `path`). A member that is not
// there is badarg, as a position past the tuple's size is in ETS: neither
// operation adds members.
import { badarg } from './errors.js'
import { copyObject, hasOwn, isTermObject, putMember, type Term } from './term.js'

/** One update_element step: the member `path` of the value (or the value itself) becomes `value`. */
export interface ElementUpdate {
  path?: string
  value: Term
}

/** The element at the path of a value. O(1). */
export function elementOf (value: Term, path: string | undefined): Term {
  if (path === undefined) return value
  if (typeof path !== 'string') throw badarg('path must be a member name')
  if (!isTermObject(value)) throw badarg(`path ${JSON.stringify(path)} needs an object value`)
  if (!hasOwn(value, path)) throw badarg(`the value has no member ${JSON.stringify(path)}`)
  return value[path]
}

/**
 * The value with each update applied in order (a later update of the same
 * member wins, as in ETS). Pure: throws badarg before anything is stored.
 * O(updates · members).
 */
export function withElements (value: Term, updates: readonly ElementUpdate[]): Term {
  checkElementUpdates(updates)
  // The copy this call made: later updates change it in place (one copy per call, not one per update).
  let own: Record<string, Term> | undefined
  for (const update of updates) {
    if (update.path === undefined) {
      value = update.value
      continue
    }
    elementOf(value, update.path)
    if (value !== own) own = copyObject(value as Record<string, Term>)
    putMember(own, update.path, update.value)
    value = own
  }
  return value
}

/** Refuses updates that are not a non-empty list of {"path"?, "value"}, whatever the table holds. O(updates). */
export function checkElementUpdates (updates: readonly ElementUpdate[]): void {
  if (!Array.isArray(updates) || updates.length === 0) throw badarg('update_element needs at least one {"path"?, "value"}')
  for (const update of updates) {
    if (typeof update !== 'object' || update === null || !hasOwn(update, 'value')) throw badarg('an element update is {"path"?, "value"}')
    if (update.path !== undefined && typeof update.path !== 'string') throw badarg('path must be a member name')
  }
}
