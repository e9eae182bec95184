/**
 * Load benchmark: Heirloom's object reads and writes against the ceiling —
 * the same HTTP contract served from a Map (bench/ceiling.ts) — and a bare
 * Fastify hello-world, measured in one run so that the ratios mean
 * something (the absolute figures drift between runs and machines; the
 * ratios much less).
 *
 *   npm run bench -- [--duration S] [--warmup S] [--rounds N] [--connections N] [--keys N]
 *                    [--only ID,…] [--rate R] [--profile DIR] [--tsx]
 *
 * Each server runs in a child process (bench/serve.ts) and autocannon runs
 * here: on a 2-core machine, sharing one event loop would make the load
 * generator and the server take turns, and measure neither. The servers run
 * what production runs: bench/serve.ts and everything it imports compiled
 * by tsc (bench/tsconfig.serve.json, into bench/.build), not under tsx,
 * whose transform adds a `__name` call to every function created. The servers
 * start first and the targets are measured one after another, in --rounds
 * rounds, every other round in reverse order; each figure is the median
 * over the rounds, so that a burst of load from elsewhere on the machine
 * skews one round, not one target. Each Heirloom target is measured next to
 * its ceiling and checked against the goals of the performance issue. Each
 * server also reports the CPU it used, user and system (the socket calls):
 * CPU per request is skewed less than req/s by a busy machine, and the
 * ceiling's user CPU per request over Heirloom's is what the req/s ratio
 * tends to on an idle one. (System CPU is for the most part the same socket
 * work for every server, but on a VM its cost swings with timing: a write
 * that wakes the load generator costs more; so it is left out of the ratio.)
 * Everything listens on 127.0.0.1, every run is bounded by --duration, and a
 * watchdog ends the benchmark if anything hangs.
 */
import { mkdirSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon, { type Request, type Result } from 'autocannon'
import { compileServe, PRODUCTION_NODE_FLAGS, type Server, type ServerKind, startServer, stopChildren, underTsx, usage, watchdog, withNodeFlags } from './servers.js'
import { exitOnHelp, integers } from './options.js'
import { median } from './stats.js'
import { BATCH_SIZE, type Operation, OPERATIONS, operationRequests } from './workload.js'

/** What the performance issue asks of a Heirloom target. */
interface Goal {
  /** Least throughput as a fraction of the ceiling's. */
  ratio: number
  /** Least objects per second (batch targets). */
  objectsPerSecond?: number
  /** Greatest p99 latency, ms. */
  p99?: number
}

interface Target {
  /** For --only: `heirloom-get`, `ceiling-put`, … */
  id: string
  name: string
  server: ServerKind
  /** The status every answer should have. */
  expect: number
  /** The requests each connection cycles through. */
  requests: Request[]
  /** Objects each request carries: figures also in objects/s. Default 1. */
  objects?: number
  /** The id of the ceiling target this one is compared with. */
  ceiling?: string
  goal?: Goal
  /** Run only when --only names its id or its server. */
  optional?: boolean
}

interface Settings {
  duration: number
  warmup: number
  rounds: number
  connections: number
  keys: number
  /** Offered req/s (autocannon overallRate); 0: as fast as answered. */
  rate: number
  only: string[] | undefined
  profile: string | undefined
  /** Run the servers under tsx instead of compiled. */
  tsx: boolean
  /** Node's flags for every server, instead of production's. */
  nodeFlags: string[] | undefined
}

const USAGE = `usage: npm run bench -- [--duration S] [--warmup S] [--rounds N] [--connections N] [--keys N] [--only ID,…] [--rate R] [--profile DIR] [--tsx] [--node-flags F]
  --duration     seconds measured per target and round (default 10)
  --warmup       seconds of discarded load before each measurement (default 1)
  --rounds       rounds over all targets; figures are medians (default 1)
  --connections  concurrent connections (default 50)
  --keys         keys pre-filled in the Heirloom and ceiling tables (default 1000)
  --only         targets to run, by id (heirloom-get), server (ceiling) or
                 operation (get, put, put-repr, batch); default all but the
                 optional ones: guarded (the ceiling plus Heirloom's depth-guard
                 hook: --only guarded,get) and turned (the ceiling writing its
                 responses at the end of the turn, as Heirloom does: --only turned,get)
  --rate         offered requests/s per target (default 0: as fast as answered);
                 for latency at a fixed load rather than at saturation
  --profile      write a CPU profile of each server's serving to DIR/<server>.cpuprofile
                 (summarise with: npx tsx bench/profile.ts DIR/heirloom.cpuprofile)
  --tsx          run the servers under tsx, skipping the compile (faster to start,
                 slower to serve than production)
  --node-flags   Node's flags for every server, space-separated, instead of those
                 \`npm start\` and the image use (${PRODUCTION_NODE_FLAGS.join(' ')}):
                 --node-flags=--max-semi-space-size=16 measures V8's default`

const SINGLE_GOAL: Goal = { ratio: 0.9, p99: 5 }
const BATCH_GOAL: Goal = { ratio: 0.8, objectsPerSecond: 1_000_000 }

function parseSettings (): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '1' },
      connections: { type: 'string', default: '50' },
      keys: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '0' },
      only: { type: 'string' },
      profile: { type: 'string' },
      tsx: { type: 'boolean', default: false },
      'node-flags': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  exitOnHelp(values.help, USAGE)
  const { duration, warmup, rounds, connections, keys, rate } = values
  const numbers = integers({ duration, warmup, rounds, connections, keys, rate }, USAGE, ['warmup', 'rate'])
  const only = values.only?.split(',').map(id => id.trim()).filter(id => id !== '')
  return { ...numbers, only, profile: values.profile === undefined ? undefined : resolvePath(values.profile), tsx: values.tsx === true, nodeFlags: values['node-flags']?.split(/\s+/).filter(flag => flag !== '') }
}

