/**
 * Paired A/B: this working tree's Heirloom against another commit's, on one
 * operation, with both servers running at once and loaded in turn.
 *
 *   npx tsx bench/pair.ts --base REF [--op get|put|put-repr|batch] [--rounds N]
 *                         [--duration S] [--connections N] [--keys N]
 *                         [--durability memory|disk|relaxed]
 *                         [--base-node-flags F] [--node-flags F]
 *
 * On a shared VM the machine's speed moves by up to 2× from one minute to
 * the next, so rounds run one after another on fresh servers (bench/load.ts)
 * cannot tell a change of a few percent. Here both servers are started
 * once, warmed up, then loaded for --duration seconds each, --rounds times,
 * every other round in reverse order: the two halves of a pair ran seconds
 * apart, under the same neighbours. Each pair gives a ratio (this tree over
 * the base) of the server's CPU per request and of req/s; the figures are
 * the medians of those ratios and the number of pairs this tree won, beside
 * each build's own medians of req/s, p99 and CPU per request, and its
 * server's peak RSS. With the
 * same tree on both sides (--base HEAD, a clean tree) and different
 * --base-node-flags, it compares Node's flags instead of code.
 *
 * REF is checked out with `git worktree add --detach` into .scratch/ (which
 * git ignores) and both trees are compiled by tsc as bench/load.ts compiles
 * one (bench/servers.ts); the base must have bench/serve.ts and
 * bench/tsconfig.serve.json. Everything listens on 127.0.0.1, each load is
 * bounded by --duration, a watchdog ends the run if anything hangs, and the
 * worktree and the builds are removed at the end.
 */
import autocannon from 'autocannon'
import { execFileSync } from 'node:child_process'
import { rmSync, symlinkSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DURABILITIES } from '../src/tables/storage.js'
import { exitOnHelp, integers } from './options.js'
import { median } from './stats.js'
import { compileServe, PRODUCTION_NODE_FLAGS, type Server, type ServeCommand, startServer, stopChildren, usage, watchdog, withNodeFlags } from './servers.js'
import { type Operation, OPERATIONS, operationRequests } from './workload.js'

const USAGE = `usage: npx tsx bench/pair.ts --base REF [--op get|put|put-repr|batch] [--rounds N]
                              [--duration S] [--connections N] [--keys N]
  --base         the commit (or branch, tag) to compare this working tree with
  --op           the operation loaded (default put)
  --rounds       pairs of loads (default 20)
  --duration     seconds each load lasts (default 2)
  --connections  concurrent connections (default 50)
  --keys         keys pre-filled in each server's table (default 1000)
  --durability   the table's durability: memory (default), disk or relaxed
  --base-node-flags, --node-flags
                 Node's flags for the base's server and this tree's, space-separated,
                 instead of those \`npm start\` uses (${PRODUCTION_NODE_FLAGS.join(' ')})`

interface Load { rps: number; p99: number; cpu: number }

const root = fileURLToPath(new URL('..', import.meta.url))

/** Checks REF out beside this tree and compiles its server as this tree's is; `cleanup` removes both. */
async function compileBase (ref: string): Promise<ServeCommand> {
  const dir = `${root}.scratch/pair-base-${process.pid}`
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' })
  git('worktree', 'add', '--detach', dir, ref)
  const removeTree = (): void => {
    try { git('worktree', 'remove', '--force', dir) } catch { rmSync(dir, { recursive: true, force: true }) }
  }
  try {
    symlinkSync(`${root}node_modules`, `${dir}/node_modules`)
    process.stderr.write(`bench: checked out ${ref} (${git('rev-parse', '--short', ref).trim()})\n`)
    const serve = await compileServe('pair', dir)
    return { ...serve, cleanup: () => { serve.cleanup(); removeTree() } }
  } catch (error) {
    removeTree()
    throw error
  }
}

