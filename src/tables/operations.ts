/**
 * The operation registry: what each table operation *is*, in one entry.
 *
 * An entry says whether the operation reads or writes, the schema of its
 * arguments (the route's request body) and of its result (the route's
 * answer; none for an answer without a body), how its arguments are
 * prepared once before anything runs (match specs compiled, cursors
 * decoded), which keys a write may store (admission checks their size),
 * whether it can only shrink a table (such writes pass the memory quota),
 * and the engine call. The handler, the batch, the service's admission and
 * the routes are all driven by it: adding an operation is one entry, its
 * engine method and its tests.
 *
 * Writes run in the table's handler inside `Table.transact`, so each one
 * (a batch too) is atomic: what it changed is undone if it fails, and what
 * it changed is known when it succeeds.
 *
 * No request may cost the server more than its limits allow, whatever it
 * says (issue 8): prepare gets the limits (the settings max-value-bytes,
 * max-response-bytes, max-spec-terms, and the memory quota's account);
 * writes that store values run under a WriteBudget (largest value, bytes
 * the quota has left), measured in bytes of JSON; every answer is bounded
 * by max-response-bytes (a select or page ends early with a continuation,
 * anything else is limit_exceeded); reads that scan run in slices (`scan`)
 * and hand the event loop back between them.
 */
import { z } from 'zod'
import { WriteBudget } from '../ets/budget.js'
import { EtsError } from '../ets/errors.js'
import { type CompiledMatchSpec, compileMatchSpec, matchPatternSpec } from '../ets/match-spec.js'
import type { EtsObject, SelectContinuation, Table } from '../ets/table.js'
import { isTermObject, termBytes, termKey, type Term, type TermObject } from '../ets/term.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { EtsObjectSchema, Json, Lookup, withBound, withFastPath } from './schemas.js'

/** Most keys or objects named by one list argument. */
export const MAX_LIST = 10_000
/** Most operations in one batch. */
export const MAX_BATCH = 1000
/**
 * Most select_delete and select_replace steps in one batch. A batch runs in
 * one handler turn, and each such step scans the table: a thousand of them
 * over 10k objects held the event loop for 4 s (cf. etcd's --max-txn-ops,
 * Consul's 128 operations per transaction).
 */
export const MAX_BATCH_SCANS = 16

/**
 * Values of the largest size (--max-value-bytes) that one write may copy
 * to change them, counted in bytes of their key's and value's JSON (and
 * the first always taken): update_counter, update_element and merge_patch
 * each copy the value they change, so a batch of 1,000 of them on a 520 KB
 * value held the loop 43 s and 3 GB. Smaller values: as many as fit in
 * those bytes; a replacement (no path, a patch that is not an object)
 * copies nothing and is not counted.
 */
export const MAX_REWRITES = 16
const SCANNING_WRITES = new Set(['select_delete', 'select_replace', 'match_delete'])

/** The memory quota as writes see it: what it has left now, and what a committed write added. */
export interface MemoryAccount {
  left: () => number
  add: (bytes: number) => void
}

/** What bounds one request (the server's settings of the same names, and its memory quota). */
export interface Limits {
  maxValueBytes: number
  maxResponseBytes: number
  maxSpecTerms: number
  memory: MemoryAccount
}

/** No limits: for callers that apply operations to a table of their own (tests, tools). */
export const NO_LIMITS: Limits = {
  maxValueBytes: Infinity,
  maxResponseBytes: Infinity,
  maxSpecTerms: Infinity,
  memory: { left: () => Infinity, add: () => {} },
}

/** How long a scanning read runs before it lets the event loop run other requests, ms. */
export const SCAN_SLICE_MS = 4

/** A scanning read: yields between slices; its return value is the result. */
export type Slices<Result> = Generator<void, Result, void>

