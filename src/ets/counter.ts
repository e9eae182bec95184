import { badarg } from './errors.js'
import { copyObject, hasOwn, isTermObject, putMember, type Term } from './term.js'

/**
 * One step of update_counter: add `incr` to the counter, which is the value
 * itself or, with `path`, the member of that name of an object value (where
 * ETS names a tuple position). With a threshold, a result past it (above
 * for an incr ≥ 0, below for a negative one) becomes `setValue`.
 */
export interface CounterOp {
  incr: number
  threshold?: number
  setValue?: number
  path?: string
}

/** A bare increment, one step, or a list of steps applied in order. */
export type CounterOps = number | CounterOp | readonly CounterOp[]

const OP_MEMBERS = new Set(['incr', 'threshold', 'setValue', 'path'])

/** Validates the steps up front, so a bad one fails before anything is read. */
export function parseCounterOps (ops: CounterOps): CounterOp[] {
  if (typeof ops === 'number') return [parseCounterOp({ incr: ops })]
  return (Array.isArray(ops) ? ops : [ops as CounterOp]).map(parseCounterOp)
}

// Counters are integers, as in ETS (it refuses floats with badarg): a JSON
// number is a double, so only safe integers (|n| < 2^53) count exactly.
function parseCounterOp (op: CounterOp): CounterOp {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) throw badarg('a counter step is {"incr": n, …}')
  for (const name of Object.keys(op)) if (!OP_MEMBERS.has(name)) throw badarg(`unknown counter step member ${name}`)
  if (!Number.isSafeInteger(op.incr)) throw badarg('incr must be an integer')
  if ((op.threshold === undefined) !== (op.setValue === undefined)) throw badarg('threshold and setValue go together')
  if (op.threshold !== undefined && !(Number.isSafeInteger(op.threshold) && Number.isSafeInteger(op.setValue))) {
    throw badarg('threshold and setValue must be integers')
  }
  if (op.path !== undefined && typeof op.path !== 'string') throw badarg('path must be a member name')
  return op
}

/**
 * Applies the steps to a value; returns the new value and the counter after
 * each step. Pure: throws badarg (non-integer counter, missing member,
 * overflow) before the caller stores anything. O(steps · members).
 */
export function applyCounterOps (value: Term, ops: readonly CounterOp[]): { value: Term; results: number[] } {
  const results: number[] = []
  // The copy this call made: later steps change it in place (one copy per call, not one per step).
  let own: Record<string, Term> | undefined
  for (const op of ops) {
    const counter = op.path === undefined ? value : memberOf(value, op.path)
    if (!Number.isSafeInteger(counter)) throw badarg('the counter is not an integer')
    let next = (counter as number) + op.incr
    if (!Number.isSafeInteger(next)) throw badarg('the counter would leave the safe integer range')
    if (op.threshold !== undefined && ((op.incr >= 0 && next > op.threshold) || (op.incr < 0 && next < op.threshold))) {
      next = op.setValue as number
    }
    if (op.path === undefined) {
      value = next
    } else {
      if (value !== own) own = copyObject(value as Record<string, Term>)
      putMember(own, op.path, next)
      value = own
    }
    results.push(next)
  }
  return { value, results }
}

function memberOf (value: Term, name: string): Term | undefined {
  if (!isTermObject(value)) throw badarg(`path ${JSON.stringify(name)} needs an object value`)
  if (!hasOwn(value, name)) throw badarg(`the value has no member ${JSON.stringify(name)} to count in`)
  return value[name]
}
