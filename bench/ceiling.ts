/**
 * The ceiling: what Heirloom's object routes could serve if the table layer
 * cost nothing. A bare Fastify app with Heirloom's HTTP contract — the same
 * routes, the same zod schemas through src/app.ts's validatorCompiler
 * (fastify-type-provider-zod's, with the schemas' fast paths), the same
 * JSON body parser and the same JSON.stringify serializer as src/app.ts
 * sets up in production, the same answers (with the revision header) —
 * over a plain `Map`.
 *
 * Left out on purpose, so that the ratio heirloom/ceiling measures them:
 * the processes and mailboxes (src/runtime), the service's admission checks
 * (src/tables/service.ts), the ETS engine (src/ets), and the depth check
 * src/app.ts's JSON parser makes (`depthGuard: true` uses that parser: the
 * `guarded` targets of bench/load.ts measure what it costs). So is the
 * problem-details error handler: the benchmark never takes the error paths.
 * And so is src/app.ts's end-of-turn writing of responses (src/end-of-turn.ts),
 * which a bare Fastify route does not do: `endOfTurn: true` adds it (the
 * `turned` targets), to show what of Heirloom's ratio it makes.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { jsonParser, parseJson, validatorCompiler } from '../src/app.js'
import { EndOfTurn } from '../src/end-of-turn.js'
import { HeirloomError } from '../src/errors.js'
import type { Term } from '../src/ets/term.js'
import { registry } from '../src/tables/operations.js'
import { EtsObjectSchema } from '../src/tables/schemas.js'
import { noContent } from '../routes/reply.js'
import { Json, Lookup, ObjectParams, REVISION_HEADER, TableParams } from '../routes/schemas.js'

// routes/objects.ts does not export these two: the same definitions, copied
// (without their openapi description and id, which do not change
// validation). Keep them in step with that file.
const PutObject = z.strictObject({ value: Json })
const Prefer = z.object({ prefer: z.string().optional() })
/** The body of POST …/insert, from the operation registry as the route takes it. */
const Objects = registry.insert.args

const wantsRepresentation = (prefer: string | undefined): boolean =>
  prefer !== undefined && /(^|[,;\s])return=representation($|[,;\s])/.test(prefer)

/** A Map key for any JSON key; the benchmark's keys are strings. */
const mapKey = (key: unknown): unknown => typeof key === 'string' ? key : JSON.stringify(key)

export interface CeilingOptions {
  /** Add src/app.ts's preValidation hook that refuses bodies nested deeper than 64. Default false. */
  depthGuard?: boolean
  /** Write responses at the end of the event loop's turn, as src/app.ts does. Default false. */
  endOfTurn?: boolean
}

interface MapTable { objects: Map<unknown, Term[]>; revision: number }

/** The ceiling app, with `table` holding `fill` objects (key → [value]) before it serves. */
export async function ceilingServer (table: string, fill: Array<[string, unknown]>, options: CeilingOptions = {}): Promise<FastifyInstance> {
  const tables = new Map<string, MapTable>([[table, { objects: new Map(fill.map(([key, value]) => [key, [value as Term]])), revision: fill.length }]])
  const tableOf = (name: string): MapTable => {
    let found = tables.get(name)
    if (found === undefined) tables.set(name, found = { objects: new Map(), revision: 0 })
    return found
  }
  // The constructor options of src/server.ts's buildServer that act on every request.
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 12 * 1024 + 16 },
    requestTimeout: 30_000,
  }).withTypeProvider<ZodTypeProvider>()
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, options.depthGuard === true ? jsonParser(64) : parseJson)
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(() => data => JSON.stringify(data))
  if (options.endOfTurn === true) app.addHook('onSend', new EndOfTurn().onSend())

  app.put('/v1/tables/:table/objects/:key', {
    schema: { params: ObjectParams, headers: Prefer, body: PutObject, response: { 200: EtsObjectSchema, 204: z.undefined() } },
  }, async (request, reply) => {
    const { table, key } = request.params
    const value = request.body.value
    const stored = tableOf(table)
    stored.objects.set(key, [value])
    reply.header(REVISION_HEADER, ++stored.revision)
    if (!wantsRepresentation(request.headers.prefer)) return noContent(reply)
    reply.header('preference-applied', 'return=representation')
    return { key, value }
  })

  app.get('/v1/tables/:table/objects/:key', {
    schema: { params: ObjectParams, response: { 200: Lookup } },
  }, async request => {
    const { table, key } = request.params
    const values = tables.get(table)?.objects.get(key)
    if (values === undefined) throw new HeirloomError('object_not_found', `no object with key ${JSON.stringify(key)} in ${table}`)
    return { key, values: values.slice() }
  })

  app.post('/v1/tables/:table/insert', {
    schema: { params: TableParams, body: Objects, response: { 204: z.undefined() } },
  }, async (request, reply) => {
    const stored = tableOf(request.params.table)
    const { body } = request
    for (const { key, value } of body.objects ?? [{ key: body.key, value: body.value }]) stored.objects.set(mapKey(key), [value as Term])
    reply.header(REVISION_HEADER, ++stored.revision)
    return noContent(reply)
  })

  await app.ready()
  return app
}
