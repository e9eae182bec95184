/** Liveness and readiness: open to all, outside /v1. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { version } from '../src/version.js'

const Health = z.object({ status: z.literal('ok'), version: z.string() }).meta({ id: 'Health' })
const Ready = z.object({ status: z.enum(['ready', 'not_ready']) }).meta({ id: 'Ready' })

export const healthRoutes: FastifyPluginAsyncZod = async app => {
  app.get('/healthz', {
    schema: { operationId: 'health', summary: 'Liveness: the process answers', tags: ['health'], response: { 200: Health } },
  }, async () => ({ status: 'ok' as const, version }))

  app.get('/readyz', {
    schema: {
      operationId: 'ready',
      summary: 'Readiness: the supervision tree and the table manager are up',
      tags: ['health'],
      response: { 200: Ready, 503: Ready },
    },
  }, async (_request, reply) => {
    const ready = await app.tables.ready()
    reply.code(ready ? 200 : 503)
    return { status: ready ? 'ready' as const : 'not_ready' as const }
  })
}
