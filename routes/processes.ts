/** The supervision tree, as it is now. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

const ProcessNode = z.object({
  pid: z.string().optional().describe('Absent while the child is restarting'),
  name: z.string().optional(),
  id: z.string().optional().describe('Child id under its supervisor'),
  status: z.string(),
  behaviour: z.string().optional(),
  restart: z.enum(['permanent', 'transient', 'temporary']).optional(),
  restarts: z.number().int().optional().describe('Times its supervisor restarted it'),
  tables: z.array(z.string()).optional().describe('Tables it owns'),
  links: z.array(z.string()).optional(),
  queued: z.number().int().optional().describe('Messages waiting in its mailbox'),
  get children (): z.ZodOptional<z.ZodArray<typeof ProcessNode>> { return z.array(ProcessNode).optional() },
}).loose().meta({ id: 'ProcessNode' })

const Processes = z.object({
  tree: ProcessNode.nullable(),
  heirs: z.array(z.object({
    table: z.string(),
    owner: z.string().nullable().describe('Null while the table waits in the holding pen'),
    heir: z.string().nullable().describe('Pid of the living heir'),
    heirName: z.string().nullable().describe('The heir\'s registered name'),
  })).describe('Every table with its owner and heir'),
  holdingPen: z.record(z.string(), z.array(z.string()))
    .describe('Tables waiting for a process to register their heir name, by heir name'),
}).meta({ id: 'Processes' })

export const processRoutes: FastifyPluginAsyncZod = async app => {
  app.get('/processes', {
    schema: {
      summary: 'The supervision tree: pids, names, restarts, tables owned, and the holding pen',
      tags: ['processes'],
      response: { 200: Processes },
    },
  }, async () => app.tables.processes())
}
