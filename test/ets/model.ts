// A deliberately naive reference model of a table: one array of objects in
// insertion order, linear scans, and its own term equality and order written
// the obvious way (code points via Array.from), independent of src/ets/term.ts.
import type { EtsObject, TableType } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'

/** Structure-revealing form: equal terms, and only they, print the same. */
export function canonical (t: Term): string {
  const walk = (x: Term): unknown => {
    if (Array.isArray(x)) return ['array', ...x.map(walk)]
    if (x !== null && typeof x === 'object') return ['object', ...Object.keys(x).sort().map(k => [k, walk(x[k])])]
    return ['atom', x === 0 ? 0 : x] // -0 prints as 0 anyway; said for the reader
  }
  return JSON.stringify(walk(t))
}

export function same (a: Term, b: Term): boolean {
  return canonical(a) === canonical(b)
}

const RANKS = ['number', 'false', 'null', 'true', 'object', 'array', 'string']

function rankOf (t: Term): number {
  if (typeof t === 'number') return 0
  if (t === false) return 1
  if (t === null) return 2
  if (t === true) return 3
  if (typeof t === 'string') return 6
  return Array.isArray(t) ? 5 : 4
}

function compareLists<T> (a: T[], b: T[], compare: (x: T, y: T) => number): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compare(a[i], b[i])
    if (c !== 0) return c
  }
  return Math.sign(a.length - b.length)
}

const codePoints = (s: string): number[] => Array.from(s, c => c.codePointAt(0)!)
const compareNames = (a: string, b: string): number => compareLists(codePoints(a), codePoints(b), (x, y) => Math.sign(x - y))

export function naiveCompare (a: Term, b: Term): number {
  const ra = rankOf(a)
  const rb = rankOf(b)
  if (ra !== rb) return Math.sign(ra - rb)
  switch (RANKS[ra]) {
    case 'number': return Math.sign((a as number) - (b as number))
    case 'string': return compareNames(a as string, b as string)
    case 'array': return compareLists(a as Term[], b as Term[], naiveCompare)
    case 'object': {
      const x = a as Record<string, Term>
      const y = b as Record<string, Term>
      const nx = Object.keys(x).sort(compareNames)
      const ny = Object.keys(y).sort(compareNames)
      if (nx.length !== ny.length) return Math.sign(nx.length - ny.length)
      return compareLists(nx, ny, compareNames) || compareLists(nx.map(n => x[n]), ny.map(n => y[n]), naiveCompare)
    }
    default: return 0
  }
}

export class ModelTable {
  objects: EtsObject[] = []
  constructor (readonly type: TableType) {}

  get single (): boolean {
    return this.type === 'set' || this.type === 'ordered_set'
  }

  insert (list: readonly EtsObject[]): void {
    for (const { key, value } of list) {
      const at = this.objects.findIndex(o => same(o.key, key))
      if (this.single && at >= 0) this.objects[at] = { key: this.objects[at].key, value }
      else if (this.type === 'bag' && this.objects.some(o => same(o.key, key) && same(o.value, value))) continue
      else this.objects.push({ key, value })
    }
  }

  lookup (key: Term): Term[] {
    return this.objects.filter(o => same(o.key, key)).map(o => o.value)
  }

  member (key: Term): boolean {
    return this.objects.some(o => same(o.key, key))
  }

  delete (key: Term): void {
    this.objects = this.objects.filter(o => !same(o.key, key))
  }

  /** Table order: term order for ordered_set; else keys by first appearance, a key's objects together. */
  ordered (): EtsObject[] {
    if (this.type === 'ordered_set') return [...this.objects].sort((a, b) => naiveCompare(a.key, b.key))
    const keys: Term[] = []
    for (const o of this.objects) if (!keys.some(k => same(k, o.key))) keys.push(o.key)
    return keys.flatMap(k => this.objects.filter(o => same(o.key, k)))
  }
}

export class ModelError extends Error {
  constructor (readonly code: string) {
    super(code)
  }
}

