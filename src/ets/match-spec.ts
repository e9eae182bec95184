// Match specs in JSON, compiled to closures (request data is never run as
// code). A spec is a list of clauses `{ "head", "guards"?, "result" }`,
// tried in order on an object `{ "key": …, "value": … }`; the first clause
// whose head matches and whose guards are all `true` gives the result.
//
// Head patterns: "_" matches anything; "$1", "$2"… bind on first sight and
// must match an equal term after; an object pattern matches an object that
// has every member it names (like an Erlang map pattern), an array pattern
// an array of the same length; anything else matches an equal term. There is
// no way to match the literal strings "_" or "$1" in a head; use a guard:
// ["=:=", "$1", ["const", "_"]].
// Guards: see match-guards.ts. Result: "$_" (the object), "$$" (the bound
// variables in number order), or a template: any term with those
// substituted, arrays and objects recursively; ["const", x] stands for x.
import { compileExpression, compileObject, GUARD_RAISED } from './match-guards.js'
import { EtsError } from './errors.js'
import { childPath, compileReference, isSpecialString, Scope, specError, variableNumber, type Expr } from './match-scope.js'
import { distinctTerms, isTermObject, termEquals, type Term } from './term.js'

export const NO_MATCH: unique symbol = Symbol('no match')

type Matcher = (t: Term, vars: Term[]) => boolean
type HeadMatcher = (key: Term, value: Term, vars: Term[]) => boolean

interface Clause {
  readonly slots: number
  readonly head: HeadMatcher
  readonly guards: readonly Expr[]
  readonly result: Expr
  /** The one key the head can match, when its key pattern is a literal. */
  readonly literalKey?: { key: Term }
  /** Whether the result is sure to keep the object's key (select_replace needs it). */
  readonly keepsKey: boolean
}

const CLAUSE_MEMBERS = new Set(['head', 'guards', 'result'])

/** The literalKey of a head that cannot match any object. */
const NEVER = { key: null }

export class CompiledMatchSpec {
  /**
   * The keys the spec can match, when every clause's head names a literal
   * key: a table then looks them up instead of scanning. Undefined otherwise.
   */
  readonly keys: readonly Term[] | undefined
  /** Every clause keeps the key: ETS's condition for select_replace (db_match_keeps_key). */
  readonly keepsKey: boolean

  constructor (private readonly clauses: readonly Clause[]) {
    // Clauses that can match nothing do not stop the others' keys being looked up (as in ETS).
    const literal = clauses.map(c => c.literalKey).filter(k => k !== NEVER)
    this.keys = literal.every(k => k !== undefined) ? distinctTerms(literal.map(k => k!.key)) : undefined
    this.keepsKey = clauses.every(c => c.keepsKey)
  }

  /** The result of the first matching clause, or NO_MATCH. O(size of spec + matched terms). */
  match (key: Term, value: Term): Term | typeof NO_MATCH {
    for (const clause of this.clauses) {
      const vars: Term[] = new Array(clause.slots)
      if (!clause.head(key, value, vars)) continue
      const ctx = { key, value, vars }
      try {
        if (clause.guards.every(guard => guard(ctx) === true)) return clause.result(ctx)
      } catch (error) {
        if (error !== GUARD_RAISED) throw error
      }
    }
    return NO_MATCH
  }
}

/**
 * Compiles a JSON match spec; throws EtsError 'bad_match_spec' with the path
 * of the first fault. With `maxTerms`, a spec of more terms (every JSON
 * value in it, containers included) is limit_exceeded before anything is
 * compiled: the work per object matched, and the size of each result, are
 * at most proportional to the spec's size (plus the terms it compares), so
 * this bounds what one object can cost a select, select_delete or
 * select_replace.
 */
export function compileMatchSpec (spec: Term, options: { maxTerms?: number } = {}): CompiledMatchSpec {
  if (!Array.isArray(spec)) throw specError('', 'a match spec is a list of clauses')
  const { maxTerms } = options
  if (maxTerms !== undefined && countTerms(spec, maxTerms) > maxTerms) {
    throw new EtsError('limit_exceeded', `the match spec has more than ${maxTerms} terms`, { limit: 'maxSpecTerms' })
  }
  return new CompiledMatchSpec(spec.map((clause, i) => compileClause(clause, `[${i}]`)))
}

/** Terms in a term (itself, its elements and member values, recursively), counted up to just past `cap`. Iterative. */
function countTerms (term: Term, cap: number): number {
  const stack: Term[] = [term]
  let count = 0
  while (stack.length > 0 && count <= cap) {
    const t = stack.pop()!
    count++
    if (Array.isArray(t)) for (const element of t) stack.push(element)
    else if (isTermObject(t)) for (const name of Object.keys(t)) stack.push(t[name])
  }
  return count
}

function compileClause (clause: Term, path: string): Clause {
  if (!isTermObject(clause)) throw specError(path, 'a clause is {"head", "guards", "result"}')
  for (const name of Object.keys(clause)) {
    if (!CLAUSE_MEMBERS.has(name)) throw specError(childPath(path, name), 'unknown clause member')
  }
  if (!Object.hasOwn(clause, 'head')) throw specError(childPath(path, 'head'), 'a clause needs a head')
  if (!Object.hasOwn(clause, 'result')) throw specError(childPath(path, 'result'), 'a clause needs a result')
  const guards = Object.hasOwn(clause, 'guards') ? clause.guards : []
  if (!Array.isArray(guards)) throw specError(childPath(path, 'guards'), 'guards is a list')
  const scope = new Scope()
  const { head, literalKey } = compileHead(clause.head, childPath(path, 'head'), scope)
  return {
    head,
    literalKey,
    guards: guards.map((guard, i) => compileExpression(guard, childPath(childPath(path, 'guards'), i), scope)),
    result: compileTemplate(clause.result, childPath(path, 'result'), scope),
    slots: scope.size,
    keepsKey: keepsKey(clause.head, clause.result),
  }
}

