/**
 * GET /metrics, Prometheus text format (prom-client), one registry per
 * server (tests run many in one process). What it tells:
 *
 * - HTTP: `heirloom_http_requests_total` and the latency histogram
 *   `heirloom_http_request_duration_seconds`, by method, route template
 *   (`unmatched` for 404s and URLs refused before routing) and status:
 *   bounded by the routes.
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
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry } from 'prom-client'
import { z } from 'zod'
import { isCrash, LastExit, type ProcessKind, processKind } from './logs.js'
import type { NodeEvent } from './runtime/types.js'
import { handlerName, TABLE_SUP } from './tables/names.js'
import { operations } from './tables/operations.js'
import { TABLES_PER_TURN, type TableService } from './tables/service.js'

const KINDS: ProcessKind[] = ['handler', 'manager', 'table_sup', 'root']

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

export function createMetrics (service: TableService): {
  /** The exposition text, streamed: prom-client's registry, then the per-table families (exposition). */
  scrape: () => Readable
  observe: (request: FastifyRequest, status: number, seconds: number) => void
  stop: () => void
} {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const node = service.node

  const http = new RequestStats()
  registry.registerMetric(http.counter('heirloom_http_requests_total', 'HTTP requests answered, by method, route template and status'))
  registry.registerMetric(http.histogram('heirloom_http_request_duration_seconds', 'Time to answer an HTTP request, seconds'))
  /** Acknowledged reads and writes per table; a dropped table's series go at the next scrape. */
  const tableOps = new Map<string, Record<Access, number>>()
  const crashes = new Counter({ name: 'heirloom_process_crashes_total', help: 'Processes that exited abnormally, by kind', labelNames: ['kind'], registers: [registry] })
  const restarts = new Counter({ name: 'heirloom_process_restarts_total', help: 'Processes restarted by their supervisor, by kind', labelNames: ['kind'], registers: [registry] })
  const inherited = new Counter({ name: 'heirloom_table_inheritances_total', help: 'Tables given to their heir because their owner crashed (not a drop or rename stopping it)', registers: [registry] })
  const lost = new Counter({ name: 'heirloom_tables_lost_total', help: 'Tables deleted because their owner exited with no heir (should stay 0)', registers: [registry] })
  const gaveUp = new Counter({ name: 'heirloom_supervisor_give_ups_total', help: 'Supervisors that exceeded their restart intensity and exited', labelNames: ['kind'], registers: [registry] })
  for (const kind of KINDS) {
    crashes.inc({ kind }, 0)
    restarts.inc({ kind }, 0)
  }

  /** Restart times (node clock, ms) per supervisor name, for the headroom. */
  const restartTimes = new Map<string, number[]>()
  const exits = new LastExit()
  const countEvent = (event: NodeEvent): void => {
    if (event.type === 'exited' && isCrash(event.reason)) crashes.inc({ kind: processKind(event.name) })
    else if (event.type === 'child_restarted') {
      const supervisor = node.inspect(event.supervisor)?.name
      restarts.inc({ kind: supervisor === TABLE_SUP ? 'handler' : processKind(event.id) })
      if (supervisor !== undefined) restartTimes.set(supervisor, [...(restartTimes.get(supervisor) ?? []), node.clock.now()])
    } else if (event.type === 'table_transferred' && event.inherited && !exits.orderly(event)) inherited.inc()
    else if (event.type === 'table_lost') lost.inc()
    else if (event.type === 'supervisor_gave_up') gaveUp.inc({ kind: processKind(event.name) })
  }
  const stop = node.on(event => {
    countEvent(event)
    exits.saw(event)
  })

  /** A table's reads and writes; none once it is dropped (a scrape runs over several turns, and another may forget it meanwhile). */
  const operationCounts = (table: string): number[] => {
    const counts = tableOps.get(table)
    return counts === undefined ? [] : [counts.read, counts.write]
  }
  /** The per-table families, of the tables there are now. */
  const tables = (): PerTableFamily[] => {
    const names = service.catalog.all().map(({ name }) => name)
    for (const table of tableOps.keys()) if (service.catalog.get(table) === undefined) tableOps.delete(table)
    return [
      { name: 'heirloom_table_operations_total', help: 'Acknowledged reads and writes per table', type: 'counter', tables: [...tableOps.keys()], labels: ['access="read"', 'access="write"'], values: operationCounts },
      { name: 'heirloom_table_objects', help: 'Objects in the table', type: 'gauge', tables: names, values: table => [node.tables.get(table)?.table.size ?? 0] },
      { name: 'heirloom_table_memory_bytes', help: 'Estimated bytes the table holds', type: 'gauge', tables: names, values: table => [node.tables.get(table)?.table.memory ?? 0] },
      { name: 'heirloom_table_queued_writes', help: 'Writes waiting in the table handler\'s mailbox', type: 'gauge', tables: names, values: table => [node.queueLength(handlerName(table))] },
    ]
  }

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
      // The flags the supervisors were started with: inspecting table_sup lists every handler.
      for (const [name, { intensity, period }] of Object.entries(service.supervisors)) {
        if (node.whereis(name) === undefined) continue
        const since = node.clock.now() - period * 1000
        const recent = (restartTimes.get(name) ?? []).filter(at => at >= since)
        restartTimes.set(name, recent)
        this.set({ supervisor: name }, Math.max(0, intensity - recent.length))
      }
    },
  })

  /** Which table a route reads or writes, by method and route template: found once per route. */
  const accessByRoute = new Map<string, Access | null>()
  const observe = (request: FastifyRequest, status: number, seconds: number): void => {
    const route = request.routeOptions.url ?? 'unmatched'
    const method = request.method
    http.observe(method, route, status, seconds)
    if (status >= 400) return
    const table = (request.params as { table?: unknown } | undefined)?.table
    if (typeof table !== 'string') return
    const routeId = method + ' ' + route
    let access = accessByRoute.get(routeId)
    if (access === undefined) accessByRoute.set(routeId, access = accessOf(method, route) ?? null)
    if (access === null) return
    let counts = tableOps.get(table)
    if (counts === undefined) tableOps.set(table, counts = { read: 0, write: 0 })
    counts[access]++
  }
  return { scrape: () => Readable.from(exposition(registry, tables())), observe, stop }
}