export interface Operation<Args, Prepared, Result> {
  kind: 'read' | 'write'
  summary: string
  /** The arguments, as a request body. */
  args: z.ZodType<Args>
  /** The result, as an answer body; absent: the operation answers nothing (HTTP 204). */
  result?: z.ZodType<Result>
  /** Runs once, before the write is queued or the read runs: a bad argument never reaches the handler. */
  prepare: (args: Args, limits: Limits) => Prepared
  /** Keys a write may add to the table: admission refuses oversized ones before queueing. */
  storedKeys?: (args: Prepared) => Iterable<Term>
  /** Whether the write can only remove objects: such writes pass a spent memory quota. */
  shrinks?: (args: Prepared) => boolean
  /** The engine call; a step of a batch gets the batch's budget. */
  apply: (table: Table, args: Prepared, budget?: WriteBudget) => Result
  /**
   * A read that may scan a large table: run in slices of about
   * SCAN_SLICE_MS, yielding between them (the caller awaits a macrotask
   * there). Changes made between slices may or may not be seen, as with
   * ets:select/3's continuations. `apply` runs the same without yielding.
   */
  scan?: (table: Table, args: Prepared) => Slices<Result>
}

/**
 * Runs a write that stores values under a budget: the batch's, or one made
 * now from the limits (the quota's remainder is read in the handler's turn,
 * so writes queued together cannot each spend it), and tells the quota's
 * account what the committed write added.
 */
function budgeted<R> (table: Table, limits: Limits, outer: WriteBudget | undefined, write: (budget: WriteBudget) => R): R {
  if (outer !== undefined) return write(outer)
  const before = table.memory
  const result = write(new WriteBudget(limits.maxValueBytes, limits.memory.left(), MAX_REWRITES * limits.maxValueBytes))
  limits.memory.add(table.memory - before)
  return result
}

/** Refuses an answer past max-response-bytes (measured up to just past it). O(min(size, limit)). */
function boundedAnswer<R extends Term> (answer: R, limits: Limits): R {
  if (termBytes(answer, limits.maxResponseBytes) > limits.maxResponseBytes) throw tooLarge(limits, 'the answer')
  return answer
}

function tooLarge (limits: Limits, what: string): EtsError {
  return new EtsError('limit_exceeded', `${what} would be larger than ${limits.maxResponseBytes} bytes of JSON`, { limit: 'maxResponseBytes' })
}

/**
 * A pause test for one slice: true once SCAN_SLICE_MS have passed. The
 * clock is read after every object (about 40 ns): one object can cost far
 * more than that (a guard comparing large terms), so reading it every 16
 * let a slice run 16 such objects long.
 */
function sliceTimer (): () => boolean {
  const end = performance.now() + SCAN_SLICE_MS
  return () => performance.now() > end
}

/** Runs a scanning read to its end without yielding. */
function drain<R> (slices: Slices<R>): R {
  for (;;) {
    const step = slices.next()
    if (step.done) return step.value
  }
}

/** An entry of the registry; the types of its arguments and result are inferred from its schemas and calls. */
function writeOp<A, P, R> (spec: Omit<Operation<A, P, R>, 'kind'>): Operation<A, P, R> {
  return { kind: 'write', ...spec }
}

function readOp<A, P, R> (spec: Omit<Operation<A, P, R>, 'kind'>): Operation<A, P, R> {
  return { kind: 'read', ...spec }
}
const always = (): true => true

// ── argument schemas ─────────────────────────────────────────────────────

const ObjectList = z.array(EtsObjectSchema).max(MAX_LIST)
const Objects = withFastPath(z.strictObject({
  objects: ObjectList.optional().describe('Objects inserted in one turn, in list order'),
  key: Json.optional().describe('Or one object: its key…'),
  value: Json.optional().describe('…and its value'),
}).superRefine((body, ctx) => {
  const one = body.key !== undefined || body.value !== undefined
  if (body.objects !== undefined && one) ctx.addIssue({ code: 'custom', message: 'give "objects" or one "key" and "value", not both' })
  else if (body.objects === undefined && (body.key === undefined || body.value === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give "objects": [{"key", "value"}…], or one "key" and "value"' })
  }
}).meta({ id: 'Objects' }), body => isListBody(body, 'objects', isEtsObject))
type ObjectsArgs = z.infer<typeof Objects>

/**
 * Whether `body` is `{name: [...]}` and nothing more, with at most MAX_LIST
 * elements, each passing `element`: the shape of the fast paths of the
 * schemas below (schemas.ts). O(elements), no allocation.
 */
function isListBody (body: unknown, name: string, element: (item: unknown) => boolean): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  let list: unknown
  for (const member in body) {
    if (member !== name) return false
    list = (body as Record<string, unknown>)[member]
  }
  if (!Array.isArray(list) || list.length > MAX_LIST) return false
  for (let i = 0; i < list.length; i++) if (!element(list[i])) return false
  return true
}

