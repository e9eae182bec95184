/**
 * Durable tables (issue 9), in one run so that the ratios mean something:
 *
 * 1. PUT at 50 connections (autocannon, 127.0.0.1) on a `memory`, a `disk`
 *    and a `relaxed` table, each server in a child process of its own (as
 *    bench/load.ts does: the load generator and the server must not share a
 *    core's event loop);
 * 2. Redis with `appendonly yes` at `appendfsync always` and `everysec`
 *    (redis-benchmark -c 50 -t set), beside it;
 * 3. a `disk` table of 1M small objects: the time to load it at start-up
 *    and the bytes it takes on disk per object.
 *
 *   tsx bench/durable.ts [--duration S] [--objects N]
 *
 * Not a test: figures for the README and the issue, not assertions.
 */
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import autocannon, { type Result } from 'autocannon'
import { withDefaults } from '../src/config.js'
import { buildServer } from '../src/server.js'
import { TableService } from '../src/tables/service.js'

const MODES = ['memory', 'disk', 'relaxed'] as const
type Mode = typeof MODES[number]
const CONNECTIONS = 50
const KEYS = 10_000

/** Child: a server with one table `bench` of the given durability; sends its URL over IPC, exits when the parent goes. */
async function serve (mode: Mode): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-bench-durable-'))
  const app = await buildServer(withDefaults({ dataDir, logger: false }))
  await app.tables.create('bench', 'set', mode)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as { port: number }
  process.send!({ url: `http://127.0.0.1:${address.port}` })
  process.on('disconnect', () => {
    void app.close().then(() => rm(dataDir, { recursive: true, force: true })).then(() => process.exit(0))
  })
}

async function putRate (mode: Mode, duration: number): Promise<{ rps: number; p99: number; errors: number }> {
  const child = fork(new URL(import.meta.url).pathname, ['serve', mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const [{ url }] = await once(child, 'message') as [{ url: string }]
    const requests = Array.from({ length: 1000 }, (_, i) => ({
      method: 'PUT' as const,
      path: `/v1/tables/bench/objects/k${(i * 7919) % KEYS}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { n: i, name: `user ${i}`, active: true } }),
    }))
    const run = (seconds: number): Promise<Result> => autocannon({ url, connections: CONNECTIONS, duration: seconds, requests })
    await run(2) // warm-up: JIT, LevelDB's first files
    const result = await run(duration)
    return { rps: result.requests.average, p99: result.latency.p99, errors: result.non2xx + result.errors }
  } finally {
    child.disconnect()
    await once(child, 'exit')
  }
}

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

async function redisRate (fsync: 'always' | 'everysec'): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'heirloom-bench-redis-'))
  const port = await freePort()
  const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, '--dir', dir], { stdio: 'ignore' })
  try {
    for (let i = 0; ; i++) { // until it answers PING
      try {
        await promisify(execFile)('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'])
        break
      } catch (error) {
        if (i > 200) throw error
      }
    }
    const { stdout } = await promisify(execFile)('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', String(CONNECTIONS), '-n', '200000', '-t', 'set', '-q'])
    const match = /SET: ([\d.]+) requests per second/.exec(stdout)
    if (!match) throw new Error(`redis-benchmark said: ${stdout}`)
    return Number(match[1])
  } finally {
    redis.kill('SIGTERM')
    await once(redis, 'exit')
    await rm(dir, { recursive: true, force: true })
  }
}

async function diskBytes (dir: string): Promise<number> {
  let bytes = 0
  for (const file of await readdir(dir)) bytes += (await stat(join(dir, file))).size
  return bytes
}

/** 1M small objects in a disk table: start-up load time and bytes on disk per object. */
async function reload (objects: number): Promise<{ loadSeconds: number; startSeconds: number; bytesPerObject: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-bench-reload-'))
  try {
    const settings = withDefaults({ dataDir })
    const first = await TableService.start(settings)
    await first.create('big', 'set', 'disk')
    const chunk = 10_000
    for (let from = 0; from < objects; from += chunk) {
      const batch = Array.from({ length: Math.min(chunk, objects - from) }, (_, i) => ({ key: `user:${from + i}`, value: { n: from + i, ok: true } }))
      await first.write('big', 'insert', { objects: batch })
    }
    await first.stop()
    const bytesPerObject = await diskBytes(dataDir) / objects
    const started = performance.now()
    const second = await TableService.start(settings)
    const startSeconds = (performance.now() - started) / 1000
    await second.storage.of('big')!.whenLoaded()
    const loadSeconds = (performance.now() - started) / 1000
    if (second.node.tables.get('big')!.table.size !== objects) throw new Error('not every object came back')
    await second.stop()
    return { loadSeconds, startSeconds, bytesPerObject }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { duration: { type: 'string', default: '10' }, objects: { type: 'string', default: '1000000' } },
  })
  if (positionals[0] === 'serve') return await serve(positionals[1] as Mode)
  const duration = Number(values.duration)
  const rows: Array<[string, string]> = []
  const rates: Partial<Record<Mode, number>> = {}
  for (const mode of MODES) {
    const { rps, p99, errors } = await putRate(mode, duration)
    rates[mode] = rps
    rows.push([`Heirloom PUT, ${mode} table`, `${Math.round(rps)} req/s, p99 ${p99} ms${errors ? `, ${errors} errors` : ''}`])
  }
  rows.push(['disk / memory', (rates.disk! / rates.memory!).toFixed(2)])
  rows.push(['relaxed / memory', (rates.relaxed! / rates.memory!).toFixed(2)])
  for (const fsync of ['always', 'everysec'] as const) {
    const rps = await redisRate(fsync)
    rows.push([`Redis SET, appendfsync ${fsync}`, `${Math.round(rps)} req/s`])
    if (fsync === 'always') rows.push(['disk / Redis always', (rates.disk! / rps).toFixed(2)])
  }
  const objects = Number(values.objects)
  const { loadSeconds, startSeconds, bytesPerObject } = await reload(objects)
  rows.push([`restart, disk table of ${objects} small objects`, `${loadSeconds.toFixed(2)} s to loaded (service up in ${startSeconds.toFixed(2)} s)`])
  rows.push(['on-disk bytes per object', bytesPerObject.toFixed(1)])
  for (const [what, figure] of rows) process.stdout.write(`| ${what} | ${figure} |\n`)
}

await main()