/** Every target, each Heirloom one followed by its ceiling. */
function targets (keys: number): Target[] {
  const goals: Record<Operation, Goal> = { get: SINGLE_GOAL, put: SINGLE_GOAL, 'put-repr': SINGLE_GOAL, batch: BATCH_GOAL }
  const operations = (Object.keys(OPERATIONS) as Operation[]).map(op => ({
    op,
    ...OPERATIONS[op],
    requests: operationRequests(op, keys),
    objects: op === 'batch' ? BATCH_SIZE : undefined,
    goal: goals[op],
  }))
  return [
    { id: 'hello', name: 'fastify hello (baseline)', server: 'hello', expect: 200, requests: [{ method: 'GET', path: '/' }] },
    ...operations.flatMap(({ op, label, expect, requests, objects, goal }): Target[] => [
      { id: `heirloom-${op}`, name: `heirloom ${label}`, server: 'heirloom', expect, requests, objects, ceiling: `ceiling-${op}`, goal },
      { id: `ceiling-${op}`, name: `ceiling ${label}`, server: 'ceiling', expect, requests, objects },
      {
        id: `guarded-${op}`,
        name: `ceiling+depth hook ${label}`,
        server: 'guarded',
        expect,
        requests,
        objects,
        ceiling: `ceiling-${op}`,
        optional: true,
      },
      {
        id: `turned-${op}`,
        name: `ceiling+end-of-turn ${label}`,
        server: 'turned',
        expect,
        requests,
        objects,
        ceiling: `ceiling-${op}`,
        optional: true,
      },
    ]),
  ]
}

/**
 * `--only get` picks heirloom-get and ceiling-get; `--only ceiling` every
 * ceiling target. An optional target needs its id or its server named.
 */
function selected (all: Target[], only: string[] | undefined): Target[] {
  if (only === undefined) return all.filter(t => t.optional !== true)
  const picked = all.filter(t => {
    if (t.optional === true && !only.some(id => id === t.id || id === t.server)) return false
    return only.some(id => t.id === id || t.server === id || t.id.endsWith(`-${id}`))
  })
  if (picked.length === 0) throw new Error(`--only ${only.join(',')} names no target; ids: ${all.map(t => t.id).join(', ')}`)
  return picked
}

/** One run of a target, with the CPU µs per request its server spent (warm-up included). */
interface Measurement { result: Result; user: number; system: number }