const isObject = (t: Term): t is Record<string, Term> => t !== null && typeof t === 'object' && !Array.isArray(t)

/** The operations added in step 2, as naively as the ones above. */
export class FullModelTable extends ModelTable {
  insertNew (list: readonly EtsObject[]): { inserted: boolean; present: Term[] } {
    const present: Term[] = []
    for (const { key } of list) if (this.member(key) && !present.some(k => same(k, key))) present.push(key)
    if (present.length > 0) return { inserted: false, present }
    this.insert(list)
    return { inserted: true, present }
  }

  deleteObject (object: EtsObject): void {
    this.objects = this.objects.filter(o => !(same(o.key, object.key) && same(o.value, object.value)))
  }

  deleteAllObjects (): void {
    this.objects = []
  }

  take (key: Term): Term[] {
    const values = this.lookup(key)
    this.delete(key)
    return values
  }

  updateCounter (key: Term, incr: number, path?: string, fallback?: EtsObject): number[] {
    if (!this.single) throw new ModelError('badarg')
    const held = this.objects.find(o => same(o.key, key))
    if (held === undefined && fallback === undefined) throw new ModelError('badarg')
    const value = held !== undefined ? held.value : fallback!.value
    if (path !== undefined && !isObject(value)) throw new ModelError('badarg')
    const counter = path === undefined ? value : (value as Record<string, Term>)[path]
    if (!Number.isSafeInteger(counter)) throw new ModelError('badarg')
    const next = (counter as number) + incr
    const updated = path === undefined ? next : { ...(value as Record<string, Term>), [path]: next }
    if (held !== undefined) held.value = updated
    else this.objects.push({ key, value: updated })
    return [next]
  }

  /** Keys in table order. */
  keys (): Term[] {
    const keys: Term[] = []
    for (const o of this.ordered()) if (!keys.some(k => same(k, o.key))) keys.push(o.key)
    return keys
  }

  next (key: Term): Term | undefined {
    const keys = this.keys()
    if (this.type === 'ordered_set') return keys.find(k => naiveCompare(k, key) > 0)
    const at = keys.findIndex(k => same(k, key))
    if (at < 0) throw new ModelError('badarg')
    return keys[at + 1]
  }

  /** Every object, a page at a time: keys in table order (or reversed), a key's objects in insertion order. */
  pages (reverse: boolean): EtsObject[] {
    const keys = this.keys()
    if (reverse) keys.reverse()
    return keys.flatMap(k => this.objects.filter(o => same(o.key, k)))
  }

  /** Replaces the values equal to `from` by `to`, keeping places. */
  replaceValues (from: Term, to: Term): number {
    if (this.type === 'bag') throw new ModelError('badarg')
    let count = 0
    for (const o of this.objects) {
      if (same(o.value, from)) {
        o.value = to
        count++
      }
    }
    return count
  }

  /** ETS lookup_element of the value or one of its members. */
  lookupElement (key: Term, path?: string, fallback?: Term): { value: Term } | { values: Term[] } {
    const values = this.lookup(key)
    if (values.length === 0) {
      if (fallback === undefined) throw new ModelError('badarg')
      return { value: fallback }
    }
    const elements = values.map(v => {
      if (path === undefined) return v
      if (!isObject(v) || !Object.hasOwn(v, path)) throw new ModelError('badarg')
      return v[path]
    })
    return this.single ? { value: elements[0] } : { values: elements }
  }

  /** ETS update_element of the value or one of its (present) members. */
  updateElement (key: Term, path: string | undefined, value: Term): boolean {
    if (!this.single) throw new ModelError('badarg')
    const held = this.objects.find(o => same(o.key, key))
    if (held === undefined) return false
    if (path === undefined) {
      held.value = value
      return true
    }
    if (!isObject(held.value) || !Object.hasOwn(held.value, path)) throw new ModelError('badarg')
    held.value = { ...held.value, [path]: value }
    return true
  }
}
