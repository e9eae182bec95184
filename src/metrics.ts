/**
 * GET /metrics, Prometheus text format (prom-client), one registry per
 * server (tests run many in one process). What it tells:
 *
 * - HTTP: `heirloom_http_requests_total` and the latency histogram
 *   `heirloom_http_request_duration_seconds`, by method, route template
 *   (`unmatched` for 404s) and status: bounded by the routes.
 * - Tables, read at scrape time: objects, memory bytes and queued writes
 *   per table, and the acknowledged reads and writes per table (counted
 *   only for answers below 400, so a label is always a real table; dropped
 *   tables' series go at the next scrape). The `table` label is bounded by
 *   --max-tables (default 10,000): a node near it exports that many series
 *   per table metric; scrape less often or relabel away `table` if that is
 *   too many.
 * - Processes, from the node's events: crashes and restarts by kind
 *   (handler, manager, table_sup, root), tables given to heirs and lost,
 *   supervisors giving up, tables in the holding pen, and each
 *   supervisor's restart-intensity headroom (restarts left in its window).
 * - Node: prom-client's default metrics (event-loop lag, heap, GC, CPU…).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { z } from 'zod'
import { isCrash, type ProcessKind, processKind } from './logs.js'
import type { Pid } from './runtime/types.js'
import { handlerName, ROOT, TABLE_SUP } from './tables/names.js'
import { operations } from './tables/operations.js'
import type { TableService } from './tables/service.js'

const KINDS: ProcessKind[] = ['handler', 'manager', 'table_sup', 'root']
const SUPERVISORS = [ROOT, TABLE_SUP]

/** Seconds; from a fast read (~50 µs) to the write timeout's order. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

type Access = 'read' | 'write'

/** Whether a route reads or writes its table (`METHOD url` → access), from the operation registry. */
function accessOf (method: string, url: string): Access | undefined {
  const match = /\/tables\/:table\/([a-z_]+)$/.exec(url)
  if (match !== null && method === 'POST' && match[1] in operations) return operations[match[1] as keyof typeof operations].kind
  if (url.endsWith('/tables/:table/objects/:key')) return method === 'GET' ? 'read' : 'write'
  if (url.endsWith('/tables/:table/dump')) return 'read'
  if (url.endsWith('/tables/:table/load')) return 'write'
  return undefined
}

