/**
 * Load benchmark: Heirloom's object reads and writes against a bare Fastify
 * hello-world, measured in one run so that the ratios mean something (the
 * absolute figures drift between runs and machines; the ratios much less).
 *
 *   npm run bench -- [--duration S] [--warmup S] [--rounds N] [--connections N] [--keys N]
 *
 * Each server runs in a child process (bench/serve.ts) and autocannon runs
 * here: on a 2-core machine, sharing one event loop would make the load
 * generator and the server take turns, and measure neither. Both servers
 * start first and the targets are measured one after another, in --rounds
 * rounds; each figure is the median over the rounds, so that a burst of
 * load from elsewhere on the machine skews one round, not one target.
 * Everything listens on 127.0.0.1, every run is bounded by --duration, and a
 * watchdog ends the benchmark if anything hangs.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon, { type Request, type Result } from 'autocannon'
import { BENCH_TABLE, benchKey, benchValue } from './workload.js'

type ServerKind = 'hello' | 'heirloom'

interface Target {
  name: string
  server: ServerKind
  /** The status every answer should have. */
  expect: number
  /** The requests each connection cycles through. */
  requests: Request[]
}

interface Settings { duration: number; warmup: number; rounds: number; connections: number; keys: number }

const USAGE = `usage: npm run bench -- [--duration S] [--warmup S] [--rounds N] [--connections N] [--keys N]
  --duration     seconds measured per target and round (default 10)
  --warmup       seconds of discarded load before each measurement (default 1)
  --rounds       rounds over all targets; figures are medians (default 1)
  --connections  concurrent connections (default 50)
  --keys         keys pre-filled in the Heirloom table (default 1000)`

/** How many distinct keys the requests of a connection cycle through. */
const KEYS_PER_CYCLE = 64

function parseSettings (): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '1' },
      connections: { type: 'string', default: '50' },
      keys: { type: 'string', default: '1000' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    process.exit(0)
  }
  const settings = {
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    keys: Number(values.keys),
  }
  for (const [name, value] of Object.entries(settings)) {
    const least = name === 'warmup' ? 0 : 1
    if (!Number.isInteger(value) || value < least) throw new Error(`--${name} must be an integer ≥ ${least}\n${USAGE}`)
  }
  return settings
}

/** Requests over KEYS_PER_CYCLE keys spread across the pre-filled ones. */
function objectRequests (keys: number, request: (key: string, i: number) => Request): Request[] {
  const count = Math.min(keys, KEYS_PER_CYCLE)
  return Array.from({ length: count }, (_, n) => {
    const i = Math.floor(n * keys / count)
    return request(benchKey(i), i)
  })
}

function targets (keys: number): Target[] {
  const objectPath = (key: string): string => `/v1/tables/${BENCH_TABLE}/objects/${encodeURIComponent(key)}`
  const put = (headers: Record<string, string>) => (key: string, i: number): Request => ({
    method: 'PUT',
    path: objectPath(key),
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ value: benchValue(i) }),
  })
  return [
    { name: 'fastify hello (baseline)', server: 'hello', expect: 200, requests: [{ method: 'GET', path: '/' }] },
    {
      name: 'heirloom GET object',
      server: 'heirloom',
      expect: 200,
      requests: objectRequests(keys, key => ({ method: 'GET', path: objectPath(key) })),
    },
    { name: 'heirloom PUT object', server: 'heirloom', expect: 204, requests: objectRequests(keys, put({})) },
    {
      name: 'heirloom PUT return=repr',
      server: 'heirloom',
      expect: 200,
      requests: objectRequests(keys, put({ prefer: 'return=representation' })),
    },
  ]
}

const children = new Set<ChildProcess>()

/** Starts bench/serve.ts in a child process; resolves with its base URL once it listens. */
function startServer (kind: ServerKind, keys: number): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('./serve.ts', import.meta.url)), [kind, '--keys', String(keys)], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return new Promise((resolve, reject) => {
    child.once('message', message => resolve({ child, url: (message as { url: string }).url }))
    child.once('exit', code => reject(new Error(`bench/serve.ts ${kind} exited (${code}) before listening`)))
  })
}

