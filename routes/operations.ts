/**
 * The ETS operations, for keys of any JSON type: `POST
 * /v1/tables/{table}/<operation>` with the arguments in the body. Writes go
 * through the table's handler (serialised, atomic); reads go straight to the
 * table. Match specs are compiled once per request, before the handler is
 * asked, so a bad spec is a 400 that never reaches it.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { CounterOps } from '../src/ets/counter.js'
import { compileMatchSpec } from '../src/ets/match-spec.js'
import type { EtsObject, SelectContinuation } from '../src/ets/table.js'
import type { Term } from '../src/ets/term.js'
import type { WriteOp } from '../src/tables/writes.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { problemResponses } from './problem.js'
import { Json, Lookup, TableParams } from './schemas.js'

const MAX_LIST = 10_000

const EtsObjectSchema = z.strictObject({ key: Json, value: Json }).meta({ id: 'EtsObject' })
const Objects = z.strictObject({
  objects: z.array(EtsObjectSchema).max(MAX_LIST).optional().describe('Objects inserted in one turn, in list order'),
  key: z.unknown().optional().describe('Or one object: its key…'),
  value: z.unknown().optional().describe('…and its value'),
}).superRefine((body, ctx) => {
  const one = body.key !== undefined || body.value !== undefined
  if (body.objects !== undefined && one) ctx.addIssue({ code: 'custom', message: 'give "objects" or one "key" and "value", not both' })
  else if (body.objects === undefined && (body.key === undefined || body.value === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give "objects": [{"key", "value"}…], or one "key" and "value"' })
  }
}).meta({ id: 'Objects' })
const KeyBody = z.strictObject({ key: Json })
const NoBody = z.object({}).strict().nullish().describe('No arguments')
const Keys = z.union([KeyBody, z.strictObject({ keys: z.array(Json).max(MAX_LIST) })]).meta({ id: 'Keys' })
// Integers, as ETS wants; checked by the engine, so that a float is ETS's badarg.
const CounterStep = z.object({
  incr: z.number(),
  threshold: z.number().optional(),
  setValue: z.number().optional(),
  path: z.string().optional().describe('Member of an object value to count in'),
}).strict()
const Counter = z.strictObject({
  key: Json,
  ops: z.union([z.number(), CounterStep, z.array(CounterStep).min(1).max(100)])
    .describe('An increment, a step, or a list of steps applied in order'),
  default: EtsObjectSchema.optional().describe('Inserted first when the key is missing'),
}).meta({ id: 'UpdateCounter' })
const MergePatch = z.strictObject({ key: Json, patch: Json.describe('An RFC 7396 JSON merge patch') }).meta({ id: 'MergePatch' })
const Spec = z.array(Json).min(1).max(100)
  .describe('A JSON match spec: a list of {"head", "guards", "result"} clauses')
const SpecBody = z.strictObject({ spec: Spec }).meta({ id: 'SpecBody' })
const Select = z.strictObject({
  spec: Spec,
  limit: z.number().int().min(1).max(MAX_LIST).optional(),
  continuation: z.string().optional().describe('From the previous page of results'),
}).meta({ id: 'Select' })
const Page = z.strictObject({
  limit: z.number().int().min(1).max(MAX_LIST).default(100).describe('Keys per page'),
  cursor: z.string().optional().describe('From the previous page'),
  reverse: z.boolean().default(false),
  from: Json.optional().describe('ordered_set: first key of an inclusive range'),
  to: Json.optional().describe('ordered_set: last key of an inclusive range'),
}).meta({ id: 'PageRequest' })
const WriteOpSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('insert'), objects: z.array(EtsObjectSchema).max(MAX_LIST) }),
  z.strictObject({ op: z.literal('insert_new'), objects: z.array(EtsObjectSchema).max(MAX_LIST) }),
  z.strictObject({ op: z.literal('delete'), key: Json }),
  z.strictObject({ op: z.literal('delete_object'), key: Json, value: Json }),
  z.strictObject({ op: z.literal('take'), key: Json }),
  z.strictObject({ op: z.literal('update_counter'), key: Json, ops: Counter.shape.ops, default: Counter.shape.default }),
  z.strictObject({ op: z.literal('merge_patch'), key: Json, patch: Json }),
  z.strictObject({ op: z.literal('delete_all_objects') }),
  z.strictObject({ op: z.literal('select_delete'), spec: Spec }),
  z.strictObject({ op: z.literal('select_replace'), spec: Spec }),
])
const Batch = z.strictObject({ ops: z.array(WriteOpSchema).min(1).max(1000) }).meta({ id: 'Batch' })

const KeyOrEnd = z.union([z.object({ key: Json }), z.object({ end: z.literal(true) })])
  .describe('The key, or {"end": true} past the last one (ETS\'s \'$end_of_table\')').meta({ id: 'KeyOrEnd' })

/** NDJSON in chunks of about 64 KiB, pulled one at a time as the socket drains. */
function * ndjson (objects: Iterable<EtsObject>): Generator<string> {
  let chunk = ''
  for (const object of objects) {
    chunk += JSON.stringify(object) + '\n'
    if (chunk.length >= 65536) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk !== '') yield chunk
}

