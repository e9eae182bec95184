/**
 * The zod schemas of the table service's arguments and answers: the one
 * home of each shape. Routes use them as request and response schemas, the
 * types come from them (never written twice), and openapi.yaml is generated
 * from them.
 */
import { z } from 'zod'
import { TABLE_TYPES, type TableType } from '../ets/table.js'
import type { Term } from '../ets/term.js'

/** Table names: used in paths and registered names, so kept plain. */
export const TableName = z.string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a table name is 1 to 128 letters, digits, _ . or -, not starting with . or -')
  .describe('Table name')

export const TableTypeSchema = z.enum(TABLE_TYPES as [TableType, ...TableType[]]).describe('ETS table type')

export const DurabilitySchema = z.enum(['memory', 'disk', 'relaxed']).describe(
  'memory: objects live in memory only (lost when the server process ends). ' +
  'disk: a 2xx means the write is on disk and fsync\'d (survives SIGKILL and power loss); writes are group-committed. ' +
  'relaxed: a 2xx means the write reached LevelDB\'s log (survives SIGKILL); the log is fsync\'d every second, so an OS crash or power loss may lose the last second.')

/**
 * Any JSON value: an ETS term (src/ets/term.ts). Its nesting depth is
 * checked by the server's body parser and the engine. Typed as `Term`
 * here, once: a parsed JSON body holds nothing else.
 */
export const Json: z.ZodType<Term> = z.unknown().refine(value => value !== undefined, 'a JSON value is required')
  .describe('Any JSON value') as z.ZodType<Term>

/**
 * Fast paths of request validation: a schema may come with a check that
 * answers, without zod's walk, whether a body is one the schema takes
 * exactly as it is (zod's output would equal it). A validator (src/app.ts)
 * takes such a body unchanged and sends any other to zod, which answers it
 * and its errors as always; so the check may say no when unsure, never yes
 * when zod would refuse or change the body. For the hot bodies with many
 * elements only: zod's code is shared by every schema of the server, and
 * walking a 1,000-object insert cost it twice what it costs a lone route.
 */
const takenAsIs = new WeakMap<z.ZodType, (body: unknown) => boolean>()

/** `schema`, with `accepts` registered as its fast path (see above). */
export function withFastPath<S extends z.ZodType> (schema: S, accepts: (body: unknown) => boolean): S {
  takenAsIs.set(schema, accepts)
  return schema
}

/** The fast path registered for a schema, if any. */
export const fastPathOf = (schema: unknown): ((body: unknown) => boolean) | undefined =>
  schema instanceof z.ZodType ? takenAsIs.get(schema) : undefined

/**
 * Bounds checked before zod walks a body. zod reports every issue of a
 * body (it cannot stop at the first), so a body of many small bad parts
 * (a batch of 1,000 inserts of 300 `{}`: 600,000 issues, 80 MB of answer)
 * cost seconds and gigabytes to refuse. A schema may come with a cheap
 * check (shallow: no walk of values) that names such a body's excess; the
 * validator refuses it with limit_exceeded before zod sees it.
 */
const bounds = new WeakMap<z.ZodType, (body: unknown) => string | undefined>()

/** `schema`, with `excess` registered as its bound (see above). */
export function withBound<S extends z.ZodType> (schema: S, excess: (body: unknown) => string | undefined): S {
  bounds.set(schema, excess)
  return schema
}

/** The bound registered for a schema, if any. */
export const boundOf = (schema: unknown): ((body: unknown) => string | undefined) | undefined =>
  schema instanceof z.ZodType ? bounds.get(schema) : undefined

/** One object of a table: ETS's `{Key, Value}` tuple. */
export const EtsObjectSchema = z.strictObject({ key: Json, value: Json }).meta({ id: 'EtsObject' })

/** The objects of a key: what lookup, take and GET …/objects/{key} answer. */
export const Lookup = z.object({ key: Json, values: z.array(Json).describe('In insertion order') }).meta({ id: 'Lookup' })

export const TableInfoSchema = z.object({
  name: z.string(),
  type: TableTypeSchema,
  size: z.number().int().describe('Number of objects'),
  memory: z.number().int().describe('Estimated bytes held'),
  revision: z.number().int().describe('0 at create, +1 for every acknowledged write that changed the table; never goes back'),
  durability: DurabilitySchema,
  owner: z.string().nullable().describe('Pid of the owning handler; null while the table waits in the holding pen'),
  heir: z.string().nullable().describe('Pid of the living heir (the table manager), if any'),
  heirName: z.string().nullable().describe('Registered name of the heir'),
  protection: z.literal('protected').describe('Only the owner (the handler) writes; anyone reads'),
  keypos: z.literal(1).describe('As ETS keypos: the key is the first element of each {key, value} object'),
  created: z.iso.datetime().describe('Creation time (ISO 8601, UTC)'),
  restarts: z.number().int().describe('Times the table handler was restarted'),
}).meta({ id: 'TableInfo' })

export type TableInfo = z.infer<typeof TableInfoSchema>

/** A process a fault can crash. */
export const CrashTargetSchema = z.discriminatedUnion('process', [
  z.strictObject({ process: z.literal('table_manager') }),
  z.strictObject({ process: z.literal('table_handler'), table: TableName }),
])

export type CrashTarget = z.infer<typeof CrashTargetSchema>
