/** Tables: create, list, inspect, drop. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { problemResponses } from './problem.js'
import { TableName, TableParams, TableType_ } from './schemas.js'

export const TableInfo = z.object({
  name: z.string(),
  type: TableType_,
  size: z.number().int().describe('Number of objects'),
  memory: z.number().int().describe('Estimated bytes held'),
  owner: z.string().nullable().describe('Pid of the owning handler; null while the table waits in the holding pen'),
  heir: z.string().nullable().describe('Pid of the living heir (the table manager), if any'),
  heirName: z.string().describe('Registered name of the heir'),
  protection: z.literal('protected').describe('Only the owner (the handler) writes; anyone reads'),
  keypos: z.literal(1).describe('As ETS keypos: the key is the first element of each {key, value} object'),
  created: z.string().describe('ISO 8601 creation time'),
  restarts: z.number().int().describe('Times the table handler was restarted'),
}).meta({ id: 'TableInfo' })

const CreateTable = z.strictObject({
  name: TableName,
  type: TableType_.default('set'),
}).meta({ id: 'CreateTable' })

export const tableRoutes: FastifyPluginAsyncZod = async app => {
  app.post('/tables', {
    schema: {
      summary: 'Create a table',
      tags: ['tables'],
      body: CreateTable,
      response: { 201: TableInfo, ...problemResponses(400, 409, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const info = await app.tables.create(request.body.name, request.body.type)
    return reply.code(201).header('location', `/v1/tables/${encodeURIComponent(info.name)}`).send(info)
  })

  app.get('/tables', {
    schema: {
      summary: 'List the tables',
      tags: ['tables'],
      response: { 200: z.object({ tables: z.array(TableInfo) }) },
    },
  }, async () => ({ tables: app.tables.list() }))

  app.get('/tables/:table', {
    schema: {
      summary: 'Describe a table',
      tags: ['tables'],
      params: TableParams,
      response: { 200: TableInfo, ...problemResponses(400, 404) },
    },
  }, async request => app.tables.info(request.params.table))

  renameRoute(app)

  app.delete('/tables/:table', {
    schema: {
      summary: 'Drop a table: its handler, its objects and its catalog record',
      tags: ['tables'],
      params: TableParams,
      response: { 204: z.undefined(), ...problemResponses(400, 404, 503) },
    },
  }, async (request, reply) => {
    await app.tables.drop(request.params.table)
    return reply.code(204).send()
  })
}

const Rename = z.strictObject({ name: TableName.describe('The new name') }).meta({ id: 'RenameTable' })

function renameRoute (app: Parameters<FastifyPluginAsyncZod>[0]): void {
  app.post('/tables/:table/rename', {
    schema: {
      summary: 'Rename a table (ets:rename): catalog record and handler name follow',
      tags: ['tables'],
      params: TableParams,
      body: Rename,
      response: { 200: TableInfo, ...problemResponses(400, 404, 409, 415, 503) },
    },
  }, async request => await app.tables.rename(request.params.table, request.body.name))
}
