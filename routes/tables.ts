/** Tables: create, list, inspect, drop. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sendJson } from './json-stream.js'
import { problemResponses } from './problem.js'
import { noContent } from './reply.js'
import { DurabilitySchema, TableInfoSchema as TableInfo, TableName, TableTypeSchema } from '../src/tables/schemas.js'
import { TableParams } from './schemas.js'

const CreateTable = z.strictObject({
  name: TableName,
  type: TableTypeSchema.default('set'),
  durability: DurabilitySchema.optional().describe('Default: the server\'s --durability (DURABILITY), memory unless set'),
}).meta({ id: 'CreateTable' })

export const tableRoutes: FastifyPluginAsyncZod = async app => {
  app.post('/tables', {
    schema: {
      operationId: 'createTable',
      summary: 'Create a table',
      tags: ['tables'],
      body: CreateTable,
      response: { 201: TableInfo, ...problemResponses(400, 409, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const info = await app.tables.create(request.body.name, request.body.type, request.body.durability)
    reply.code(201).header('location', `/v1/tables/${encodeURIComponent(info.name)}`)
    return info
  })

  app.get('/tables', {
    schema: {
      operationId: 'listTables',
      summary: 'List the tables',
      tags: ['tables'],
      response: { 200: z.object({ tables: z.array(TableInfo) }) },
    },
  // 10,000 tables answer 2.4 MB: streamed a piece a turn (sendJson).
  }, async (_request, reply) => sendJson(reply, { tables: await app.tables.list() }))

  app.get('/tables/:table', {
    schema: {
      operationId: 'getTable',
      summary: 'Describe a table',
      tags: ['tables'],
      params: TableParams,
      response: { 200: TableInfo, ...problemResponses(400, 404) },
    },
  }, async request => await app.tables.info(request.params.table))

  renameRoute(app)

  app.delete('/tables/:table', {
    schema: {
      operationId: 'dropTable',
      summary: 'Drop a table: its handler, its objects and its catalog record',
      tags: ['tables'],
      params: TableParams,
      response: { 204: z.undefined(), ...problemResponses(400, 404, 503) },
    },
  }, async (request, reply) => {
    await app.tables.drop(request.params.table)
    return noContent(reply)
  })
}

const Rename = z.strictObject({ name: TableName.describe('The new name') }).meta({ id: 'RenameTable' })

function renameRoute (app: Parameters<FastifyPluginAsyncZod>[0]): void {
  app.post('/tables/:table/rename', {
    schema: {
      operationId: 'renameTable',
      summary: 'Rename a table (ets:rename): catalog record and handler name follow',
      tags: ['tables'],
      params: TableParams,
      body: Rename,
      response: { 200: TableInfo, ...problemResponses(400, 404, 409, 415, 503) },
    },
  }, async request => await app.tables.rename(request.params.table, request.body.name))
}
