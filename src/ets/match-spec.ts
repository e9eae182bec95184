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
// Guards and result are expressions, one syntax for both (match-guards.ts):
// "$_" (the object), "$$" (the bound variables in number order), a
// variable, a call ["function", argument…], or a list or object built from
// expressions; ["const", x] stands for x.
import { compileExpression, GUARD_RAISED, isCall } from './match-guards.js'
import { EtsError } from './errors.js'
import { hullOf, keyRangeOf, type KeyRange } from './key-range.js'
import { childPath, isLiteral, Scope, specError, variableNumber, type Expr, type MatchContext } from './match-scope.js'
import { distinctTerms, EXIT, hasOwn, isTermObject, termEquals, type Term } from './term.js'

export const NO_MATCH: unique symbol = Symbol('no match')
/**
 * A clause matched but its result holds the atom 'EXIT' (a call in it
 * raised, as ETS puts it there). JSON cannot say 'EXIT': a select leaves
 * the result out, select_count and select_delete do not count it (it is
 * not `true`, as in ETS), select_replace refuses the call (ETS would store
 * 'EXIT' in the value).
 */
export const RAISED: unique symbol = Symbol('raised')

type Matcher = (t: Term, vars: Term[]) => boolean
type HeadMatcher = (key: Term, value: Term, vars: Term[]) => boolean

interface Clause {
  readonly slots: number
  readonly head: HeadMatcher
  readonly guards: readonly Expr[]
  readonly result: Expr
  /** The one key the head can match, when its key pattern is a literal. */
  readonly literalKey?: { key: Term }
  /** The keys the head can match, in term order; undefined: any key. */
  readonly keyRange?: KeyRange
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
  /**
   * The range of term order holding every key the spec can match, when
   * every clause's key pattern bounds one (see key-range.ts): an
   * ordered_set walks only it. Undefined: some clause matches any key.
   */
  readonly range: KeyRange | undefined

  constructor (private readonly clauses: readonly Clause[]) {
    // Clauses that can match nothing do not stop the others' keys being looked up (as in ETS).
    const live = clauses.filter(c => c.literalKey !== NEVER)
    const literal = live.map(c => c.literalKey)
    this.keys = literal.every(k => k !== undefined) ? distinctTerms(literal.map(k => k!.key)) : undefined
    this.keepsKey = clauses.every(c => c.keepsKey)
    this.range = live.length === 0 ? undefined : hullOf(live.map(c => c.keyRange))
  }

  /**
   * The result of the first matching clause, NO_MATCH, or RAISED when that
   * result holds the atom 'EXIT'. O(size of spec + matched terms).
   */
  match (key: Term, value: Term): Term | typeof NO_MATCH | typeof RAISED {
    for (const clause of this.clauses) {
      const vars: Term[] = new Array(clause.slots)
      if (!clause.head(key, value, vars)) continue
      const ctx: MatchContext = { key, value, vars }
      try {
        if (!clause.guards.every(guard => guard(ctx) === true)) continue
      } catch (error) {
        if (error !== GUARD_RAISED) throw error
        continue
      }
      const result = clause.result(ctx)
      return ctx.raised === true && holdsExit(result) ? RAISED : result
    }
    return NO_MATCH
  }
}

/**
 * Whether EXIT is in a result (only asked when a call raised). Iterative;
 * each array and object is looked into once, however often the result
 * holds it (a variable bound to a large term, named many times), so
 * O(distinct subterms), never O(the result's size as written out).
 */