/** An element of Objects' list as EtsObjectSchema takes it unchanged: both members, no other. */
function isEtsObject (item: unknown): boolean {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false
  let members = 0
  for (const name in item) {
    if (name !== 'key' && name !== 'value') return false
    members++
  }
  const { key, value } = item as { key?: unknown; value?: unknown }
  return members === 2 && key !== undefined && value !== undefined
}

const isJson = (item: unknown): boolean => item !== undefined

/** The members of a batch op that are lists of arguments: objects (insert, insert_new), keys, steps (update_counter), elements (update_element). */
const LIST_ARGUMENTS = ['objects', 'keys', 'ops', 'elements'] as const

const KeyBody = z.strictObject({ key: Json })
const NoBody = z.object({}).strict().nullish().describe('No arguments')
type NoArgs = z.infer<typeof NoBody>
const Keys = withFastPath(z.union([KeyBody, z.strictObject({ keys: z.array(Json).max(MAX_LIST) })]).meta({ id: 'Keys' }),
  body => isListBody(body, 'keys', isJson))
// Integers, as ETS wants; checked by the engine, so that a float is ETS's badarg.
const CounterStep = z.strictObject({
  incr: z.number(),
  threshold: z.number().optional(),
  setValue: z.number().optional(),
  path: z.string().optional().describe('Member of an object value to count in'),
})
const CounterShape = {
  key: Json,
  ops: z.union([z.number(), CounterStep, z.array(CounterStep).min(1).max(100)])
    .describe('An increment, a step, or a list of steps applied in order'),
  default: EtsObjectSchema.optional().describe('Inserted first when the key is missing'),
}
const Counter = z.strictObject(CounterShape).meta({ id: 'UpdateCounter' })
const MergePatch = z.strictObject({ key: Json, patch: Json.describe('An RFC 7396 JSON merge patch') }).meta({ id: 'MergePatch' })
const Pattern = Json.describe('Pattern for the object {"key", "value"}: "_" matches anything, "$1", "$2"… bind variables')
const MatchClause = z.strictObject({
  head: Pattern,
  guards: z.array(Json).optional().describe('Guard expressions, all true for the clause to match, e.g. [">", "$1", 2]'),
  result: Json.describe('An expression: "$_" (the object), "$$" (the bound variables), a variable, a call ["+", "$1", 1], or a list or object of expressions; ["const", x] is x'),
}).meta({ id: 'MatchClause' })
const Spec = z.array(MatchClause).min(1).max(100)
  .describe('A JSON match spec: clauses tried in order; the first that matches gives the result')
/** An opaque position the server gave (base64url JSON): passed back unchanged. */
const Cursor = z.string().describe('Opaque (base64url): pass back the one the server gave').meta({ id: 'Cursor' })
const SpecBody = z.strictObject({ spec: Spec }).meta({ id: 'SpecBody' })
const Select = z.strictObject({
  spec: Spec,
  limit: z.number().int().min(1).max(MAX_LIST).optional(),
  continuation: Cursor.optional().describe('From the previous page of results'),
}).meta({ id: 'Select' })
const MatchRequest = z.strictObject({
  pattern: Pattern,
  limit: z.number().int().min(1).max(MAX_LIST).optional(),
  continuation: Cursor.optional().describe('From the previous page of results'),
}).meta({ id: 'Match' })
const PatternBody = z.strictObject({ pattern: Pattern }).meta({ id: 'PatternBody' })
const LookupElement = z.strictObject({
  key: Json,
  path: z.string().optional().describe('Member of an object value; absent: the value itself (ETS position 2)'),
  default: Json.optional().describe('Answered when the key is missing (OTP 26\'s lookup_element/4)'),
}).meta({ id: 'LookupElement' })
const ElementStep = z.strictObject({
  path: z.string().optional().describe('Member of an object value (it must be there); absent: the value itself'),
  value: Json,
})
const UpdateElementShape = {
  key: Json,
  elements: z.union([ElementStep, z.array(ElementStep).min(1).max(100)]).describe('One element or a list, set in order'),
}
const UpdateElement = z.strictObject(UpdateElementShape).meta({ id: 'UpdateElement' })
const PageRequest = z.strictObject({
  limit: z.number().int().min(1).max(MAX_LIST).default(100).describe('Keys per page'),
  cursor: Cursor.optional().describe('From the previous page'),
  reverse: z.boolean().default(false),
  from: Json.optional().describe('ordered_set: first key of an inclusive range'),
  to: Json.optional().describe('ordered_set: last key of an inclusive range'),
}).meta({ id: 'PageRequest' })