async function measure (server: Server, target: Target, settings: Settings): Promise<Measurement> {
  const before = await usage(server)
  const result = await autocannon({
    // The full base URL: autocannon ignores a top-level `path`; each request carries its own.
    url: server.url,
    connections: settings.connections,
    pipelining: 1,
    duration: settings.duration,
    timeout: 10,
    requests: target.requests,
    ...(settings.rate > 0 ? { overallRate: settings.rate } : {}),
    ...(settings.warmup > 0 ? { warmup: { duration: settings.warmup } } : {}),
  })
  const after = await usage(server)
  const requests = Math.max(1, after.requests - before.requests)
  return { result, user: (after.user - before.user) / requests, system: (after.system - before.system) / requests }
}

/** One target's figures over the rounds: medians of rates and latencies, sums of counts. */
interface Summary {
  target: Target
  rate: number
  p50: number
  p99: number
  /** Server CPU µs per request, in user code and in the kernel. */
  user: number
  system: number
  errors: number
  non2xx: number
  statuses: Map<string, number>
}

function summarise (target: Target, measurements: Measurement[]): Summary {
  const results = measurements.map(m => m.result)
  const statuses = new Map<string, number>()
  for (const result of results) {
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses.set(code, (statuses.get(code) ?? 0) + count)
  }
  return {
    target,
    rate: median(results.map(r => r.requests.average)),
    p50: median(results.map(r => r.latency.p50)),
    p99: median(results.map(r => r.latency.p99)),
    user: median(measurements.map(m => m.user)),
    system: median(measurements.map(m => m.system)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    statuses,
  }
}

const objectRate = (s: Summary): number => s.rate * (s.target.objects ?? 1)

/** 1234567 → "1.23M", 12345 → "12.3k". */
function si (n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`
  return String(Math.round(n))
}

/** The Heirloom targets' goals, one line each: met or missed. */
function verdicts (summaries: Summary[]): string[] {
  const byId = new Map(summaries.map(s => [s.target.id, s]))
  return summaries.flatMap(s => {
    const { goal, ceiling } = s.target
    if (goal === undefined) return []
    const checks: string[] = []
    const mark = (ok: boolean): string => ok ? 'ok' : 'MISSED'
    const top = ceiling === undefined ? undefined : byId.get(ceiling)
    if (top === undefined) checks.push(`ceiling not measured (goal ≥ ${goal.ratio.toFixed(2)}×)`)
    else {
      const ratio = s.rate / top.rate
      checks.push(`${ratio.toFixed(2)}× ceiling (goal ≥ ${goal.ratio.toFixed(2)}) ${mark(ratio >= goal.ratio)}` +
        ` [user CPU per request: ${(top.user / s.user).toFixed(2)}×]`)
    }
    if (goal.objectsPerSecond !== undefined) {
      checks.push(`${si(objectRate(s))} objects/s (goal ≥ ${si(goal.objectsPerSecond)}) ${mark(objectRate(s) >= goal.objectsPerSecond)}`)
    }
    if (goal.p99 !== undefined) checks.push(`p99 ${s.p99.toFixed(1)} ms (goal < ${goal.p99}) ${mark(s.p99 < goal.p99)}`)
    return [`${s.target.name}: ${checks.join('; ')}`]
  })
}

/** The 1-minute load average before and after the run: other work on the machine skews every figure. */
interface Load { before: number; after: number }

function report (summaries: Summary[], settings: Settings, load: Load): string {
  const byId = new Map(summaries.map(s => [s.target.id, s]))
  const hello = byId.get('hello')?.rate
  const top = (s: Summary): Summary | undefined => s.target.ceiling === undefined ? undefined : byId.get(s.target.ceiling)
  const ratio = (of: Summary | undefined, value: () => number): string => of === undefined ? '' : value().toFixed(2)
  const header = ['target', 'req/s', 'objects/s', 'p50 ms', 'p99 ms', 'user+sys µs/req', 'errors', 'non-2xx', 'statuses', 'vs ceiling', 'user CPU vs ceiling', 'vs hello']
  const lines = summaries.map(s => [
    s.target.name,
    Math.round(s.rate).toString(),
    si(objectRate(s)),
    s.p50.toFixed(1),
    s.p99.toFixed(1),
    `${s.user.toFixed(0)}+${s.system.toFixed(0)}`,
    String(s.errors),
    String(s.non2xx),
    [...s.statuses].map(([code, count]) => `${code}×${count}`).join(' '),
    ratio(top(s), () => s.rate / top(s)!.rate),
    // The ceiling's user CPU per request over this one's: the req/s ratio of an idle machine.
    ratio(top(s), () => top(s)!.user / s.user),
    hello === undefined ? '' : (s.rate / hello).toFixed(2),
  ])
  const left = (column: number): boolean => column === 0 || column === 8
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map(line => line[c].length)))
  const format = (cells: string[]): string =>
    '| ' + cells.map((cell, c) => left(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => left(c) ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':').join('|') + '|'
  const unexpected = summaries.filter(s => s.errors > 0 || [...s.statuses.keys()].some(code => Number(code) !== s.target.expect))
  const rounds = settings.rounds === 1 ? '' : `, medians of ${settings.rounds} rounds`
  const rate = settings.rate > 0 ? `, offered ${settings.rate} req/s` : ''
  const goals = verdicts(summaries)
  return [
    `autocannon 9, ${settings.connections} connections${rate}, ${settings.duration} s per target after ${settings.warmup} s warm-up${rounds};` +
      ` servers in child processes (${settings.tsx ? 'under tsx' : 'compiled by tsc'}); node ${process.version} ${(settings.nodeFlags ?? PRODUCTION_NODE_FLAGS).join(' ')}, ${availableParallelism()} cores`,
    `load average (1 min) ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after` +
      (Math.max(load.before, load.after) > availableParallelism() / 2 ? ': other work was running, compare ratios only' : ''),
    '',
    format(header),
    rule,
    ...lines.map(format),
    ...unexpected.map(s => `WARNING: ${s.target.name}: expected only ${s.target.expect} answers and no errors`),
    ...(goals.length > 0 ? ['', 'Goals:', ...goals.map(line => `- ${line}`)] : []),
  ].join('\n')
}

async function main (): Promise<void> {
  const settings = parseSettings()
  const chosen = selected(targets(settings.keys), settings.only)
  if (settings.profile !== undefined) mkdirSync(settings.profile, { recursive: true })
  // Writing a profile (source positions mapped) takes a while.
  const grace = settings.profile === undefined ? 5000 : 60_000
  const compileTime = settings.tsx ? 0 : 300_000
  const budget = (settings.rounds * chosen.length * (settings.duration + settings.warmup) + 60) * 1000 + grace + compileTime
  const disarm = watchdog(budget)

  const serve = withNodeFlags(settings.tsx ? underTsx() : await compileServe(), settings.nodeFlags)
  const before = loadavg()[0]
  const servers = new Map<ServerKind, Server>()
  for (const kind of new Set(chosen.map(t => t.server))) {
    const profile = settings.profile === undefined ? undefined : join(settings.profile, `${kind}.cpuprofile`)
    servers.set(kind, await startServer(serve, kind, { keys: settings.keys, profile }))
  }
  const results = new Map<Target, Measurement[]>(chosen.map(target => [target, []]))
  for (let round = 1; round <= settings.rounds; round++) {
    // Every other round backwards: no target always runs right after the same one.
    const order = round % 2 === 1 ? chosen : [...chosen].reverse()
    for (const target of order) {
      process.stderr.write(`bench: round ${round}/${settings.rounds}: ${target.name} (${settings.warmup} + ${settings.duration} s)\n`)
      results.get(target)?.push(await measure(servers.get(target.server)!, target, settings))
    }
  }
  await stopChildren(grace)
  const load = { before, after: loadavg()[0] }
  process.stdout.write(report(chosen.map(target => summarise(target, results.get(target) ?? [])), settings, load) + '\n')
  if (settings.profile !== undefined) process.stdout.write(`\nCPU profiles in ${settings.profile}\n`)
  disarm()
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`)
  await stopChildren(5000)
  process.exit(1)
})
