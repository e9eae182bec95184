/**
 * Durable tables (issue 9), in one sitting so that the ratios mean something
 * (the absolute figures drift between runs and machines; the ratios much less):
 *
 *   npx tsx bench/durable.ts [--duration S] [--warmup S] [--rounds N] [--objects N]
 *                            [--webdis-threads N] [--tsx]
 *
 * 1. PUT /v1/tables/bench/objects/<key> of a small JSON value, autocannon at
 *    50 connections, on a `memory`, a `disk` and a `relaxed` table. Each
 *    server is bench/serve.ts compiled by tsc, as production runs it, in a
 *    child process of its own (bench/servers.ts; --tsx runs it under tsx).
 * 2. Redis beside it, with `appendonly yes` at `appendfsync always` and at
 *    `everysec`, measured two ways:
 *    - redis-benchmark -c 50 -t set: what the issue names, but RESP, a binary
 *      protocol with no HTTP to parse or frame, and its own client (a tight C
 *      loop, not autocannon);
 *    - Webdis (Debian's `webdis`) in front of the same redis-server, driven by
 *      the same autocannon settings with PUT /SET/<key> and the value as the
 *      body (Webdis takes a PUT body as the command's last argument): HTTP to
 *      HTTP, the like-for-like comparison, since a Heirloom client speaks
 *      HTTP. Webdis runs with --webdis-threads worker threads, default 1, not
 *      Debian's 2: Heirloom serves HTTP on one event loop, and one Webdis
 *      thread for HTTP beside Redis's one thread for the store already makes
 *      two busy threads for the machine's two cores, which autocannon shares;
 *      a second Webdis thread mostly adds contention (a short check here, on
 *      a busy machine, showed no clear gain from 2). Its config is written to
 *      a temp dir (daemonize false, its own free port, log in the temp dir,
 *      no ACL).
 *    The `disk` table's goal is Redis at `always` beside it: both ratios are
 *    printed.
 * 3. A `disk` table of --objects small objects, filled and reopened by the
 *    table service in a child process compiled as the servers are
 *    (bench/reload.ts): the time until it is loaded, and its bytes on disk
 *    per object.
 *
 * Every PUT target runs on a fresh server (a fresh data dir, AOF or LevelDB)
 * for each of --rounds rounds, every other round in reverse order, so that
 * no target always runs first, cold, or right after the same one; each
 * figure is the median over the rounds. redis-benchmark has no duration: its
 * request count is sized from the rate of its previous run (a short first
 * guess, then the warm-up), and each run is bounded in time.
 *
 * Everything listens on 127.0.0.1 on free ports; every child is stopped and
 * every temp dir removed when the run ends, fails, is interrupted
 * (SIGINT/SIGTERM) or outlives the watchdog. Not a test: figures for the
 * README and the issue, checked against its goals.
 */