// ── result schemas ───────────────────────────────────────────────────────

const InsertNewResult = z.object({ inserted: z.boolean(), present: z.array(Json).describe('Keys already present') })
const CounterResult = z.object({ values: z.array(z.number()).describe('The counter after each step') })
const KeyOrEnd = z.union([z.object({ key: Json }), z.object({ end: z.literal(true) })])
  .describe('The key, or {"end": true} past the last one (ETS\'s \'$end_of_table\')').meta({ id: 'KeyOrEnd' })
const PageResult = z.object({ objects: z.array(EtsObjectSchema), cursor: Cursor.optional().describe('Pass back for the next page; absent after the last page') })
  .meta({ id: 'Page' })
const SelectResult = z.object({ results: z.array(Json), continuation: Cursor.optional().describe('Pass back for the next chunk; absent after the last') }).meta({ id: 'SelectResult' })
const ElementResult = z.union([
  z.object({ value: Json.describe('set and ordered_set, or the default') }),
  z.object({ values: z.array(Json).describe('bag and duplicate_bag: one per object, in insertion order') }),
]).meta({ id: 'ElementResult' })

const objectsOf = (args: ObjectsArgs): EtsObject[] =>
  args.objects ?? [{ key: args.key as Term, value: args.value as Term }]

const keyOrEnd = (key: Term | undefined): z.infer<typeof KeyOrEnd> => key === undefined ? { end: true } : { key }

const compiled = (args: { spec: Term[] }, limits: Limits): CompiledMatchSpec => compileMatchSpec(args.spec, { maxTerms: limits.maxSpecTerms })
const compiledPattern = (pattern: Term, result: '$$' | '$_' | true, limits: Limits): CompiledMatchSpec =>
  compiled({ spec: matchPatternSpec(pattern, result) }, limits)
const continuationOf = (continuation: string | undefined): SelectContinuation | undefined =>
  continuation === undefined ? undefined : decodeCursor(continuation) as SelectContinuation

// ── the registry ─────────────────────────────────────────────────────────