/** Disconnecting is the child's cue to close and exit; SIGKILL if it has not within 5 s. */
async function stopServer (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  if (child.connected) child.disconnect()
  else child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

async function measure (url: string, target: Target, settings: Settings): Promise<Result> {
  return autocannon({
    // The full base URL: autocannon ignores a top-level `path`; each request carries its own.
    url,
    connections: settings.connections,
    pipelining: 1,
    duration: settings.duration,
    timeout: 10,
    requests: target.requests,
    ...(settings.warmup > 0 ? { warmup: { duration: settings.warmup } } : {}),
  })
}

/** One target's figures over the rounds: medians of rates and latencies, sums of counts. */
interface Summary {
  target: Target
  rate: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  statuses: Map<string, number>
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function summarise (target: Target, results: Result[]): Summary {
  const statuses = new Map<string, number>()
  for (const result of results) {
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses.set(code, (statuses.get(code) ?? 0) + count)
  }
  return {
    target,
    rate: median(results.map(r => r.requests.average)),
    p50: median(results.map(r => r.latency.p50)),
    p99: median(results.map(r => r.latency.p99)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    statuses,
  }
}

function report (summaries: Summary[], settings: Settings): string {
  const baseline = summaries.find(s => s.target.server === 'hello')?.rate ?? NaN
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'statuses', 'vs hello']
  const lines = summaries.map(s => [
    s.target.name,
    Math.round(s.rate).toString(),
    s.p50.toFixed(1),
    s.p99.toFixed(1),
    String(s.errors),
    String(s.non2xx),
    [...s.statuses].map(([code, count]) => `${code}×${count}`).join(' '),
    (s.rate / baseline).toFixed(2),
  ])
  const left = (column: number): boolean => column === 0 || column === 6
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map(line => line[c].length)))
  const format = (cells: string[]): string =>
    '| ' + cells.map((cell, c) => left(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => left(c) ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':').join('|') + '|'
  const unexpected = summaries.filter(s => s.errors > 0 || [...s.statuses.keys()].some(code => Number(code) !== s.target.expect))
  const rounds = settings.rounds === 1 ? '' : `, medians of ${settings.rounds} rounds`
  return [
    `autocannon 9, ${settings.connections} connections, ${settings.duration} s per target after ${settings.warmup} s warm-up${rounds};` +
      ` servers in child processes; node ${process.version}, ${availableParallelism()} cores`,
    '',
    format(header),
    rule,
    ...lines.map(format),
    ...unexpected.map(s => `WARNING: ${s.target.name}: expected only ${s.target.expect} answers and no errors`),
  ].join('\n')
}

async function main (): Promise<void> {
  const settings = parseSettings()
  const all = targets(settings.keys)
  const budget = (settings.rounds * all.length * (settings.duration + settings.warmup) + 60) * 1000
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${budget / 1000} s; giving up\n`)
    for (const child of children) child.kill('SIGKILL')
    process.exit(1)
  }, budget)
  watchdog.unref()

  const urls = new Map<ServerKind, string>()
  for (const kind of ['hello', 'heirloom'] as const) urls.set(kind, (await startServer(kind, settings.keys)).url)
  const results = new Map<Target, Result[]>(all.map(target => [target, []]))
  for (let round = 1; round <= settings.rounds; round++) {
    for (const target of all) {
      process.stderr.write(`bench: round ${round}/${settings.rounds}: ${target.name} (${settings.warmup} + ${settings.duration} s)\n`)
      results.get(target)?.push(await measure(urls.get(target.server) ?? '', target, settings))
    }
  }
  await Promise.all([...children].map(stopServer))
  process.stdout.write(report(all.map(target => summarise(target, results.get(target) ?? [])), settings) + '\n')
  clearTimeout(watchdog)
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`)
  await Promise.all([...children].map(stopServer))
  process.exit(1)
})