import { execFile, fork, spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { basename, dirname, join, resolve as resolvePath } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon, { type Request } from 'autocannon'
import { DURABILITIES, type Durability } from '../src/tables/storage.js'
import { compileServe, type ServeCommand, startServer, stopChild, stopChildren, track, underTsx, watchdog } from './servers.js'
import type { Reload } from './reload.js'
import { exitOnHelp, integers } from './options.js'
import { median } from './stats.js'
import { BENCH_TABLE } from './workload.js'

const USAGE = `usage: npx tsx bench/durable.ts [--duration S] [--warmup S] [--rounds N] [--objects N] [--webdis-threads N] [--profile DIR] [--tsx]
  --duration        seconds measured per target and round (default 10)
  --warmup          seconds of discarded load before each measurement (default 2)
  --rounds          rounds over all targets; figures are medians (default 3)
  --objects         small objects in the table reloaded (default 1000000)
  --webdis-threads  Webdis worker threads (default 1)
  --profile         write a CPU profile of each Heirloom PUT server's serving
                    (its last round) to DIR/<durability>.cpuprofile; compare
                    with: npx tsx bench/profile.ts DIR/relaxed.cpuprofile --vs DIR/memory.cpuprofile
  --tsx             run the Heirloom servers under tsx, skipping the compile
                    (faster to start, slower to serve than production)`

/** The load: 50 connections, one request in flight on each. */
const CONNECTIONS = 50

/** The PUTs cycle over REQUESTS keys spread across KEYS (7919 is prime to KEYS: no key twice). */
const REQUESTS = 1000
const KEYS = 10_000

/** What issue 9 asks. */
const GOALS = { diskOverMemory: 0.5, relaxedOverMemory: 0.8, diskOverRedisAlways: 1, reloadSeconds: 5 }

/** ms a child has to exit once asked before SIGKILL. */
const GRACE = 5000

/** ms a redis-server or Webdis has to answer once started. */
const START_TIMEOUT = 10_000

const FSYNCS = ['always', 'everysec'] as const
type Fsync = typeof FSYNCS[number]

interface Settings {
  duration: number
  warmup: number
  rounds: number
  objects: number
  webdisThreads: number
  tsx: boolean
  profile: string | undefined
}

function parseSettings (): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      objects: { type: 'string', default: '1000000' },
      'webdis-threads': { type: 'string', default: '1' },
      tsx: { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  exitOnHelp(values.help, USAGE)
  const { duration, warmup, rounds, objects } = values
  const { 'webdis-threads': webdisThreads, ...numbers } = integers({ duration, warmup, rounds, objects, 'webdis-threads': values['webdis-threads'] }, USAGE, ['warmup'])
  return { ...numbers, webdisThreads, tsx: values.tsx === true, profile: values.profile === undefined ? undefined : resolvePath(values.profile) }
}

// --- Temp dirs, commands, ports ----------------------------------------------------

/** This run's temp dirs: each removed when done with, and all at once by the error path and the watchdog. */
const tempDirs = new Set<string>()

async function tempDir (prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

function removeTempDirs (): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

/** Runs a command to its end within `timeout` ms (tracked: the watchdog ends it); resolves with its stdout. */
function run (command: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    track(execFile(command, args, { timeout }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`))
      else resolve(stdout)
    }))
  })
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Polls `ready` every 50 ms until it holds; fails if `child` exits first or START_TIMEOUT passes. */
async function until (what: string, child: { exitCode: number | null }, ready: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + START_TIMEOUT
  while (!await ready().catch(() => false)) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before answering`)
    if (performance.now() > deadline) throw new Error(`${what} did not answer within ${START_TIMEOUT / 1000} s`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

// --- Measurements -------------------------------------------------------------------

/** One target in one round. */
interface Measurement {
  rate: number
  /** Latency, ms. */
  p50: number
  p99: number
  /** Failed requests and unexpected answers; NaN where the client does not tell (redis-benchmark). */
  errors: number
  /** Something that makes the figure doubtful. */
  warning?: string
}

/** The PUT workload over `path(key)`, each with `body(value)` of a small JSON value. */
function puts (path: (key: string) => string, body: (value: unknown) => string): Request[] {
  return Array.from({ length: REQUESTS }, (_, i) => ({
    method: 'PUT',
    path: path(`k${(i * 7919) % KEYS}`),
    headers: { 'content-type': 'application/json' },
    body: body({ n: i, name: `user ${i}`, active: true }),
  }))
}

/** autocannon at CONNECTIONS connections, warm-up discarded; every answer should be `expect`. */
async function cannon (url: string, requests: Request[], expect: number, settings: Settings): Promise<Measurement> {
  const result = await autocannon({
    // The full base URL: autocannon ignores a top-level `path`; each request carries its own.
    url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: settings.duration,
    timeout: 10,
    requests,
    ...(settings.warmup > 0 ? { warmup: { duration: settings.warmup } } : {}),
  })
  const unexpected = Object.entries(result.statusCodeStats)
    .reduce((sum, [code, { count }]) => Number(code) === expect ? sum : sum + count, 0)
  return { rate: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + unexpected }
}

async function heirloomPut (durability: Durability, serve: ServeCommand, settings: Settings): Promise<Measurement> {
  const profile = settings.profile === undefined ? undefined : join(settings.profile, `${durability}.cpuprofile`)
  if (settings.profile !== undefined) mkdirSync(settings.profile, { recursive: true })
  const server = await startServer(serve, 'heirloom', { keys: 0, durability, profile })
  try {
    const path = (key: string): string => `/v1/tables/${BENCH_TABLE}/objects/${key}`
    return await cannon(server.url, puts(path, value => JSON.stringify({ value })), 204, settings)
  } finally {
    // Writing a profile (source positions mapped) takes a while.
    await stopChild(server.child, profile === undefined ? GRACE : 60_000)
  }
}

/** Runs `use` on a fresh redis-server (appendonly yes at `fsync`, no RDB snapshots) on a free port; stops it and removes its dir after. */
async function withRedis<T> (fsync: Fsync, use: (port: number) => Promise<T>): Promise<T> {
  const dir = await tempDir('heirloom-bench-redis-')
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, '--dir', dir]
  const redis = track(spawn('redis-server', args, { stdio: 'ignore' }))
  try {
    await until('redis-server', redis, async () =>
      (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], 1000)).trim() === 'PONG')
    return await use(port)
  } finally {
    await stopChild(redis, GRACE)
    await removeDir(dir)
  }
}

/** One redis-benchmark SET run of `requests` requests at CONNECTIONS connections, within `timeout` ms. */
async function redisBenchmark (port: number, requests: number, timeout: number): Promise<Measurement> {
  // Keys over the same range as the PUTs (-r) and a value of about their size (-d), not one key and 3 bytes.
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(CONNECTIONS), '-n', String(requests), '-t', 'set', '-r', String(KEYS), '-d', '45', '--csv']
  const csv = (await run('redis-benchmark', args, timeout)).trim().split('\n').map(line => line.split(',').map(cell => cell.replaceAll('"', '')))
  const [header, row] = csv
  const column = (name: string): number => Number(row?.[header.indexOf(name)])
  const rate = column('rps')
  if (row?.[0] !== 'SET' || !(rate > 0)) throw new Error(`redis-benchmark said: ${csv.join('\n')}`)
  return { rate, p50: column('p50_latency_ms'), p99: column('p99_latency_ms'), errors: NaN }
}

/**
 * redis-benchmark for about --duration s after about --warmup s: it counts
 * requests, not seconds, so each run is sized from the rate of the one
 * before, and may take up to 5× as long as meant before it fails.
 */
async function redisSet (port: number, settings: Settings): Promise<Measurement> {
  const least = CONNECTIONS * 20
  const sized = (rate: number, seconds: number): number => Math.max(least, Math.round(rate * seconds))
  const bound = (seconds: number): number => 5 * seconds * 1000 + 10_000
  let { rate } = await redisBenchmark(port, least, bound(1))
  if (settings.warmup > 0) ({ rate } = await redisBenchmark(port, sized(rate, settings.warmup), bound(settings.warmup)))
  return await redisBenchmark(port, sized(rate, settings.duration), bound(settings.duration))
}

/** Runs `use` on Webdis in front of the redis-server at `redisPort`, configured in a temp dir; stops it and removes the dir after. */
async function withWebdis<T> (redisPort: number, threads: number, use: (url: string) => Promise<T>): Promise<T> {
  const dir = await tempDir('heirloom-bench-webdis-')
  const port = await freePort()
  const config = join(dir, 'webdis.json')
  await writeFile(config, JSON.stringify({
    redis_host: '127.0.0.1',
    redis_port: redisPort,
    http_host: '127.0.0.1',
    http_port: port,
    threads,
    daemonize: false,
    database: 0,
    verbosity: 3,
    logfile: join(dir, 'webdis.log'),
  }))
  const webdis = track(spawn('webdis', [config], { cwd: dir, stdio: 'ignore' }))
  const url = `http://127.0.0.1:${port}`
  try {
    // PING through Webdis: it listens, and reaches Redis.
    await until('webdis', webdis, async () =>
      await (await fetch(`${url}/PING`, { signal: AbortSignal.timeout(1000) })).text() === '{"PING":[true,"PONG"]}')
    return await use(url)
  } finally {
    await stopChild(webdis, GRACE)
    await removeDir(dir)
  }
}

/** The PUT workload through Webdis: PUT /SET/<key> with the value as the body. */
async function webdisSet (url: string, settings: Settings): Promise<Measurement> {
  const requests = puts(key => `/SET/${key}`, value => JSON.stringify(value))
  const measurement = await cannon(url, requests, 200, settings)
  // Webdis answers 200 even when Redis answers an error: the first key must hold its value.
  const [{ path, body }] = requests
  const stored = await (await fetch(`${url}${path!.replace('/SET/', '/GET/')}`, { signal: AbortSignal.timeout(5000) })).text()
  if (stored !== JSON.stringify({ GET: body })) return { ...measurement, warning: `${path} holds ${stored}, not ${body}` }
  return measurement
}

// --- Targets ------------------------------------------------------------------------

interface Target {
  id: string
  name: string
  measure: (serve: ServeCommand, settings: Settings) => Promise<Measurement>
}

const TARGETS: Target[] = [
  ...DURABILITIES.map((durability): Target => ({
    id: durability,
    name: `Heirloom PUT, ${durability} table`,
    measure: (serve, settings) => heirloomPut(durability, serve, settings),
  })),
  ...FSYNCS.map((fsync): Target => ({
    id: `redis-benchmark ${fsync}`,
    name: `Redis SET, appendfsync ${fsync}: redis-benchmark (RESP)`,
    measure: (_, settings) => withRedis(fsync, port => redisSet(port, settings)),
  })),
  ...FSYNCS.map((fsync): Target => ({
    id: `webdis ${fsync}`,
    name: `Redis SET, appendfsync ${fsync}: Webdis (HTTP PUT)`,
    measure: (_, settings) => withRedis(fsync, port => withWebdis(port, settings.webdisThreads, url => webdisSet(url, settings))),
  })),
]

/** One target's figures over the rounds: medians, and the sum of errors. */
interface Summary { target: Target; rate: number; p50: number; p99: number; errors: number; warnings: string[] }

function summarise (target: Target, measurements: Measurement[]): Summary {
  return {
    target,
    rate: median(measurements.map(m => m.rate)),
    p50: median(measurements.map(m => m.p50)),
    p99: median(measurements.map(m => m.p99)),
    errors: measurements.reduce((sum, m) => sum + m.errors, 0),
    warnings: measurements.flatMap(m => m.warning === undefined ? [] : [m.warning]),
  }
}

// --- Reload -------------------------------------------------------------------------

/**
 * `objects` small objects in a disk table: start-up load time and bytes on
 * disk per object, measured by bench/reload.ts in a child process, compiled
 * as the servers are.
 */
async function reload (objects: number, serve: ServeCommand): Promise<Reload> {
  const dataDir = await tempDir('heirloom-bench-reload-')
  try {
    const script = join(dirname(serve.script), basename(serve.script).replace(/^serve\./, 'reload.'))
    const child = track(fork(script, [String(objects), dataDir], { execArgv: serve.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    return await new Promise<Reload>((resolve, reject) => {
      child.once('message', message => resolve((message as { reload: Reload }).reload))
      child.once('exit', code => reject(new Error(`bench/reload exited (${code}) before it answered`)))
    })
  } finally {
    await removeDir(dataDir)
  }
}

// --- Report -------------------------------------------------------------------------

function report (summaries: Summary[], reloaded: Reload, settings: Settings, load: { before: number; after: number }): string {
  const rate = (id: string): number => summaries.find(s => s.target.id === id)?.rate ?? NaN
  const fixed = (n: number, digits = 1): string => Number.isNaN(n) ? '–' : n.toFixed(digits)
  const mark = (ok: boolean): string => ok ? 'met' : 'MISSED'
  const ratios = [
    { name: 'disk / memory', value: rate('disk') / rate('memory'), goal: GOALS.diskOverMemory },
    { name: 'relaxed / memory', value: rate('relaxed') / rate('memory'), goal: GOALS.relaxedOverMemory },
    { name: 'disk / (Webdis + Redis always)', value: rate('disk') / rate('webdis always'), goal: GOALS.diskOverRedisAlways },
    { name: 'disk / (redis-benchmark always)', value: rate('disk') / rate('redis-benchmark always'), goal: GOALS.diskOverRedisAlways },
  ]
  const rows = [
    ...summaries.map(s => [s.target.name, `${Math.round(s.rate)} req/s`, fixed(s.p50), fixed(s.p99), fixed(s.errors, 0)]),
    ...ratios.map(r => [r.name, fixed(r.value, 2), '', '', '']),
    [`restart, disk table of ${settings.objects} small objects`,
      `${reloaded.loadSeconds.toFixed(2)} s to loaded (service up in ${reloaded.startSeconds.toFixed(2)} s)`, '', '', ''],
    ['on-disk bytes per object', reloaded.bytesPerObject.toFixed(1), '', '', ''],
  ]
  const header = ['measured', 'figure', 'p50 ms', 'p99 ms', 'errors']
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map(row => row[c].length)))
  const format = (cells: string[]): string =>
    '| ' + cells.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':').join('|') + '|'
  const rounds = settings.rounds === 1 ? '' : `, medians of ${settings.rounds} rounds`
  const perMillion = settings.objects === 1_000_000 ? '' : ` (the goal is for 1000000; ${settings.objects} measured)`
  return [
    `autocannon 9 and redis-benchmark, ${CONNECTIONS} connections, ${settings.duration} s per target after ${settings.warmup} s warm-up${rounds}; ` +
      `Heirloom in child processes (${settings.tsx ? 'under tsx' : 'compiled by tsc'}), Webdis with ${settings.webdisThreads} thread(s); ` +
      `node ${process.version}, ${availableParallelism()} cores`,
    `load average (1 min) ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after` +
      (Math.max(load.before, load.after) > availableParallelism() / 2 ? ': other work was running, compare ratios only' : ''),
    '',
    format(header),
    rule,
    ...rows.map(format),
    ...summaries.flatMap(s => s.warnings.map(w => `WARNING: ${s.target.name}: ${w}`)),
    ...summaries.filter(s => s.errors > 0).map(s => `WARNING: ${s.target.name}: ${s.errors} failed requests or unexpected answers`),
    '',
    'Goals:',
    ...ratios.map(r => `- ${r.name}: ${fixed(r.value, 2)} (goal ≥ ${r.goal.toFixed(2)}) ${mark(r.value >= r.goal)}`),
    `- reload: ${reloaded.loadSeconds.toFixed(2)} s (goal < ${GOALS.reloadSeconds} s${perMillion}) ${mark(reloaded.loadSeconds < GOALS.reloadSeconds)}`,
  ].join('\n')
}

// --- Main ---------------------------------------------------------------------------

async function main (): Promise<void> {
  const settings = parseSettings()
  const compileTime = settings.tsx ? 0 : 300_000
  // Per target and round: start-up, redis-benchmark's bounds (5× as long as meant), the stop.
  const perTarget = 60_000 + 5 * (settings.warmup + settings.duration) * 1000 + 2 * GRACE
  const reloadTime = 60_000 + settings.objects / 1_000_000 * 600_000
  const budget = compileTime + settings.rounds * TARGETS.length * perTarget + reloadTime
  let removeBuild = (): void => {}
  const cleanup = (): void => {
    removeBuild()
    removeTempDirs()
  }
  const disarm = watchdog(budget, cleanup)
  // redis-server and Webdis do not notice this process going, as a forked server does.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}; stopping\n`)
      void stopChildren(GRACE).finally(() => {
        cleanup()
        process.exit(1)
      })
    })
  }

  const serve = settings.tsx ? underTsx() : await compileServe('bench-durable')
  removeBuild = serve.cleanup
  try {
    const before = loadavg()[0]
    const measurements = new Map<Target, Measurement[]>(TARGETS.map(target => [target, []]))
    for (let round = 1; round <= settings.rounds; round++) {
      // Every other round backwards: no target always runs first, or right after the same one.
      const order = round % 2 === 1 ? TARGETS : [...TARGETS].reverse()
      for (const target of order) {
        process.stderr.write(`bench: round ${round}/${settings.rounds}: ${target.name} (${settings.warmup} + ${settings.duration} s)\n`)
        measurements.get(target)?.push(await target.measure(serve, settings))
      }
    }
    const after = loadavg()[0]
    process.stderr.write(`bench: reload of a disk table of ${settings.objects} objects\n`)
    const reloaded = await reload(settings.objects, serve)
    const summaries = TARGETS.map(target => summarise(target, measurements.get(target) ?? []))
    process.stdout.write(report(summaries, reloaded, settings, { before, after }) + '\n')
  } finally {
    serve.cleanup()
  }
  disarm()
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`)
  await stopChildren(GRACE)
  removeTempDirs()
  process.exit(1)
})