const writes = {
  insert: writeOp({
    summary: 'ets:insert — one object or a list, in one turn',
    args: Objects,
    prepare: (args, limits) => ({ objects: objectsOf(args), limits }),
    storedKeys: ({ objects }) => objects.map(o => o.key),
    apply: (table, { objects, limits }, budget) => { budgeted(table, limits, budget, b => table.insert(objects, b)) },
  }),
  insert_new: writeOp({
    summary: 'ets:insert_new — all or nothing: inserts only if no key is present',
    args: Objects,
    result: InsertNewResult,
    prepare: (args, limits) => ({ objects: objectsOf(args), limits }),
    storedKeys: ({ objects }) => objects.map(o => o.key),
    apply: (table, { objects, limits }, budget) => budgeted(table, limits, budget, b => table.insertNew(objects, b)),
  }),
  delete: writeOp({
    summary: 'ets:delete/2 — every object of the key (204 also when none)',
    args: KeyBody,
    prepare: args => args,
    shrinks: always,
    apply: (table, { key }) => { table.delete(key) },
  }),
  delete_object: writeOp({
    summary: 'ets:delete_object — the equal object; every copy in a duplicate_bag',
    args: EtsObjectSchema,
    prepare: args => args,
    shrinks: always,
    apply: (table, object) => { table.deleteObject(object) },
  }),
  delete_all_objects: writeOp({
    summary: 'ets:delete_all_objects',
    args: NoBody,
    prepare: args => args,
    shrinks: always,
    apply: table => { table.deleteAllObjects() },
  }),
  take: writeOp({
    summary: 'ets:take — return and remove the objects of the key',
    args: KeyBody,
    result: Lookup,
    prepare: (args, limits) => ({ ...args, limits }),
    shrinks: always,
    // Refused (and undone) rather than answered past max-response-bytes: lookup pages through such a key.
    apply: (table, { key, limits }) => boundedAnswer({ key, values: table.take(key) }, limits),
  }),
  update_counter: writeOp({
    summary: 'ets:update_counter — set and ordered_set; nothing changes on failure',
    args: Counter,
    result: CounterResult,
    prepare: (args, limits) => ({ ...args, limits }),
    storedKeys: ({ key }) => [key],
    apply: (table, { key, ops, default: defaultObject, limits }, budget) =>
      ({ values: budgeted(table, limits, budget, b => table.updateCounter(key, ops, defaultObject, b)) }),
  }),
  merge_patch: writeOp({
    summary: 'Partial update of a value (RFC 7396), set and ordered_set: ETS update_element\'s cousin',
    args: MergePatch,
    result: EtsObjectSchema,
    prepare: (args, limits) => ({ ...args, limits }),
    apply: (table, { key, patch, limits }, budget) => ({ key, value: budgeted(table, limits, budget, b => table.mergePatch(key, patch, b)) }),
  }),
  select_delete: writeOp({
    summary: 'ets:select_delete — delete the objects whose result is true',
    args: SpecBody,
    result: z.object({ deleted: z.number().int() }),
    prepare: compiled,
    shrinks: always,
    apply: (table, spec) => ({ deleted: table.selectDelete(spec) }),
  }),
  select_replace: writeOp({
    summary: 'ets:select_replace — replace matched objects by the result (same key)',
    args: SpecBody,
    result: z.object({ replaced: z.number().int() }),
    prepare: (args, limits) => ({ spec: compiled(args, limits), limits }),
    apply: (table, { spec, limits }, budget) => ({ replaced: budgeted(table, limits, budget, b => table.selectReplace(spec, b)) }),
  }),
  match_delete: writeOp({
    summary: 'ets:match_delete — delete the objects the pattern matches (204 also when none)',
    args: PatternBody,
    prepare: ({ pattern }, limits) => compiledPattern(pattern, true, limits),
    shrinks: always,
    apply: (table, spec) => { table.selectDelete(spec) },
  }),
  update_element: writeOp({
    summary: 'ets:update_element — set members of the value by path; set and ordered_set; false when the key is missing',
    args: UpdateElement,
    result: z.object({ updated: z.boolean() }),
    prepare: (args, limits) => ({ ...args, limits }),
    apply: (table, { key, elements, limits }, budget) => ({ updated: budgeted(table, limits, budget, b => table.updateElement(key, elements, b)) }),
  }),
}

type Writes = typeof writes
type SingleWriteName = keyof Writes
type ArgsOf<T> = T extends Operation<infer A, infer P, infer R> ? Parts<A, P, R>['args'] : never
type PreparedOf<T> = T extends Operation<infer A, infer P, infer R> ? Parts<A, P, R>['prepared'] : never
type ResultOf<T> = T extends Operation<infer A, infer P, infer R> ? Parts<A, P, R>['result'] : never
interface Parts<A, P, R> { args: A; prepared: P; result: R }

/** The writes as one mapped type, so that `apply` over any of them type-checks without casts. */
type SingleWrites = { [N in SingleWriteName]: Operation<ArgsOf<Writes[N]>, PreparedOf<Writes[N]>, ResultOf<Writes[N]>> }
const singleWrites: SingleWrites = writes

/** One write of a batch, as prepared: the operation's name and its prepared arguments. */
export type PreparedWrite = { [N in SingleWriteName]: { op: N; args: PreparedOf<Writes[N]> } }[SingleWriteName]

function prepareOne<N extends SingleWriteName> (op: N, args: ArgsOf<Writes[N]>, limits: Limits): { op: N; args: PreparedOf<Writes[N]> } {
  return { op, args: singleWrites[op].prepare(args, limits) }
}

function storedKeysOf<N extends SingleWriteName> (write: { op: N; args: PreparedOf<Writes[N]> }): Iterable<Term> {
  return singleWrites[write.op].storedKeys?.(write.args) ?? []
}

function shrinks<N extends SingleWriteName> (write: { op: N; args: PreparedOf<Writes[N]> }): boolean {
  return singleWrites[write.op].shrinks?.(write.args) === true
}

