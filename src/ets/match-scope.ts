// What a match spec's head, guards and result share: the variables the head
// binds, the runtime context, and where-in-the-spec error paths.
import { EtsError } from './errors.js'
import { isTermObject, type Term } from './term.js'

/** The object being matched and the variables its head bound, by slot. */
export interface MatchContext {
  readonly key: Term
  readonly value: Term
  readonly vars: Term[]
  /** Set when a call in the result raised and gave EXIT (see match-guards.ts). */
  raised?: boolean
}

/** A compiled guard expression or result template. */
export type Expr = (ctx: MatchContext) => Term

/** `$<digits>` is a variable; its number, or undefined for any other string. */
export function variableNumber (s: string): number | undefined {
  return /^\$(?:0|[1-9][0-9]{0,8})$/.test(s) ? Number(s.slice(1)) : undefined
}

/** `_`, `$N`, `$_` and `$$` are not literal strings in a head. */
export function isSpecialString (s: string): boolean {
  return s === '_' || s === '$_' || s === '$$' || variableNumber(s) !== undefined
}

/** A pattern with no wildcard and no variable anywhere: it names one term. O(|pattern|). */
export function isLiteral (pattern: Term): boolean {
  if (typeof pattern === 'string') return !isSpecialString(pattern)
  if (Array.isArray(pattern)) return pattern.every(isLiteral)
  if (isTermObject(pattern)) return Object.values(pattern).every(isLiteral)
  return true
}

/** Variables of one clause: the head binds each to a slot on first sight. */
export class Scope {
  private readonly slots = new Map<number, number>()

  get size (): number {
    return this.slots.size
  }

  /** The slot of a head variable and whether this occurrence binds it (later ones must match it). */
  bind (variable: number): { slot: number; first: boolean } {
    const known = this.slots.get(variable)
    if (known !== undefined) return { slot: known, first: false }
    this.slots.set(variable, this.slots.size)
    return { slot: this.slots.size - 1, first: true }
  }

  slotOf (variable: number): number | undefined {
    return this.slots.get(variable)
  }

  /** Slots in variable-number order, which is the order `$$` lists them. */
  slotsInOrder (): number[] {
    return [...this.slots.entries()].sort((a, b) => a[0] - b[0]).map(([, slot]) => slot)
  }
}

/**
 * Compiles `$_`, `$$` and `$N` in a guard or result; undefined for a literal
 * string. A variable the head does not bind is a spec error, as in ETS.
 */
export function compileReference (s: string, path: string, scope: Scope): Expr | undefined {
  if (s === '$_') return ctx => ({ key: ctx.key, value: ctx.value })
  if (s === '$$') {
    const slots = scope.slotsInOrder()
    return ctx => slots.map(slot => ctx.vars[slot])
  }
  const variable = variableNumber(s)
  if (variable === undefined) return undefined
  const slot = scope.slotOf(variable)
  if (slot === undefined) throw specError(path, `variable ${s} is not bound by the head`)
  return ctx => ctx.vars[slot]
}

export function specError (path: string, message: string): EtsError {
  return new EtsError('bad_match_spec', `${path || 'match spec'}: ${message}`, { path })
}

/** `path[3]` for an index, `path.name` or `path["odd name"]` for a member. */
export function childPath (path: string, child: number | string): string {
  if (typeof child === 'number') return `${path}[${child}]`
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(child) ? `${path}.${child}` : `${path}[${JSON.stringify(child)}]`
}
