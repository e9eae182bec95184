// Guard expressions of a match spec, in JSON prefix form: ["op", arg…].
// Erlang semantics: a guard that raises (arithmetic on a non-number, hd of
// an empty list…) does not crash anything, its clause just does not match.
import { childPath, compileReference, specError, type Expr, type MatchContext, type Scope } from './match-scope.js'
import { compareTerms, isTermObject, putMember, termEquals, type Term, type TermObject } from './term.js'

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

function map (x: Term): TermObject {
  return isTermObject(x) ? x : raise()
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
  is_atom: typeTest(x => x === null || typeof x === 'boolean'),
  is_boolean: typeTest(x => typeof x === 'boolean'),
  is_binary: typeTest(x => typeof x === 'string'),
  is_list: typeTest(x => Array.isArray(x)),
  is_map: typeTest(x => isTermObject(x)),
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
  map_get: fixed(2, ([name, m]) => {
    const obj = map(m)
    return typeof name === 'string' && Object.hasOwn(obj, name) ? obj[name] : raise()
  }),
  // The map is checked first: is_map_key(K, NotAMap) raises, whatever K is.
  is_map_key: fixed(2, ([name, m]) => {
    const obj = map(m)
    return typeof name === 'string' && Object.hasOwn(obj, name)
  }),
  map_size: fixed(1, ([m]) => Object.keys(map(m)).length),
  length: fixed(1, ([l]) => list(l).length),
  hd: fixed(1, ([l]) => nonEmpty(l)[0]),
  tl: fixed(1, ([l]) => nonEmpty(l).slice(1)),
}

/**
 * Compiles a guard expression: a call `["op", arg…]`, `["const", x]`, a
 * variable or `$_`/`$$`, an object (built member by member), or a literal.
 * `andalso`/`orelse` take any number of operands and stop at the first
 * that decides, as Erlang's do.
 */
export function compileExpression (x: Term, path: string, scope: Scope): Expr {
  if (typeof x === 'string') return compileReference(x, path, scope) ?? (() => x)
  if (isTermObject(x)) return compileObject(x, path, scope, compileExpression)
  if (!Array.isArray(x) || x.length === 0) return () => x
  const op = x[0]
  if (typeof op !== 'string') throw specError(path, 'a guard call is ["operator", argument…]')
  if (op === 'const') {
    if (x.length !== 2) throw specError(path, 'const takes one argument')
    const constant = x[1]
    return () => constant
  }
  const args = x.slice(1).map((arg, i) => compileExpression(arg, childPath(path, i + 1), scope))
  if (op === 'andalso' || op === 'orelse') {
    if (args.length === 0) throw specError(path, `${op} needs an argument`)
    return shortCircuit(op === 'orelse', args)
  }
  const fn = Object.hasOwn(FUNCTIONS, op) ? FUNCTIONS[op] : undefined
  if (fn === undefined) throw specError(childPath(path, 0), `unknown guard function ${JSON.stringify(op)}`)
  if (args.length < fn.min || args.length > fn.max) throw specError(path, `${op} takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} arguments`)
  return ctx => fn.apply(args.map(arg => arg(ctx)))
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