function applyOne<N extends SingleWriteName> (table: Table, write: { op: N; args: PreparedOf<Writes[N]> }, budget: WriteBudget): ResultOf<Writes[N]> | true {
  const result = singleWrites[write.op].apply(table, write.args, budget)
  // In a batch, operations that answer nothing alone count as `true`.
  return result === undefined ? true : result
}

/** A batch operation in a request: the operation's name beside its arguments. */
const BatchOp = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('insert'), objects: ObjectList }),
  z.strictObject({ op: z.literal('insert_new'), objects: ObjectList }),
  z.strictObject({ op: z.literal('delete'), ...KeyBody.shape }),
  z.strictObject({ op: z.literal('delete_object'), ...EtsObjectSchema.shape }),
  z.strictObject({ op: z.literal('take'), ...KeyBody.shape }),
  z.strictObject({ op: z.literal('update_counter'), ...CounterShape }),
  z.strictObject({ op: z.literal('merge_patch'), ...MergePatch.shape }),
  z.strictObject({ op: z.literal('delete_all_objects') }),
  z.strictObject({ op: z.literal('select_delete'), ...SpecBody.shape }),
  z.strictObject({ op: z.literal('select_replace'), ...SpecBody.shape }),
  z.strictObject({ op: z.literal('match_delete'), ...PatternBody.shape }),
  z.strictObject({ op: z.literal('update_element'), ...UpdateElementShape }),
])
const Batch = withBound(z.strictObject({ ops: z.array(BatchOp).min(1).max(MAX_BATCH) }).meta({ id: 'Batch' }), body => {
  const ops = isTermObject(body as Term) ? (body as TermObject).ops : undefined
  // More ops than MAX_BATCH: zod says so before it walks them.
  if (!Array.isArray(ops) || ops.length > MAX_BATCH) return undefined
  let elements = 0
  for (const op of ops) {
    if (!isTermObject(op)) continue
    // The list arguments: a key, value or patch that is an array is one term, not a list.
    for (const name of LIST_ARGUMENTS) {
      const member = op[name]
      if (Array.isArray(member)) elements += member.length
    }
  }
  return elements > MAX_LIST ? `a batch holds at most ${MAX_LIST} list elements (objects, keys, steps…) in all its ops, as one insert does; this one holds ${elements}` : undefined
})

const batch = writeOp({
  summary: 'Write operations applied in one handler turn, all or nothing',
  args: Batch,
  result: z.object({ results: z.array(z.unknown()).describe('One result per operation; true for those answering 204 alone') }),
  prepare: ({ ops }, limits) => {
    if (ops.filter(({ op }) => SCANNING_WRITES.has(op)).length > MAX_BATCH_SCANS) {
      throw new EtsError('limit_exceeded', `a batch holds at most ${MAX_BATCH_SCANS} select_delete, select_replace and match_delete steps (each scans the table in one turn)`)
    }
    return { ops: ops.map(({ op, ...args }) => prepareOne(op, args, limits)), limits }
  },
  storedKeys: function * ({ ops }) {
    for (const write of ops) yield * storedKeysOf(write)
  },
  shrinks: ({ ops }) => ops.every(shrinks),
  // One budget for the whole batch: its steps together may add no more than the quota has left.
  apply: (table, { ops, limits }) => budgeted(table, limits, undefined, budget => {
    const results: unknown[] = []
    try {
      for (const write of ops) results.push(applyOne(table, write, budget))
    } catch (error) {
      if (!(error instanceof EtsError)) throw error
      const at = `ops[${results.length}]`
      throw new EtsError(error.code, `${at} (${ops[results.length].op}): ${error.message}`, { path: error.path && `${at}.${error.path}`, cause: error, limit: error.limit })
    }
    // A thousand steps each answering a large value must not build a huge answer: refused, and undone.
    return boundedAnswer({ results: results as Term[] }, limits)
  }),
})

