/**
 * Load benchmark: Heirloom's object reads and writes against a bare Fastify
 * hello-world, measured in one run so that the ratios mean something (the
 * absolute figures drift between runs and machines; the ratios much less).
 *
 *   npm run bench -- [--duration S] [--warmup S] [--connections N] [--keys N]
 *
 * Each server runs in a child process (bench/serve.ts) and autocannon runs
 * here: on a 2-core machine, sharing one event loop would make the load
 * generator and the server take turns, and measure neither. One server runs
 * at a time. Everything listens on 127.0.0.1, every run is bounded by
 * --duration, and a watchdog ends the benchmark if anything hangs.
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

interface Settings { duration: number; warmup: number; connections: number; keys: number }

const USAGE = `usage: npm run bench -- [--duration S] [--warmup S] [--connections N] [--keys N]
  --duration     seconds measured per target (default 10)
  --warmup       seconds of discarded load before each target (default 1)
  --connections  concurrent connections (default 50)
  --keys         keys pre-filled in the Heirloom table (default 1000)`

/** How many distinct keys the requests of a connection cycle through. */
const KEYS_PER_CYCLE = 64

function parseSettings (): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
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

function report (rows: Array<{ target: Target; result: Result }>, settings: Settings): string {
  const baseline = rows.find(row => row.target.server === 'hello')?.result.requests.average ?? NaN
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'statuses', 'vs hello']
  const lines = rows.map(({ target, result }) => {
    const statuses = Object.entries(result.statusCodeStats).map(([code, { count }]) => `${code}×${count}`).join(' ')
    return [
      target.name,
      Math.round(result.requests.average).toString(),
      result.latency.p50.toFixed(1),
      result.latency.p99.toFixed(1),
      String(result.errors),
      String(result.non2xx),
      statuses,
      (result.requests.average / baseline).toFixed(2),
    ]
  })
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map(line => line[c].length)))
  const format = (cells: string[]): string =>
    '| ' + cells.map((cell, c) => c === 0 || c === 6 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => c === 0 || c === 6 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':').join('|') + '|'
  const unexpected = rows.filter(({ target, result }) =>
    Object.keys(result.statusCodeStats).some(code => Number(code) !== target.expect) || result.errors > 0)
  return [
    `autocannon 9, ${settings.connections} connections, ${settings.duration} s per target after ${settings.warmup} s warm-up,` +
      ` servers in a child process, node ${process.version}, ${availableParallelism()} cores`,
    '',
    format(header),
    rule,
    ...lines.map(format),
    '',
    ...unexpected.map(({ target }) => `WARNING: ${target.name}: expected only ${target.expect} and no errors`),
  ].join('\n')
}

async function main (): Promise<void> {
  const settings = parseSettings()
  const all = targets(settings.keys)
  const budget = (all.length * (settings.duration + settings.warmup) + 60) * 1000
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${budget / 1000} s; giving up\n`)
    for (const child of children) child.kill('SIGKILL')
    process.exit(1)
  }, budget)
  watchdog.unref()

  const rows: Array<{ target: Target; result: Result }> = []
  for (const kind of ['hello', 'heirloom'] as const) {
    const { child, url } = await startServer(kind, settings.keys)
    try {
      for (const target of all.filter(t => t.server === kind)) {
        process.stderr.write(`bench: ${target.name} (${settings.warmup} + ${settings.duration} s)…\n`)
        rows.push({ target, result: await measure(url, target, settings) })
      }
    } finally {
      await stopServer(child)
    }
  }
  process.stdout.write(report(rows, settings) + '\n')
  clearTimeout(watchdog)
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`)
  await Promise.all([...children].map(stopServer))
  process.exit(1)
})