const objectsOf = (body: z.infer<typeof Objects>): EtsObject[] =>
  (body.objects ?? [{ key: body.key, value: body.value }]) as EtsObject[]

const keyOrEnd = (key: Term | undefined): z.infer<typeof KeyOrEnd> => key === undefined ? { end: true } : { key }

/** A batch operation as the handler applies it: match specs compiled. */
function toWriteOp (op: z.infer<typeof WriteOpSchema>): WriteOp {
  if (op.op === 'select_delete' || op.op === 'select_replace') return { op: op.op, spec: compileMatchSpec(op.spec as Term) }
  return op as WriteOp
}

const writeErrors = problemResponses(400, 404, 413, 415, 500, 503)
const readErrors = problemResponses(400, 404, 503)

export const operationRoutes: FastifyPluginAsyncZod = async app => {
  const tables = app.tables
  const route = '/tables/:table'
  const schema = <Body extends z.ZodType>(summary: string, body: Body, response: Record<number, unknown>) =>
    ({ summary, tags: ['operations'], params: TableParams, body, response })

  // ── writes ──

  app.post(`${route}/insert`, {
    schema: schema('ets:insert — one object or a list, in one turn', Objects, { 204: z.undefined(), ...writeErrors }),
  }, async (request, reply) => {
    await tables.write(request.params.table, { op: 'insert', objects: objectsOf(request.body) })
    return reply.code(204).send()
  })

  app.post(`${route}/insert_new`, {
    schema: schema('ets:insert_new — all or nothing: inserts only if no key is present', Objects, {
      200: z.object({ inserted: z.boolean(), present: z.array(Json).describe('Keys already present') }),
      ...writeErrors,
    }),
  }, async request => await tables.write(request.params.table, { op: 'insert_new', objects: objectsOf(request.body) }))

  app.post(`${route}/delete`, {
    schema: schema('ets:delete/2 — every object of the key (204 also when none)', KeyBody, { 204: z.undefined(), ...writeErrors }),
  }, async (request, reply) => {
    await tables.write(request.params.table, { op: 'delete', key: request.body.key as Term })
    return reply.code(204).send()
  })

  app.post(`${route}/delete_object`, {
    schema: schema('ets:delete_object — the equal object; every copy in a duplicate_bag', EtsObjectSchema, { 204: z.undefined(), ...writeErrors }),
  }, async (request, reply) => {
    const { key, value } = request.body as EtsObject
    await tables.write(request.params.table, { op: 'delete_object', key, value })
    return reply.code(204).send()
  })

  app.post(`${route}/delete_all_objects`, {
    schema: schema('ets:delete_all_objects', NoBody, { 204: z.undefined(), ...writeErrors }),
  }, async (request, reply) => {
    await tables.write(request.params.table, { op: 'delete_all_objects' })
    return reply.code(204).send()
  })

  app.post(`${route}/take`, {
    schema: schema('ets:take — return and remove the objects of the key', KeyBody, { 200: Lookup, ...writeErrors }),
  }, async request => await tables.write(request.params.table, { op: 'take', key: request.body.key as Term }))

  app.post(`${route}/update_counter`, {
    schema: schema('ets:update_counter — set and ordered_set; nothing changes on failure', Counter, {
      200: z.object({ values: z.array(z.number()).describe('The counter after each step') }),
      ...writeErrors,
    }),
  }, async request => {
    const { key, ops, default: defaultObject } = request.body
    return await tables.write(request.params.table, {
      op: 'update_counter', key: key as Term, ops: ops as CounterOps, default: defaultObject as EtsObject | undefined,
    })
  })

  app.post(`${route}/merge_patch`, {
    schema: schema('Partial update of a value (RFC 7396), set and ordered_set: ETS update_element\'s cousin', MergePatch, {
      200: EtsObjectSchema, ...writeErrors,
    }),
  }, async request => {
    const { key, patch } = request.body
    return await tables.write(request.params.table, { op: 'merge_patch', key: key as Term, patch: patch as Term })
  })

  const selectWrites = [
    { op: 'select_delete', counted: 'deleted', summary: 'ets:select_delete — delete the objects whose result is true' },
    { op: 'select_replace', counted: 'replaced', summary: 'ets:select_replace — replace matched objects by the result (same key)' },
  ] as const
  for (const { op, counted, summary } of selectWrites) {
    app.post(`${route}/${op}`, {
      schema: schema(summary, SpecBody, { 200: z.object({ [counted]: z.number().int() }), ...writeErrors }),
    }, async request => {
      const spec = compileMatchSpec(request.body.spec as Term)
      return await tables.write(request.params.table, { op, spec })
    })
  }

  app.post(`${route}/batch`, {
    schema: schema('Write operations applied in one handler turn, all or nothing', Batch, {
      200: z.object({ results: z.array(z.unknown()).describe('One result per operation; true for those answering 204 alone') }),
      ...writeErrors,
    }),
  }, async request => {
    const ops = request.body.ops.map(toWriteOp)
    return await tables.write(request.params.table, { op: 'batch', ops })
  })

  // ── reads ──

  app.post(`${route}/lookup`, {
    schema: schema('ets:lookup — one key, or many in one request', Keys, {
      200: z.union([Lookup, z.object({ results: z.array(Lookup) })]), ...readErrors,
    }),
  }, async request => {
    const table = tables.readTable(request.params.table)
    const body = request.body
    if ('key' in body) return { key: body.key, values: table.lookup(body.key as Term) }
    return { results: (body.keys as Term[]).map(key => ({ key, values: table.lookup(key) })) }
  })

  app.post(`${route}/member`, {
    schema: schema('ets:member', KeyBody, { 200: z.object({ member: z.boolean() }), ...readErrors }),
  }, async request => ({ member: tables.readTable(request.params.table).member(request.body.key as Term) }))

  for (const end of ['first', 'last'] as const) {
    app.post(`${route}/${end}`, {
      schema: schema(`ets:${end} — in term order for ordered_set, insertion order otherwise`, NoBody, { 200: KeyOrEnd, ...readErrors }),
    }, async request => keyOrEnd(tables.readTable(request.params.table)[end]()))
  }

  for (const step of ['next', 'prev'] as const) {
    app.post(`${route}/${step}`, {
      schema: schema(`ets:${step} — hash tables need a key that is present; use page for cursors`, KeyBody, { 200: KeyOrEnd, ...readErrors }),
    }, async request => keyOrEnd(tables.readTable(request.params.table)[step](request.body.key as Term)))
  }

  app.post(`${route}/page`, {
    schema: schema('A page of objects with an opaque cursor that survives deletes; ordered_set key ranges', Page, {
      200: z.object({ objects: z.array(EtsObjectSchema), cursor: z.string().optional().describe('Pass back for the next page') })
        .meta({ id: 'Page' }),
      ...readErrors,
    }),
  }, async request => {
    const { limit, cursor, reverse, from, to } = request.body
    const page = tables.readTable(request.params.table).page({
      limit, reverse, from: from as Term | undefined, to: to as Term | undefined,
      after: cursor === undefined ? undefined : decodeCursor(cursor),
    })
    return { objects: page.objects, cursor: page.nextAfter === undefined ? undefined : encodeCursor(page.nextAfter) }
  })

  app.post(`${route}/select`, {
    schema: schema('ets:select, with limit and continuation like ets:select/3', Select, {
      200: z.object({ results: z.array(Json), continuation: z.string().optional() }).meta({ id: 'SelectResult' }),
      ...readErrors,
    }),
  }, async request => {
    const { spec, limit, continuation } = request.body
    const chunk = tables.readTable(request.params.table).select(compileMatchSpec(spec as Term), {
      limit,
      continuation: continuation === undefined ? undefined : decodeCursor(continuation) as SelectContinuation,
    })
    return { results: chunk.results, continuation: chunk.continuation && encodeCursor(chunk.continuation) }
  })

  app.get(`${route}/dump`, {
    schema: {
      summary: 'Every object as NDJSON, streamed (constant memory, back-pressure kept); ets:tab2list',
      tags: ['operations'],
      params: TableParams,
      response: {
        200: { description: 'One {"key","value"} per line', content: { 'application/x-ndjson': { schema: EtsObjectSchema } } },
        ...readErrors,
      },
    },
  }, async (request, reply) => {
    const table = tables.readTable(request.params.table)
    return reply.type('application/x-ndjson').send(Readable.from(ndjson(table.objects())) as never)
  })

  app.post(`${route}/select_count`, {
    schema: schema('ets:select_count — objects whose result is true', SpecBody, { 200: z.object({ count: z.number().int() }), ...readErrors }),
  }, async request => ({ count: tables.readTable(request.params.table).selectCount(compileMatchSpec(request.body.spec as Term)) }))
}