async function load (server: Server, op: Operation, connections: number, duration: number, keys: number): Promise<Load> {
  const before = await usage(server)
  const result = await autocannon({ url: server.url, connections, duration, requests: operationRequests(op, keys) })
  const after = await usage(server)
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${result.errors} errors and ${result.non2xx} non-2xx answers: the comparison would not be like for like`)
  const requests = Math.max(1, after.requests - before.requests)
  return { rps: result.requests.average, p99: result.latency.p99, cpu: (after.user + after.system - before.user - before.system) / requests }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      op: { type: 'string', default: 'put' },
      rounds: { type: 'string', default: '20' },
      duration: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      keys: { type: 'string', default: '1000' },
      durability: { type: 'string', default: 'memory' },
      'base-node-flags': { type: 'string' },
      'node-flags': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  exitOnHelp(values.help, USAGE)
  if (values.base === undefined) throw new Error(`--base is required\n${USAGE}`)
  const op = values.op as Operation
  if (!(op in OPERATIONS)) throw new Error(`--op ${values.op}: one of ${Object.keys(OPERATIONS).join(', ')}\n${USAGE}`)
  const durability = DURABILITIES.find(d => d === values.durability)
  if (durability === undefined) throw new Error(`--durability ${values.durability}: one of ${DURABILITIES.join(', ')}\n${USAGE}`)
  const { rounds, duration, connections, keys } = integers({ rounds: values.rounds, duration: values.duration, connections: values.connections, keys: values.keys }, USAGE)

  const builds: Array<{ name: string; serve: ServeCommand }> = []
  const disarm = watchdog((rounds * 2 * (duration + 2) + 600) * 1000, () => { for (const { serve } of builds) serve.cleanup() })
  try {
    const flags = (given: string | undefined): string[] | undefined => given?.split(/\s+/).filter(flag => flag !== '')
    const named = (name: string, given: string | undefined): string => given === undefined ? name : `${name} (${given})`
    builds.push({ name: named(`base ${values.base}`, values['base-node-flags']), serve: withNodeFlags(await compileBase(values.base), flags(values['base-node-flags'])) })
    builds.push({ name: named('this tree', values['node-flags']), serve: withNodeFlags(await compileServe('pair'), flags(values['node-flags'])) })
    const servers = await Promise.all(builds.map(({ serve }) => startServer(serve, 'heirloom', { keys, durability })))
    for (const server of servers) await load(server, op, connections, 2, keys) // warm-up, not counted
    const loads: Load[][] = [[], []]
    for (let round = 0; round < rounds; round++) {
      for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) loads[i].push(await load(servers[i], op, connections, duration, keys))
      process.stderr.write(`bench: pair ${round + 1}/${rounds}: ${loads[0][round].cpu.toFixed(1)} / ${loads[1][round].cpu.toFixed(1)} µs per request\n`)
    }
    // A base older than the peak's report has none.
    const peaks = await Promise.all(servers.map(async server => (await usage(server)).maxRss / 1024))
    const [base, tree] = loads
    const cpuRatio = median(tree.map((load, r) => load.cpu / base[r].cpu))
    const rpsRatio = median(tree.map((load, r) => load.rps / base[r].rps))
    const wins = tree.filter((load, r) => load.cpu < base[r].cpu).length
    process.stdout.write(`${OPERATIONS[op].label} on a ${durability} table, ${connections} connections, ${rounds} pairs of ${duration} s loads, both servers running (compiled by tsc)\n\n`)
    process.stdout.write('| build | req/s | p99 ms | CPU µs/req | peak RSS MB |\n|---|---:|---:|---:|---:|\n')
    builds.forEach(({ name }, i) => {
      process.stdout.write(`| ${name} | ${median(loads[i].map(l => l.rps)).toFixed(0)} | ${median(loads[i].map(l => l.p99))} | ${median(loads[i].map(l => l.cpu)).toFixed(1)} | ${Number.isFinite(peaks[i]) ? peaks[i].toFixed(0) : '–'} |\n`)
    })
    process.stdout.write(`\nthis tree / base, medians of the pairs' ratios: CPU per request ${cpuRatio.toFixed(3)} (lower in ${wins} of ${rounds} pairs), req/s ${rpsRatio.toFixed(3)}\n`)
  } finally {
    await stopChildren(5000)
    for (const { serve } of builds) serve.cleanup()
    disarm()
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`bench/pair: ${(error as Error).message}\n`)
  process.exit(1)
})
