// Expressions of a match spec, in guards and in results alike, in JSON
// prefix form: an array whose first element is a string, other than a
// variable ("$1"), "$_" or "$$", is a call ["function", argument…]
// (["const", x] is x itself); any other array is a list built element by
// element, and an object is built member by member. So ["+", "$1", 1] adds,
// ["$1", ["+", "$1", 1]] is a two-element list, and a list that begins with
// a literal string writes that string as ["const", "s"]:
// [["const", "total"], "$1"]. Function names never begin with "$", so the
// two never meet, and a new function can never change what a list means.
//
// Erlang semantics: in a guard, a call that raises (arithmetic on a
// non-number, hd of an empty list…) fails its clause and crashes nothing.
// In a result (a "body"), as in ETS, the call that raises gives the atom
// 'EXIT' (term.ts's EXIT) and evaluation carries on with it: is_atom of it
// is true, it compares as an atom, any arithmetic on it raises again.
import { childPath, compileReference, isSpecialString, specError, type Expr, type MatchContext, type Scope } from './match-scope.js'
import { compareTerms, EXIT, hasOwn, isTermObject, putMember, termEquals, type Term, type TermObject } from './term.js'

/** Thrown by a guard that raises; caught per clause. A constant: raising is common and must be cheap. */
export const GUARD_RAISED: unique symbol = Symbol('guard raised')

function raise (): never {
  throw GUARD_RAISED
}

function num (x: Term): number {
  return typeof x === 'number' ? x : raise()
}

function int (x: Term): number {
  return Number.isInteger(x) ? (x as number) : raise()
}

function nonZero (n: number): number {
  return n === 0 ? raise() : n
}

function bool (x: Term): boolean {
  return typeof x === 'boolean' ? x : raise()
}

function list (x: Term): Term[] {
  return Array.isArray(x) ? x : raise()
}

/** An object term: the EXIT atom, an object to JavaScript, is none. */
function isMap (x: Term): x is TermObject {
  return isTermObject(x) && x !== EXIT
}

function map (x: Term): TermObject {
  return isMap(x) ? x : raise()
}

function nonEmpty (x: Term): Term[] {
  const l = list(x)
  return l.length > 0 ? l : raise()
}

/** JSON has no Infinity: an overflow raises, as Erlang's float overflow does. */
function finite (n: number): number {
  return Number.isFinite(n) ? n + 0 : raise() // + 0 turns -0 into 0
}

interface GuardFunction {
  min: number
  max: number
  apply: (args: Term[]) => Term
}

const fixed = (arity: number, apply: (args: Term[]) => Term): GuardFunction => ({ min: arity, max: arity, apply })

const compare = (test: (order: number) => boolean) => fixed(2, ([a, b]) => test(compareTerms(a, b)))

const typeTest = (test: (x: Term) => boolean) => fixed(1, ([x]) => test(x))

// JSON numbers carry no integer/float tag (1.0 parses as 1), so is_float
// means "has a fractional part" and is_integer "has none".
const FUNCTIONS: Record<string, GuardFunction> = {
  '<': compare(c => c < 0),
  '>': compare(c => c > 0),
  '=<': compare(c => c <= 0),
  '>=': compare(c => c >= 0),
  '==': fixed(2, ([a, b]) => termEquals(a, b)),
  '=:=': fixed(2, ([a, b]) => termEquals(a, b)),
  '/=': fixed(2, ([a, b]) => !termEquals(a, b)),
  '=/=': fixed(2, ([a, b]) => !termEquals(a, b)),
  is_number: typeTest(x => typeof x === 'number'),
  is_integer: typeTest(x => Number.isInteger(x)),
  is_float: typeTest(x => typeof x === 'number' && !Number.isInteger(x)),
  is_atom: typeTest(x => x === null || typeof x === 'boolean' || x === EXIT),
  is_boolean: typeTest(x => typeof x === 'boolean'),
  is_binary: typeTest(x => typeof x === 'string'),
  is_list: typeTest(x => Array.isArray(x)),
  is_map: typeTest(isMap),
  not: fixed(1, ([x]) => !bool(x)),
  and: { min: 1, max: Infinity, apply: args => args.map(bool).every(Boolean) },
  or: { min: 1, max: Infinity, apply: args => args.map(bool).some(Boolean) },
  xor: fixed(2, ([a, b]) => bool(a) !== bool(b)),
  '+': { min: 1, max: 2, apply: ([a, b]) => finite(b === undefined ? num(a) : num(a) + num(b)) },
  '-': { min: 1, max: 2, apply: ([a, b]) => finite(b === undefined ? -num(a) : num(a) - num(b)) },
  '*': fixed(2, ([a, b]) => finite(num(a) * num(b))),
  '/': fixed(2, ([a, b]) => finite(num(a) / nonZero(num(b)))),
  div: fixed(2, ([a, b]) => finite(Math.trunc(int(a) / nonZero(int(b))))),
  rem: fixed(2, ([a, b]) => finite(int(a) % nonZero(int(b)))),
  abs: fixed(1, ([a]) => Math.abs(num(a))),
  // Erlang's element/2 indexes tuples, which JSON has not; here it indexes an array, from 1.
  element: fixed(2, ([n, l]) => {
    const index = int(n)
    const elements = list(l)
    return index >= 1 && index <= elements.length ? elements[index - 1] : raise()
  }),
  map_get: fixed(2, ([name, m]) => {
    const obj = map(m)
    return typeof name === 'string' && hasOwn(obj, name) ? obj[name] : raise()
  }),
  // The map is checked first: is_map_key(K, NotAMap) raises, whatever K is.
  is_map_key: fixed(2, ([name, m]) => {
    const obj = map(m)
    return typeof name === 'string' && hasOwn(obj, name)
  }),
  map_size: fixed(1, ([m]) => Object.keys(map(m)).length),
  length: fixed(1, ([l]) => list(l).length),
  hd: fixed(1, ([l]) => nonEmpty(l)[0]),
  tl: fixed(1, ([l]) => nonEmpty(l).slice(1)),
}

