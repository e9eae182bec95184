// The operations of a differential sequence, as data, and their Erlang form
// for the driver (driver.escript lists the Erlang side).
import type { CounterOp } from '../../src/ets/counter.js'
import type { EtsObject } from '../../src/ets/table.js'
import { isCall } from '../../src/ets/match-guards.js'
import { isTermObject, type Term } from '../../src/ets/term.js'
import { atom, type ETerm, fromJson, fromObject, int, list, tuple } from './erlang-term.js'

/** A counter step without `path`: Heirloom's member-of-an-object variant has no ETS equivalent. */
export type CounterStep = Omit<CounterOp, 'path'>

export type Op =
  | { op: 'insert' | 'insert_new'; objects: EtsObject[] }
  | { op: 'lookup' | 'member' | 'delete' | 'take' | 'next' | 'prev'; key: Term }
  | { op: 'delete_object'; object: EtsObject }
  | { op: 'delete_all_objects' | 'first' | 'last' | 'walk_next' | 'walk_prev' | 'dump' }
  | { op: 'update_counter'; key: Term; ops: number | CounterStep | CounterStep[]; default?: EtsObject }
  | { op: 'select' | 'select_reverse'; spec: Term[]; limit?: number }
  | { op: 'select_count' | 'select_delete' | 'select_replace'; spec: Term[] }
  | { op: 'match' | 'match_object'; pattern: Term; limit?: number }
  | { op: 'match_delete'; pattern: Term }
  | { op: 'lookup_element'; key: Term }
  | { op: 'update_element'; key: Term; elements: ElementStep | ElementStep[] }

/** An update_element step without `path`: a member of an object value has no ETS position (ETS's is 2, the value). */
export interface ElementStep { value: Term }

/** The driver's form of an operation. */
export function toErlang (op: Op): ETerm {
  switch (op.op) {
    case 'insert':
    case 'insert_new':
      return tuple(atom(op.op), list(op.objects.map(fromObject)))
    case 'lookup': case 'member': case 'delete': case 'take': case 'next': case 'prev':
      return tuple(atom(op.op), fromJson(op.key))
    case 'delete_object': return tuple(atom(op.op), fromObject(op.object))
    case 'dump': return atom('tab2list')
    case 'delete_all_objects': case 'first': case 'last': case 'walk_next': case 'walk_prev':
      return atom(op.op)
    case 'update_counter': {
      const args = [atom(op.op), fromJson(op.key), counterOps(op.ops)]
      return tuple(...args, ...(op.default === undefined ? [] : [fromObject(op.default)]))
    }
    case 'select': case 'select_reverse':
      return tuple(atom(op.op), matchSpec(op.spec), ...(op.limit === undefined ? [] : [int(op.limit)]))
    case 'select_count': case 'select_delete': case 'select_replace':
      return tuple(atom(op.op), matchSpec(op.spec))
    case 'match': case 'match_object':
      return tuple(atom(op.op), head(op.pattern), ...(op.limit === undefined ? [] : [int(op.limit)]))
    case 'match_delete': return tuple(atom(op.op), head(op.pattern))
    case 'lookup_element': return tuple(atom(op.op), fromJson(op.key), int(2))
    case 'update_element': {
      const step = (e: ElementStep): ETerm => tuple(int(2), fromJson(e.value))
      return tuple(atom(op.op), fromJson(op.key), Array.isArray(op.elements) ? list(op.elements.map(step)) : step(op.elements))
    }
  }
}

// A bare increment is ETS's Incr; a step is {Pos, Incr} or {Pos, Incr,
// Threshold, SetValue} with Pos 2, the value's position in {Key, Value}.
// A step with only one of threshold/setValue becomes a 3-tuple: badarg in
// ETS, as in Heirloom.
function counterOps (ops: number | CounterStep | CounterStep[]): ETerm {
  if (typeof ops === 'number') return int(ops)
  if (Array.isArray(ops)) return list(ops.map(counterStep))
  return counterStep(ops)
}

function counterStep (step: CounterStep): ETerm {
  const extra = [step.threshold, step.setValue].filter(n => n !== undefined).map(n => int(n))
  return tuple(int(2), int(step.incr), ...extra)
}

// ── match specs: JSON → Erlang ──
// A clause {head, guards, result} is {Head, Guards, [Result]}. The head
// {"key": K, "value": V} is the tuple {K, V} (a missing member is '_'); "_",
// "$N", "$_" and "$$" are atoms; other strings binaries; arrays in patterns
// lists. Guards and results are expressions, one syntax (match-guards.ts):
// a call ["op", arg…] ↔ {op, Arg…}, ["const", x] ↔ {const, X}, any other
// array a list of expressions, an object a map of them.

const isVariable = (s: string): boolean => /^\$(?:0|[1-9][0-9]{0,8})$/.test(s)

function special (s: string): ETerm {
  return s === '_' || s === '$_' || s === '$$' || isVariable(s) ? atom(s) : fromJson(s)
}

export function matchSpec (spec: Term[]): ETerm {
  return list(spec.map(clause => {
    if (!isTermObject(clause)) throw new Error('a generated clause is an object')
    const guards = (clause.guards ?? []) as Term[]
    return tuple(head(clause.head), list(guards.map(expression)), list([result(clause.result)]))
  }))
}

export function head (h: Term): ETerm {
  if (isTermObject(h) && Object.keys(h).every(name => name === 'key' || name === 'value')) {
    return tuple(pattern(Object.hasOwn(h, 'key') ? h.key : '_'), pattern(Object.hasOwn(h, 'value') ? h.value : '_'))
  }
  return pattern(h) // an object naming other members is a map pattern: it matches no {K, V}, as in Heirloom
}

function pattern (p: Term): ETerm {
  if (typeof p === 'string') return special(p)
  if (Array.isArray(p)) return list(p.map(pattern))
  if (isTermObject(p)) return { t: 'map', v: Object.keys(p).map(name => [fromJson(name), pattern(p[name])]) }
  return fromJson(p)
}

function expression (x: Term): ETerm {
  if (typeof x === 'string') return special(x)
  if (isTermObject(x)) return { t: 'map', v: Object.keys(x).map(name => [fromJson(name), expression(x[name])]) }
  if (!Array.isArray(x) || x.length === 0) return fromJson(x)
  if (!isCall(x)) return list(x.map(expression))
  if (x[0] === 'const') return tuple(atom('const'), fromJson(x[1]))
  return tuple(atom(x[0] as string), ...x.slice(1).map(expression))
}

// In a match spec body a tuple is written {{…}}: the top-level result
// {"key": K, "value": V} is the object {K, V}, which select_replace needs.
function result (r: Term): ETerm {
  if (isTermObject(r) && Object.keys(r).length === 2 && Object.hasOwn(r, 'key') && Object.hasOwn(r, 'value')) {
    return tuple(tuple(expression(r.key), expression(r.value)))
  }
  return expression(r)
}