/**
 * ETS's select_replace rule (db_match_keeps_key in erl_db_util.c): the
 * result is the object itself ("$_"), or {"key": K, "value": …} where K is
 * the head's key pattern as written (variables, literals and arrays of
 * them; no "_", no object pattern), or ["const", K] for a literal key.
 */
function keepsKey (head: Term, result: Term): boolean {
  if (result === '$_') return true
  if (!isTermObject(head) || !Object.hasOwn(head, 'key') || !keyPatternKeepable(head.key)) return false
  if (Object.keys(head).some(name => name !== 'key' && name !== 'value')) return false
  if (!isTermObject(result) || Object.keys(result).length !== 2 || !Object.hasOwn(result, 'key') || !Object.hasOwn(result, 'value')) return false
  const k = result.key
  if (termEquals(k, head.key)) return true
  return Array.isArray(k) && k.length === 2 && k[0] === 'const' && isLiteral(head.key) && termEquals(k[1], head.key)
}

function keyPatternKeepable (pattern: Term): boolean {
  if (pattern === '_' || isTermObject(pattern)) return false
  return Array.isArray(pattern) ? pattern.every(keyPatternKeepable) : true
}

// The matched object is {key, value}; a head that is an object pattern is
// matched against the two fields without building that object.
function compileHead (head: Term, path: string, scope: Scope): { head: HeadMatcher; literalKey?: { key: Term } } {
  if (!isTermObject(head)) {
    const match = compilePattern(head, path, scope)
    // Only "_" or a variable can match an object; an array, number… never does.
    const anything = head === '_' || (typeof head === 'string' && variableNumber(head) !== undefined)
    return { head: (key, value, vars) => match({ key, value }, vars), literalKey: anything ? undefined : NEVER }
  }
  const members = Object.keys(head).map(name => ({ name, match: compilePattern(head[name], childPath(path, name), scope) }))
  if (members.some(m => m.name !== 'key' && m.name !== 'value')) return { head: () => false, literalKey: NEVER }
  const keyPattern = Object.hasOwn(head, 'key') ? head.key : '_'
  return {
    head: (key, value, vars) => members.every(m => m.match(m.name === 'key' ? key : value, vars)),
    // As in ETS, a key pattern with no variable and no "_" is looked up when
    // every clause has one: an object in it then finds only that exact key,
    // whereas a scan (some clause without a literal key) matches it partially.
    literalKey: isLiteral(keyPattern) ? { key: keyPattern } : undefined,
  }
}

/** A pattern with no wildcard and no variable anywhere: it names one term. */
function isLiteral (pattern: Term): boolean {
  if (typeof pattern === 'string') return !isSpecialString(pattern)
  if (Array.isArray(pattern)) return pattern.every(isLiteral)
  if (isTermObject(pattern)) return Object.values(pattern).every(isLiteral)
  return true
}

function compilePattern (pattern: Term, path: string, scope: Scope): Matcher {
  if (typeof pattern === 'string') return compileStringPattern(pattern, path, scope)
  if (Array.isArray(pattern)) {
    const elements = pattern.map((p, i) => compilePattern(p, childPath(path, i), scope))
    return (t, vars) => Array.isArray(t) && t.length === elements.length && elements.every((match, i) => match(t[i], vars))
  }
  if (isTermObject(pattern)) {
    const members = Object.keys(pattern).map(name => ({ name, match: compilePattern(pattern[name], childPath(path, name), scope) }))
    return (t, vars) => isTermObject(t) && members.every(m => Object.hasOwn(t, m.name) && m.match(t[m.name], vars))
  }
  return t => t === pattern // numbers, booleans, null; -0 === 0 as the term order says
}

function compileStringPattern (pattern: string, path: string, scope: Scope): Matcher {
  if (pattern === '_') return () => true
  if (pattern === '$_' || pattern === '$$') throw specError(path, `${pattern} is only allowed in guards and result`)
  const variable = variableNumber(pattern)
  if (variable === undefined) return t => t === pattern
  const { slot, first } = scope.bind(variable)
  if (first) {
    return (t, vars) => {
      vars[slot] = t
      return true
    }
  }
  return (t, vars) => termEquals(t, vars[slot])
}

/** A result: "$_", "$$", a variable, or a template built from them; ["const", x] is x. */
function compileTemplate (x: Term, path: string, scope: Scope): Expr {
  if (typeof x === 'string') return compileReference(x, path, scope) ?? (() => x)
  if (isTermObject(x)) return compileObject(x, path, scope, compileTemplate)
  if (!Array.isArray(x)) return () => x
  if (x.length === 2 && x[0] === 'const') {
    const constant = x[1]
    return () => constant
  }
  const elements = x.map((element, i) => compileTemplate(element, childPath(path, i), scope))
  return ctx => elements.map(element => element(ctx))
}