/** Where an expression is: a guard fails its clause when a call raises; a body carries on with EXIT. */
export type ExpressionPlace = 'guard' | 'body'

/** Whether an array is a call: its first element is a string naming a function (no variable, "$_" or "$$"). */
export function isCall (x: Term[]): boolean {
  return typeof x[0] === 'string' && !isSpecialString(x[0])
}

/**
 * Compiles an expression (see the top of the file): a call, `["const", x]`,
 * a variable or `$_`/`$$`, a list or an object built from expressions, or
 * a literal. `andalso`/`orelse` take any number of operands and stop at the
 * first that decides, as Erlang's do.
 */
export function compileExpression (x: Term, path: string, scope: Scope, place: ExpressionPlace = 'guard'): Expr {
  if (typeof x === 'string') return compileReference(x, path, scope) ?? (() => x)
  if (isTermObject(x)) return compileObject(x, path, scope, (y, p, s) => compileExpression(y, p, s, place))
  if (!Array.isArray(x) || x.length === 0) return () => x
  if (!isCall(x)) {
    const elements = x.map((element, i) => compileExpression(element, childPath(path, i), scope, place))
    return ctx => elements.map(element => element(ctx))
  }
  const op = x[0] as string
  if (op === 'const') {
    if (x.length !== 2) throw specError(path, 'const takes one argument')
    const constant = x[1]
    return () => constant
  }
  const args = x.slice(1).map((arg, i) => compileExpression(arg, childPath(path, i + 1), scope, place))
  let call: Expr
  if (op === 'andalso' || op === 'orelse') {
    if (args.length === 0) throw specError(path, `${op} needs an argument`)
    call = shortCircuit(op === 'orelse', args)
  } else {
    const fn = hasOwn(FUNCTIONS, op) ? FUNCTIONS[op] : undefined
    if (fn === undefined) throw specError(childPath(path, 0), `unknown function ${JSON.stringify(op)}`)
    if (args.length < fn.min || args.length > fn.max) throw specError(path, `${op} takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} arguments`)
    call = ctx => fn.apply(args.map(arg => arg(ctx)))
  }
  return place === 'guard' ? call : exitOnRaise(call)
}

/** A body's call: raising gives EXIT, and the context notes it (a result holding EXIT is left out). */
function exitOnRaise (call: Expr): Expr {
  return ctx => {
    try {
      return call(ctx)
    } catch (error) {
      if (error !== GUARD_RAISED) throw error
      ctx.raised = true
      return EXIT
    }
  }
}

// Every operand but the last must be a boolean; the last is returned as is.
function shortCircuit (decidesOn: boolean, args: Expr[]): Expr {
  return (ctx: MatchContext) => {
    for (let i = 0; i < args.length - 1; i++) {
      if (bool(args[i](ctx)) === decidesOn) return decidesOn
    }
    return args[args.length - 1](ctx)
  }
}

/** Builds an object member by member, each compiled with `compile`. */
export function compileObject (x: TermObject, path: string, scope: Scope, compile: (x: Term, path: string, scope: Scope) => Expr): Expr {
  const members = Object.keys(x).map(name => [name, compile(x[name], childPath(path, name), scope)] as const)
  return ctx => {
    const out: TermObject = {}
    for (const [name, expr] of members) putMember(out, name, expr(ctx))
    return out
  }
}