const reads = {
  lookup: readOp({
    summary: 'ets:lookup — one key, or many in one request',
    args: Keys,
    result: z.union([Lookup, z.object({ results: z.array(Lookup) })]),
    // Literal objects, not a spread: this is every GET of an object.
    prepare: (args, limits): { key: Term; limits: Limits } | { keys: Term[]; limits: Limits } =>
      'key' in args ? { key: args.key, limits } : { keys: args.keys, limits },
    apply: (table, args) => 'key' in args
      ? { key: args.key, values: lookupBounded(table, args.key, args.limits) }
      : { results: lookupMany(table, args.keys, args.limits) },
  }),
  member: readOp({
    summary: 'ets:member',
    args: KeyBody,
    result: z.object({ member: z.boolean() }),
    prepare: args => args,
    apply: (table, { key }) => ({ member: table.member(key) }),
  }),
  first: endRead('first'),
  last: endRead('last'),
  next: stepRead('next'),
  prev: stepRead('prev'),
  page: readOp({
    summary: 'A page of objects with an opaque cursor that survives deletes; ordered_set key ranges',
    args: PageRequest,
    result: PageResult,
    prepare: ({ cursor, ...rest }, limits) => ({ ...rest, after: cursor === undefined ? undefined : decodeCursor(cursor), maxBytes: limits.maxResponseBytes }),
    apply: (table, options) => {
      const page = table.page(options)
      return { objects: page.objects, cursor: page.nextAfter === undefined ? undefined : encodeCursor(page.nextAfter) }
    },
  }),
  select: selectRead('ets:select, with limit and continuation like ets:select/3', Select, ({ spec }, limits) => compiled({ spec }, limits)),
  select_reverse: selectRead('ets:select_reverse — ordered_set backwards; the hash types as select (as in ETS)', Select,
    ({ spec }, limits) => compiled({ spec }, limits), true),
  match: selectRead('ets:match — for each object the pattern matches, its variables\' values in number order', MatchRequest,
    ({ pattern }, limits) => compiledPattern(pattern, '$$', limits)),
  match_object: selectRead('ets:match_object — the objects the pattern matches', MatchRequest,
    ({ pattern }, limits) => compiledPattern(pattern, '$_', limits)),
  lookup_element: readOp({
    summary: 'ets:lookup_element — a member of the value by path; badarg when missing unless a default is given (OTP 26)',
    args: LookupElement,
    result: ElementResult,
    prepare: (args, limits) => ({ ...args, limits }),
    apply: (table, { key, path, default: fallback, limits }) => boundedAnswer(table.lookupElement(key, path, { default: fallback }), limits),
  }),
  select_count: readOp({
    summary: 'ets:select_count — objects whose result is true',
    args: SpecBody,
    result: z.object({ count: z.number().int() }),
    prepare: compiled,
    apply: (table, spec) => drain(countSlices(table, spec)),
    scan: countSlices,
  }),
}

interface SelectArgs { spec: CompiledMatchSpec; limit?: number; continuation?: SelectContinuation; limits: Limits; reverse?: boolean }

/** A read shaped as select/3: a spec made once from the request, answered in chunks with limit and continuation. */
function selectRead<A extends { limit?: number; continuation?: string }> (
  summary: string, args: z.ZodType<A>, specOf: (args: A, limits: Limits) => CompiledMatchSpec, reverse = false
): Operation<A, SelectArgs, z.infer<typeof SelectResult>> {
  return readOp<A, SelectArgs, z.infer<typeof SelectResult>>({
    summary,
    args,
    result: SelectResult,
    prepare: (request, limits) => ({ spec: specOf(request, limits), limit: request.limit, continuation: continuationOf(request.continuation), limits, reverse }),
    apply: (table, prepared) => drain(selectSlices(table, prepared)),
    scan: selectSlices,
  })
}

/**
 * select in slices: each slice a chunk of the engine's select with a time
 * pause, resumed from its continuation; the answer ends early (with a
 * continuation) at the request's limit, or at max-response-bytes when the
 * request has a limit (it follows continuations). Without a limit the
 * client expects every result, so past max-response-bytes it is
 * limit_exceeded, naming the way out.
 */
