/** Fault injection, registered only when the server runs with --faults. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { problemResponses } from './problem.js'
import { CrashTargetSchema as Target, TableName } from '../src/tables/schemas.js'

const Crash = z.union([Target, z.array(Target).min(1).max(100)])
  .describe('One process, or several crashed in the same tick').meta({ id: 'CrashRequest' })

export const faultRoutes: FastifyPluginAsyncZod = async app => {
  app.post('/faults/crash', {
    schema: {
      operationId: 'crash',
      summary: 'Crash processes (exit with an abnormal reason), as a fault would',
      tags: ['faults'],
      body: Crash,
      response: {
        202: z.object({ crashed: z.array(z.string()).describe('Pids crashed') }).meta({ id: 'Crashed' }),
        ...problemResponses(400, 404, 415),
      },
    },
  }, async (request, reply) => {
    const targets = Array.isArray(request.body) ? request.body : [request.body]
    reply.code(202)
    return { crashed: app.tables.crash(targets) }
  })
}

const Poison = z.strictObject({ table: TableName }).meta({ id: 'PoisonRequest' })

/** Registered with faultRoutes: arms a handler to crash on its next write. */
export const poisonRoutes: FastifyPluginAsyncZod = async app => {
  app.post('/faults/poison', {
    schema: {
      operationId: 'poison',
      summary: 'Make the next write to a table crash its handler (a poison request)',
      tags: ['faults'],
      body: Poison,
      response: { 202: z.object({ poisoned: z.string().describe('Pid of the armed handler') }), ...problemResponses(400, 404, 415) },
    },
  }, async (request, reply) => {
    reply.code(202)
    return { poisoned: app.tables.poison(request.body.table) }
  })
}
