/**
 * Objects by string key (the path segment, URL-decoded). Writes go through
 * the table's handler; reads go straight to the table.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { HeirloomError } from '../src/errors.js'
import { EtsObjectSchema } from '../src/tables/schemas.js'
import { problemResponses } from './problem.js'
import { noContent } from './reply.js'
import { Json, Lookup, ObjectParams, REVISION_HEADER } from './schemas.js'

const PutObject = z.strictObject({ value: Json }).meta({ id: 'PutObject' })

const Prefer = z.object({
  prefer: z.string().optional().describe('`return=representation` answers 200 with the stored object (RFC 7240)'),
})

const wantsRepresentation = (prefer: string | undefined): boolean =>
  prefer !== undefined && /(^|[,;\s])return=representation($|[,;\s])/.test(prefer)

export const objectRoutes: FastifyPluginAsyncZod = async app => {
  app.put('/tables/:table/objects/:key', {
    schema: {
      operationId: 'putKey',
      summary: 'Store an object (insert: a set replaces, a bag adds)',
      tags: ['objects'],
      params: ObjectParams,
      headers: Prefer,
      body: PutObject,
      response: {
        200: EtsObjectSchema,
        204: z.undefined(),
        ...problemResponses(400, 404, 413, 415, 500, 503, 507),
      },
    },
  }, async (request, reply) => {
    const { table, key } = request.params
    const { value } = request.body
    const { revision } = await app.tables.write(table, 'insert', { key, value })
    reply.header(REVISION_HEADER, revision)
    if (!wantsRepresentation(request.headers.prefer)) return noContent(reply)
    reply.header('preference-applied', 'return=representation')
    return { key, value }
  })

  app.get('/tables/:table/objects/:key', {
    schema: {
      operationId: 'getKey',
      summary: 'Look up the objects of a key',
      tags: ['objects'],
      params: ObjectParams,
      response: { 200: Lookup, ...problemResponses(400, 404, 503) },
    },
  }, async request => {
    const { table, key } = request.params
    const found = await app.tables.read(table, 'lookup', { key })
    if (!('values' in found) || found.values.length === 0) throw new HeirloomError('object_not_found', `no object with key ${JSON.stringify(key)} in ${table}`)
    return found
  })

  app.delete('/tables/:table/objects/:key', {
    schema: {
      operationId: 'deleteKey',
      summary: 'Delete every object of a key (204 also when there is none, as ETS)',
      tags: ['objects'],
      params: ObjectParams,
      response: { 204: z.undefined(), ...problemResponses(400, 404, 500, 503) },
    },
  }, async (request, reply) => {
    const { revision } = await app.tables.write(request.params.table, 'delete', { key: request.params.key })
    reply.header(REVISION_HEADER, revision)
    return noContent(reply)
  })
}