export function createMetrics (service: TableService): { registry: Registry; observe: (request: FastifyRequest, status: number, seconds: number) => void; stop: () => void } {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const node = service.node

  const requests = new Counter({ name: 'heirloom_http_requests_total', help: 'HTTP requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'], registers: [registry] })
  const latency = new Histogram({ name: 'heirloom_http_request_duration_seconds', help: 'Time to answer an HTTP request, seconds', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers: [registry] })
  /** Tables with operation series: those dropped since lose them at the next scrape. */
  const counted = new Set<string>()
  const tableOps = new Counter({
    name: 'heirloom_table_operations_total',
    help: 'Acknowledged reads and writes per table',
    labelNames: ['table', 'access'],
    registers: [registry],
    collect () {
      for (const table of counted) {
        if (service.catalog.get(table) !== undefined) continue
        counted.delete(table)
        this.remove({ table, access: 'read' })
        this.remove({ table, access: 'write' })
      }
    },
  })
  const crashes = new Counter({ name: 'heirloom_process_crashes_total', help: 'Processes that exited abnormally, by kind', labelNames: ['kind'], registers: [registry] })
  const restarts = new Counter({ name: 'heirloom_process_restarts_total', help: 'Processes restarted by their supervisor, by kind', labelNames: ['kind'], registers: [registry] })
  const inherited = new Counter({ name: 'heirloom_table_inheritances_total', help: 'Tables given to their heir because their owner exited', registers: [registry] })
  const lost = new Counter({ name: 'heirloom_tables_lost_total', help: 'Tables deleted because their owner exited with no heir (should stay 0)', registers: [registry] })
  const gaveUp = new Counter({ name: 'heirloom_supervisor_give_ups_total', help: 'Supervisors that exceeded their restart intensity and exited', labelNames: ['kind'], registers: [registry] })
  for (const kind of KINDS) {
    crashes.inc({ kind }, 0)
    restarts.inc({ kind }, 0)
  }

  /** Restart times (node clock, ms) per supervisor name, for the headroom. */
  const restartTimes = new Map<string, number[]>()
  const stop = node.on(event => {
    if (event.type === 'exited' && isCrash(event.reason)) crashes.inc({ kind: processKind(event.name) })
    else if (event.type === 'child_restarted') {
      const supervisor = node.inspect(event.supervisor)?.name
      restarts.inc({ kind: supervisor === TABLE_SUP ? 'handler' : processKind(event.id) })
      if (supervisor !== undefined) restartTimes.set(supervisor, [...(restartTimes.get(supervisor) ?? []), node.clock.now()])
    } else if (event.type === 'table_transferred' && event.inherited) inherited.inc()
    else if (event.type === 'table_lost') lost.inc()
    else if (event.type === 'supervisor_gave_up') gaveUp.inc({ kind: processKind(event.name) })
  })

  const perTable = (name: string, help: string, value: (table: string) => number): Gauge => new Gauge({
    name,
    help,
    labelNames: ['table'],
    registers: [registry],
    collect () {
      this.reset()
      for (const record of service.catalog.all()) this.set({ table: record.name }, value(record.name))
    },
  })
  perTable('heirloom_table_objects', 'Objects in the table', table => node.tables.get(table)?.table.size ?? 0)
  perTable('heirloom_table_memory_bytes', 'Estimated bytes the table holds', table => node.tables.get(table)?.table.memory ?? 0)
  perTable('heirloom_table_queued_writes', 'Writes waiting in the table handler\'s mailbox', table => node.queueLength(handlerName(table)))

  // eslint-disable-next-line no-new -- registered in the registry, which collects it
  new Gauge({
    name: 'heirloom_holding_pen_tables',
    help: 'Tables waiting in the holding pen for their heir to register',
    registers: [registry],
    collect () {
      this.set(Object.values(node.tables.held()).reduce((n, tables) => n + tables.length, 0))
    },
  })
  // eslint-disable-next-line no-new -- registered in the registry, which collects it
  new Gauge({
    name: 'heirloom_supervisor_restart_headroom',
    help: 'Restarts a supervisor may still make in its current window before it gives up (intensity minus recent restarts)',
    labelNames: ['supervisor'],
    registers: [registry],
    collect () {
      this.reset()
      for (const name of SUPERVISORS) {
        const pid = node.whereis(name) as Pid | undefined
        const view = pid === undefined ? undefined : node.inspect(pid) as { intensity?: number; period?: number } | undefined
        if (view?.intensity === undefined || view.period === undefined) continue
        const since = node.clock.now() - view.period * 1000
        const recent = (restartTimes.get(name) ?? []).filter(at => at >= since)
        restartTimes.set(name, recent)
        this.set({ supervisor: name }, Math.max(0, view.intensity - recent.length))
      }
    },
  })

  const observe = (request: FastifyRequest, status: number, seconds: number): void => {
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { method: request.method, route, status: String(status) }
    requests.inc(labels)
    latency.observe(labels, seconds)
    const table = (request.params as { table?: unknown } | undefined)?.table
    const access = accessOf(request.method, route)
    if (status < 400 && access !== undefined && typeof table === 'string') {
      counted.add(table)
      tableOps.inc({ table, access })
    }
  }
  return { registry, observe, stop }
}

const metrics: FastifyPluginAsync<{ tables: TableService }> = async (app, options) => {
  const { registry, observe, stop } = createMetrics(options.tables)
  app.addHook('onResponse', async (request, reply) => { observe(request, reply.statusCode, reply.elapsedTime / 1000) })
  app.addHook('onClose', async () => { stop() })
  app.get('/metrics', {
    schema: {
      operationId: 'metrics',
      summary: 'Prometheus metrics: requests, tables, process crashes and restarts, supervisors, Node',
      tags: ['health'],
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
      },
    },
  }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))
}

/** Not encapsulated: its hooks time every route of the server. */
export const metricsPlugin = fp(metrics, { name: 'heirloom-metrics', fastify: '5.x' })
