/** The supervision tree, as it is now. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sendJson } from './json-stream.js'

/** A pid as Erlang prints a local one. */
export const Pid = z.string().regex(/^<0\.\d+\.0>$/).describe('A process id, <0.N.0>')

/**
 * One process of the tree. Every process has the common members; the
 * behaviour adds its own (a supervisor its flags and children, a handler
 * its table, the manager its catalog count); a child of a supervisor also
 * carries its child spec's id, restart type and restart count. A child
 * being restarted has only `status: restarting` and those.
 */
const ProcessNode = z.strictObject({
  pid: Pid.optional().describe('Absent while the child is restarting'),
  name: z.string().optional().describe('Registered name'),
  status: z.enum(['init', 'running', 'dead', 'restarting']),
  links: z.array(Pid).optional(),
  trapExit: z.boolean().optional(),
  queued: z.number().int().min(0).optional().describe('Messages waiting in its mailbox'),
  tables: z.array(z.string()).optional().describe('Tables it owns'),
  behaviour: z.enum(['supervisor', 'table_manager', 'table_handler']).optional(),
  strategy: z.literal('one_for_one').optional().describe('supervisor: restart strategy'),
  intensity: z.number().int().min(0).optional().describe('supervisor: most restarts allowed in `period`'),
  period: z.number().positive().optional().describe('supervisor: the restart-intensity window, seconds'),
  catalogued: z.number().int().min(0).optional().describe('table_manager: tables in the catalog'),
  reconciled: z.boolean().optional().describe('table_manager: the node matches the catalog'),
  table: z.string().optional().describe('table_handler: its table'),
  ownsTable: z.boolean().optional().describe('table_handler: whether it owns its table now'),
  id: z.string().optional().describe('Child id under its supervisor'),
  restart: z.enum(['permanent', 'transient', 'temporary']).optional(),
  restarts: z.number().int().min(0).optional().describe('Times its supervisor restarted it'),
  get children (): z.ZodOptional<z.ZodArray<typeof ProcessNode>> { return z.array(ProcessNode).optional() },
}).meta({ id: 'ProcessNode' })

const Processes = z.object({
  tree: ProcessNode.nullable(),
  heirs: z.array(z.object({
    table: z.string(),
    owner: Pid.nullable().describe('Null while the table waits in the holding pen'),
    heir: Pid.nullable().describe('Pid of the living heir'),
    heirName: z.string().nullable().describe('The heir\'s registered name'),
  })).describe('Every table with its owner and heir'),
  holdingPen: z.record(z.string().describe('Heir name'), z.array(z.string().describe('Table')))
    .describe('Tables waiting for a process to register their heir name, by heir name'),
}).meta({ id: 'Processes' })

export const processRoutes: FastifyPluginAsyncZod = async app => {
  app.get('/processes', {
    schema: {
      operationId: 'listProcesses',
      summary: 'The supervision tree: pids, names, restarts, tables owned, and the holding pen',
      tags: ['processes'],
      response: { 200: Processes },
    },
  // The runtime types a view loosely (status: string); the schema pins its values, and tests validate every
  // answer small enough to go whole (a node of 10,000 tables answers 3.4 MB, streamed a piece a turn: sendJson).
  }, async (_request, reply) => sendJson(reply, await app.tables.processes() as z.infer<typeof Processes>))
}
