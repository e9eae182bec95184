/**
 * One server under load, in its own process so that it does not share an
 * event loop (or a core) with the load generator in bench/load.ts.
 *
 *   tsx bench/serve.ts hello              a bare Fastify JSON route: the baseline
 *   tsx bench/serve.ts heirloom --keys N  Heirloom (buildServer) over a temp data
 *                                         dir, with a `set` table `bench` holding
 *                                         N keys (bench/workload.ts), and the
 *                                         settings of the environment, as
 *                                         `npm start` takes them (WATCH_RATE=0 …)
 *     … --durability memory|disk|relaxed  the `bench` table's durability (default
 *                                         memory; bench/durable.ts)
 *   tsx bench/serve.ts ceiling --keys N   Heirloom's object routes over a Map
 *                                         (bench/ceiling.ts), holding the same keys
 *   tsx bench/serve.ts guarded --keys N   the ceiling with src/app.ts's depth guard
 *   tsx bench/serve.ts turned --keys N    the ceiling writing its responses at the end
 *                                         of the turn, as src/app.ts does (src/end-of-turn.ts)
 *   … --profile FILE                      write a CPU profile of the serving
 *                                         (bench/cpu-profile.ts) to FILE on exit
 *
 * It listens on 127.0.0.1 on an ephemeral port and sends `{ url }` to its
 * parent over IPC. Asked `'usage'`, it answers `{ usage: { user, system, requests, maxRss } }`:
 * the CPU µs it has used and the HTTP requests it has
 * received, so that the parent can tell what a request costs the server, a
 * figure that a busy machine skews much less than requests per second. It
 * closes and exits when the parent disconnects (including when the parent
 * dies), or on SIGTERM/SIGINT.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyInstance } from 'fastify'
import { parseConfig } from '../src/config.js'
import { buildServer } from '../src/server.js'
import { DURABILITIES, type Durability } from '../src/tables/storage.js'
import { ceilingServer } from './ceiling.js'
import { startProfile } from './cpu-profile.js'
import { BENCH_TABLE, benchKey, benchValue } from './workload.js'

async function helloServer (): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  app.get('/', async () => ({ hello: 'world' }))
  return app
}

async function heirloomServer (keys: number, durability: Durability): Promise<{ app: FastifyInstance; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-bench-'))
  // The server's settings from the environment, as `npm start` reads them (WATCH_INTERVAL=25 …).
  const app = await buildServer({ ...parseConfig([], process.env), dataDir, logger: false })
  await fill(app, keys, durability)
  return { app, dataDir }
}

/** Fills the table through the public API, as a client would. */
async function fill (app: FastifyInstance, keys: number, durability: Durability): Promise<void> {
  const created = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: BENCH_TABLE, type: 'set', durability } })
  if (created.statusCode !== 201) throw new Error(`create table: ${created.statusCode} ${created.body}`)
  for (let i = 0; i < keys; i++) {
    const put = await app.inject({ method: 'PUT', url: `/v1/tables/${BENCH_TABLE}/objects/${benchKey(i)}`, payload: { value: benchValue(i) } })
    if (put.statusCode !== 204) throw new Error(`fill ${benchKey(i)}: ${put.statusCode} ${put.body}`)
  }
}

async function main (): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { keys: { type: 'string', default: '1000' }, durability: { type: 'string', default: 'memory' }, profile: { type: 'string' } },
  })
  const kind = positionals[0]
  const durability = DURABILITIES.find(d => d === values.durability)
  if (durability === undefined) throw new Error(`--durability ${values.durability}: ${DURABILITIES.join(' | ')}`)
  if (process.send === undefined) throw new Error('bench/serve.ts is started by a benchmark through bench/servers.ts (it needs an IPC channel)')
  let app: FastifyInstance
  let dataDir: string | undefined
  const keys = Number(values.keys)
  if (kind === 'hello') app = await helloServer()
  else if (kind === 'heirloom') ({ app, dataDir } = await heirloomServer(keys, durability))
  else if (kind === 'ceiling' || kind === 'guarded' || kind === 'turned') {
    const fill = Array.from({ length: keys }, (_, i): [string, unknown] => [benchKey(i), benchValue(i)])
    app = await ceilingServer(BENCH_TABLE, fill, { depthGuard: kind === 'guarded', endOfTurn: kind === 'turned' })
  } else throw new Error(`unknown server kind ${String(kind)}: hello | heirloom | ceiling | guarded | turned`)
  // Started after the fill, so that the profile holds the serving only.
  const profile = values.profile === undefined ? undefined : await startProfile()
  // Counted on the bare http server: a Fastify hook would cost more, and
  // cannot be added to a ready app.
  let requests = 0
  app.server.on('request', () => { requests++ })
  process.on('message', message => {
    if (message !== 'usage') return
    process.send?.({ usage: { ...process.cpuUsage(), requests, maxRss: process.resourceUsage().maxRSS } })
  })

  let closing = false
  const close = async (): Promise<void> => {
    if (closing) return
    closing = true
    if (profile !== undefined && values.profile !== undefined) await profile.stop(values.profile, { requests })
    await app.close()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
    process.exit(0)
  }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  // The parent may have gone while this server was filling its table.
  if (!process.connected) return close()
  process.on('disconnect', close)
  process.send({ url }, undefined, {}, error => { if (error) void close() })
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/serve: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