/** Each server's `observe`, for the answers no onResponse hook sees (see observeUnrouted). */
const observers = new WeakMap<FastifyInstance, ReturnType<typeof createMetrics>['observe']>()

/**
 * Counts an answer Fastify's `frameworkErrors` gave (a URL that does not
 * decode, an over-long parameter): such a request has no route, so the
 * hooks plugins add, onResponse among them, never run for it. O(1).
 */
export function observeUnrouted (request: FastifyRequest, reply: FastifyReply): void {
  const observe = observers.get(request.server)
  if (observe === undefined) return
  reply.raw.once('finish', () => observe(request, reply.statusCode, reply.elapsedTime / 1000))
}

const metrics: FastifyPluginAsync<{ tables: TableService }> = async (app, options) => {
  const { scrape, observe, stop } = createMetrics(options.tables)
  // A callback hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
  observers.set(app, observe)
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
  }, async (_request, reply) => reply.type(CONTENT_TYPE).send(scrape()))
}

/** Not encapsulated: its hooks time every route of the server. */
export const metricsPlugin = fp(metrics, { name: 'heirloom-metrics', fastify: '5.x' })

/** Prometheus text format 0.0.4, as prom-client's registry names it. */
const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

/** A family with one series per table (or per table and `labels`, one value for each). */
interface PerTableFamily {
  name: string
  help: string
  type: 'counter' | 'gauge'
  tables: readonly string[]
  labels?: readonly string[]
  values: (table: string) => readonly number[]
}

/**
 * The exposition text, in parts: prom-client's registry (bounded: routes,
 * kinds, supervisors), then the per-table families, TABLES_PER_TURN
 * tables a turn, so that a scrape of many tables never holds the event
 * loop long. Formatting 10,000 tables' 50,000 series in one turn held it
 * 80–115 ms; through prom-client, whose registry escapes and joins each
 * label of each series, most of it. A table's series are read in the turn
 * that formats them. Table names need no escaping (TableName allows
 * letters, digits, `_`, `.` and `-`). O(tables) in all.
 */
export async function * exposition (registry: Registry, families: readonly PerTableFamily[]): AsyncGenerator<string> {
  yield await registry.metrics()
  for (const { name, help, type, tables, labels, values } of families) {
    let text = `\n# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
    for (let from = 0; from < tables.length; from += TABLES_PER_TURN) {
      if (from > 0) await nextTurn()
      for (const table of tables.slice(from, from + TABLES_PER_TURN)) {
        const counts = values(table)
        for (let i = 0; i < counts.length; i++) text += `${name}{table="${table}"${labels === undefined ? '' : ',' + labels[i]}} ${counts[i]}\n`
      }
      yield text
      text = ''
    }
    if (text !== '') yield text
  }
}

/** A series of a metric as prom-client's registry formats it. */
interface MetricValue { labels: Record<string, string | number>; value: number; metricName?: string }

/** A metric whose series are made at scrape time from plain counts (prom-client's registry calls `get`). */
function scraped (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => MetricValue[]): Metric {
  return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) } as unknown as Metric
}

interface RequestSeries { labels: { method: string; route: string; status: string }; count: number; sum: number; buckets: number[] }

/**
 * HTTP requests by method, route template and status, counted in plain
 * numbers as they are answered and turned into a counter and a histogram
 * at scrape time: prom-client's labelled `inc` and `observe` hash their
 * labels on every call, which cost a few µs of every request.
 */
class RequestStats {
  private readonly series = new Map<string, RequestSeries>()

  observe (method: string, route: string, status: number, seconds: number): void {
    const id = method + ' ' + status + ' ' + route
    let series = this.series.get(id)
    if (series === undefined) {
      series = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: LATENCY_BUCKETS.map(() => 0) }
      this.series.set(id, series)
    }
    series.count++
    series.sum += seconds
    let bucket = 0
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]) bucket++
    if (bucket < LATENCY_BUCKETS.length) series.buckets[bucket]++
  }

  counter (name: string, help: string): Metric {
    return scraped(name, help, 'counter', () => [...this.series.values()].map(s => ({ labels: s.labels, value: s.count })))
  }

  /** Cumulative buckets, as Prometheus wants them: `le` each bound and +Inf, then the sum and the count. */
  histogram (name: string, help: string): Metric {
    return scraped(name, help, 'histogram', () => [...this.series.values()].flatMap(s => {
      const values: MetricValue[] = []
      let cumulative = 0
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        cumulative += s.buckets[i]
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: LATENCY_BUCKETS[i] }, value: cumulative })
      }
      values.push(
        { metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count },
        { metricName: `${name}_sum`, labels: s.labels, value: s.sum },
        { metricName: `${name}_count`, labels: s.labels, value: s.count }
      )
      return values
    }))
  }
}