function holdsExit (term: Term): boolean {
  const stack: Term[] = [term]
  const seen = new Set<Term>()
  while (stack.length > 0) {
    const t = stack.pop()!
    if (t === EXIT) return true
    if (typeof t !== 'object' || t === null || seen.has(t)) continue
    seen.add(t)
    if (Array.isArray(t)) for (const element of t) stack.push(element)
    else if (isTermObject(t)) for (const name of Object.keys(t)) stack.push(t[name])
  }
  return false
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

/**
 * The spec of ETS's match family: one clause, the pattern as its head, no
 * guards. match answers "$$", match_object "$_", match_delete deletes on `true`.
 */
export function matchPatternSpec (pattern: Term, result: '$$' | '$_' | true): Term[] {
  return [{ head: pattern, result }]
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
  if (!hasOwn(clause, 'head')) throw specError(childPath(path, 'head'), 'a clause needs a head')
  if (!hasOwn(clause, 'result')) throw specError(childPath(path, 'result'), 'a clause needs a result')
  const guards = hasOwn(clause, 'guards') ? clause.guards : []
  if (!Array.isArray(guards)) throw specError(childPath(path, 'guards'), 'guards is a list')
  const scope = new Scope()
  const { head, literalKey, keyRange } = compileHead(clause.head, childPath(path, 'head'), scope)
  return {
    head,
    literalKey,
    keyRange,
    guards: guards.map((guard, i) => compileExpression(guard, childPath(childPath(path, 'guards'), i), scope)),
    result: compileExpression(clause.result, childPath(path, 'result'), scope, 'body'),
    slots: scope.size,
    keepsKey: keepsKey(clause.head, clause.result),
  }
}

/**
 * ETS's select_replace rule (db_match_keeps_key in erl_db_util.c): the
 * result is the object itself ("$_"), or {"key": K, "value": …} where K
 * builds the head's key pattern as written (variables, literals and arrays
 * of them; no "_", no object pattern): the same variables and literals, an
 * array as a list of such, or ["const", K] for a literal part.
 */
function keepsKey (head: Term, result: Term): boolean {
  if (result === '$_') return true
  if (!isTermObject(head) || !hasOwn(head, 'key') || !keyPatternKeepable(head.key)) return false
  if (Object.keys(head).some(name => name !== 'key' && name !== 'value')) return false
  if (!isTermObject(result) || Object.keys(result).length !== 2 || !hasOwn(result, 'key') || !hasOwn(result, 'value')) return false
  return buildsPattern(result.key, head.key)
}

/** Whether the expression builds exactly the (keepable) key pattern. */
function buildsPattern (expression: Term, pattern: Term): boolean {
  if (Array.isArray(expression) && expression.length === 2 && expression[0] === 'const') return isLiteral(pattern) && termEquals(expression[1], pattern)
  if (Array.isArray(pattern)) {
    return Array.isArray(expression) && (expression.length === 0 || !isCall(expression)) && expression.length === pattern.length &&
      pattern.every((p, i) => buildsPattern(expression[i], p))
  }
  return !Array.isArray(expression) && termEquals(expression, pattern)
}

function keyPatternKeepable (pattern: Term): boolean {
  if (pattern === '_' || isTermObject(pattern)) return false
  return Array.isArray(pattern) ? pattern.every(keyPatternKeepable) : true
}

// The matched object is {key, value}; a head that is an object pattern is
// matched against the two fields without building that object.
function compileHead (head: Term, path: string, scope: Scope): { head: HeadMatcher; literalKey?: { key: Term }; keyRange?: KeyRange } {
  if (!isTermObject(head)) {
    const match = compilePattern(head, path, scope)
    // Only "_" or a variable can match an object; an array, number… never does.
    const anything = head === '_' || (typeof head === 'string' && variableNumber(head) !== undefined)
    return { head: (key, value, vars) => match({ key, value }, vars), literalKey: anything ? undefined : NEVER }
  }
  const members = Object.keys(head).map(name => ({ name, match: compilePattern(head[name], childPath(path, name), scope) }))
  if (members.some(m => m.name !== 'key' && m.name !== 'value')) return { head: () => false, literalKey: NEVER }
  const keyPattern = hasOwn(head, 'key') ? head.key : '_'
  return {
    head: (key, value, vars) => members.every(m => m.match(m.name === 'key' ? key : value, vars)),
    // As in ETS, a key pattern with no variable and no "_" is looked up when
    // every clause has one: an object in it then finds only that exact key,
    // whereas a scan (some clause without a literal key) matches it partially.
    literalKey: isLiteral(keyPattern) ? { key: keyPattern } : undefined,
    keyRange: keyRangeOf(keyPattern),
  }
}

function compilePattern (pattern: Term, path: string, scope: Scope): Matcher {
  if (typeof pattern === 'string') return compileStringPattern(pattern, path, scope)
  if (Array.isArray(pattern)) {
    const elements = pattern.map((p, i) => compilePattern(p, childPath(path, i), scope))
    return (t, vars) => Array.isArray(t) && t.length === elements.length && elements.every((match, i) => match(t[i], vars))
  }
  if (isTermObject(pattern)) {
    const members = Object.keys(pattern).map(name => ({ name, match: compilePattern(pattern[name], childPath(path, name), scope) }))
    return (t, vars) => isTermObject(t) && members.every(m => hasOwn(t, m.name) && m.match(t[m.name], vars))
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