function * selectSlices (table: Table, args: SelectArgs): Slices<z.infer<typeof SelectResult>> {
  const { spec, limit, limits, reverse } = args
  const results: Term[] = []
  let bytes = 0
  let continuation = args.continuation
  for (;;) {
    const left = limit === undefined ? undefined : limit - results.length
    const chunk = table.select(spec, { limit: left, continuation, maxBytes: limits.maxResponseBytes - bytes, continuesPage: results.length > 0, pause: sliceTimer(), reverse })
    for (const result of chunk.results) results.push(result)
    bytes += chunk.bytes ?? 0
    continuation = chunk.continuation
    // A pause may come right after the result that reached the limit: the page is full all the same.
    if (continuation === undefined || chunk.stopped === 'limit' || results.length === limit) break
    if (chunk.stopped === 'bytes') {
      if (limit === undefined) throw tooLarge(limits, 'the results; pass a limit and follow the continuation:')
      break
    }
    yield
  }
  return { results, continuation: continuation && encodeCursor(continuation) }
}

function * countSlices (table: Table, spec: CompiledMatchSpec): Slices<{ count: number }> {
  let count = 0
  let continuation: SelectContinuation | undefined
  for (;;) {
    const chunk = table.selectCountChunk(spec, { continuation, pause: sliceTimer() })
    count += chunk.count
    continuation = chunk.continuation
    if (continuation === undefined) return { count }
    yield
  }
}

function lookupBounded (table: Table, key: Term, limits: Limits): Term[] {
  const values = table.lookupWithin(key, limits.maxResponseBytes)
  if (values === undefined) throw tooLarge(limits, 'the values of this key; page through them')
  return values
}

/**
 * Many keys: each distinct key is looked up and measured once, however
 * often the request names it (a key named thousands of times must not
 * copy its values thousands of times), and the answer, which does repeat
 * them, is bounded by max-response-bytes. O(keys + distinct keys' values).
 */
function lookupMany (table: Table, keys: readonly Term[], limits: Limits): Array<{ key: Term; values: Term[] }> {
  const found = new Map<string, { values: Term[]; bytes: number }>()
  let bytes = 0
  return keys.map(key => {
    const id = termKey(key)
    let entry = found.get(id)
    if (entry === undefined) {
      table.lookup(key) // refuses a key that is not a JSON term before measuring it
      entry = { bytes: termBytes(key) + table.valuesBytes(key, limits.maxResponseBytes) + 20, values: [] }
      if (entry.bytes <= limits.maxResponseBytes) entry.values = table.lookup(key)
      found.set(id, entry)
    }
    bytes += entry.bytes
    if (bytes > limits.maxResponseBytes) throw tooLarge(limits, 'the values of these keys; ask for fewer')
    return { key, values: entry.values }
  })
}

function endRead (end: 'first' | 'last'): Operation<NoArgs, NoArgs, z.infer<typeof KeyOrEnd>> {
  return readOp({
    summary: `ets:${end} — in term order for ordered_set, insertion order otherwise`,
    args: NoBody,
    result: KeyOrEnd,
    prepare: args => args,
    apply: table => keyOrEnd(table[end]()),
  })
}

function stepRead (step: 'next' | 'prev'): Operation<{ key: Term }, { key: Term }, z.infer<typeof KeyOrEnd>> {
  return readOp({
    summary: `ets:${step} — hash tables need a key that is present; use page for cursors`,
    args: KeyBody,
    result: KeyOrEnd,
    prepare: args => args,
    apply: (table, { key }) => keyOrEnd(table[step](key)),
  })
}

/** Every operation by name: the routes are made from this. */
export const operations = { ...writes, batch, ...reads }

type Operations = typeof operations
export type OperationName = keyof Operations
export type WriteName = SingleWriteName | 'batch'
export type ReadName = keyof typeof reads
export type Args<N extends OperationName> = ArgsOf<Operations[N]>
export type Prepared<N extends OperationName> = PreparedOf<Operations[N]>
export type Result<N extends OperationName> = ResultOf<Operations[N]>

/** The registry as one mapped type: indexing it by a name parameter keeps the types (no casts). */
export type Registry = { [N in OperationName]: Operation<Args<N>, Prepared<N>, Result<N>> }
export const registry: Registry = operations

/** A write as the handler receives it: prepared, ready to apply. */
export interface WriteRequest<N extends WriteName = WriteName> { op: N; args: Prepared<N> }

/** Applies a prepared operation to a table (a write: inside the handler's `transact`). */
export function apply<N extends OperationName> (table: Table, op: N, args: Prepared<N>): Result<N> {
  return registry[op].apply(table, args)
}
