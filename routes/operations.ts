/**
 * The ETS operations, for keys of any JSON type: `POST
 * /v1/tables/{table}/<operation>` with the arguments in the body, one route
 * per entry of the operation registry (src/tables/operations.ts), which
 * gives its summary, body and answer schemas. Each route translates: HTTP
 * in, one service call, HTTP out. Plus the streamed NDJSON dump.
 */
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { EtsObject } from '../src/ets/table.js'
import { type Args, type OperationName, operations, type ReadName, registry, type WriteName } from '../src/tables/operations.js'
import { EtsObjectSchema } from '../src/tables/schemas.js'
import { sendJson, turnByTurn } from './json-stream.js'
import { noContent } from './reply.js'
import { problemResponses } from './problem.js'
import { REVISION_HEADER, TableParams } from './schemas.js'

const writeErrors = problemResponses(400, 404, 413, 415, 500, 503, 507)
const readErrors = problemResponses(400, 404, 503)

/** NDJSON in chunks of about 64 KiB, pulled one at a time as the socket drains (one a turn: see turnByTurn). */
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

const names = Object.keys(operations) as OperationName[]
const isWrite = (name: OperationName): name is WriteName => operations[name].kind === 'write'
const isRead = (name: OperationName): name is ReadName => operations[name].kind === 'read'

export const operationRoutes: FastifyPluginAsyncZod = async app => {
  const tables = app.tables
  const route = <N extends OperationName>(name: N, call: (table: string, args: Args<N>, reply: FastifyReply) => Promise<unknown>): void => {
    const { summary, args, result, kind } = registry[name]
    app.post(`/tables/:table/${name}`, {
      schema: {
        operationId: name.replace(/_(.)/g, (_, c: string) => c.toUpperCase()),
        summary,
        tags: ['operations'],
        params: TableParams,
        body: args,
        response: { ...(result ? { 200: result } : { 204: z.undefined() }), ...(kind === 'write' ? writeErrors : readErrors) },
      },
    }, async (request, reply) => {
      // The type provider wraps the body's type; it is the schema's output, Args<N>.
      const answer = await call(request.params.table, request.body as Args<N>, reply)
      return result ? sendJson(reply, answer) : noContent(reply)
    })
  }
  for (const name of names.filter(isWrite)) {
    route(name, async (table, args, reply) => {
      const { result, revision } = await tables.write(table, name, args)
      reply.header(REVISION_HEADER, revision)
      return result
    })
  }
  for (const name of names.filter(isRead)) route(name, (table, args) => tables.read(table, name, args))

  app.get('/tables/:table/dump', {
    schema: {
      operationId: 'dump',
      summary: 'Every object as NDJSON, streamed (constant memory, back-pressure kept); ets:tab2list',
      tags: ['operations'],
      params: TableParams,
      response: {
        200: { description: 'One {"key","value"} per line', content: { 'application/x-ndjson': { schema: EtsObjectSchema } } },
        ...readErrors,
      },
    },
  }, async (request, reply) => {
    const objects = tables.objects(request.params.table)
    // The revision the dump starts from: watching from it after the dump converges (events carry whole keys).
    reply.header(REVISION_HEADER, tables.revision(request.params.table))
    // A stream, not the 200 schema's object: the reply's type knows only the latter.
    // eslint-disable-next-line no-restricted-syntax -- a stream is sent, and its reply returned (routes/reply.ts)
    return reply.type('application/x-ndjson').send(Readable.from(turnByTurn(ndjson(objects))) as never)
  })
}
