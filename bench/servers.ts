/**
 * The server children of the benchmarks (bench/load.ts, bench/changes.ts,
 * bench/durable.ts), in one place. A server runs in a child process of its
 * own (bench/serve.ts): on a 2-core machine, sharing one event loop would
 * make the load generator and the server take turns, and measure neither.
 * It runs what production runs: bench/serve.ts and everything it imports
 * compiled by tsc (bench/tsconfig.serve.json), not under tsx, whose
 * transform adds a `__name` call to every function created; --tsx skips the
 * compile. Every child a benchmark starts (servers and others) is tracked
 * here, so that the error path and the watchdog can end them all.
 */
import { type ChildProcess, execFile, fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Durability } from '../src/tables/storage.js'

/** What bench/serve.ts serves. */
export type ServerKind = 'hello' | 'heirloom' | 'ceiling' | 'guarded' | 'turned'

/**
 * The V8 flags production runs the server with (package.json's `start`, the
 * Dockerfile's CMD; test/cli/image.test.ts keeps the three in step), given
 * to every benchmarked server alike, Heirloom and the baselines.
 */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=64']

/** How bench/serve.ts is started: a script, node's flags for it, and what to remove once done. */
export interface ServeCommand { script: string; execArgv: string[]; cleanup: () => void }

/**
 * Compiles bench/serve.ts and its imports with tsc; type errors do not stop
 * it (noCheck: `npm run typecheck` is the place for them). Without `scratch`,
 * into bench/.build, emptied first and kept (bench/calls.ts runs from there).
 * With it, into .scratch/<scratch>-<pid>/ (git-ignored), removed by
 * `cleanup`: a bench/load.ts running meanwhile empties bench/.build, and the
 * two runs must not pull the files from under each other. Modules still
 * resolve from the repository's node_modules. `tree` is the checkout to
 * compile (default this one; bench/pair.ts gives another commit's).
 */
export async function compileServe (scratch?: string, tree = fileURLToPath(new URL('..', import.meta.url))): Promise<ServeCommand> {
  const config = join(tree, 'bench', 'tsconfig.serve.json')
  const build = scratch === undefined ? join(tree, 'bench', '.build') : join(tree, '.scratch', `${scratch}-${process.pid}`)
  const remove = (): void => rmSync(build, { recursive: true, force: true })
  remove()
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  process.stderr.write('bench: compiling the servers (tsc -p bench/tsconfig.serve.json)\n')
  const cleanup = scratch === undefined ? () => {} : remove
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', config, '--outDir', build], { timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) {
        cleanup()
        reject(new Error(`tsc -p ${config} failed: ${error.message}\n${stdout}${stderr}`))
      } else resolve()
    })
  })
  // Source maps: bench/cpu-profile.ts maps the profile back to the .ts files.
  return { script: join(build, 'bench', 'serve.js'), execArgv: ['--enable-source-maps', ...PRODUCTION_NODE_FLAGS], cleanup }
}

/** `serve` with Node's `flags` in place of production's; unchanged without them. */
export function withNodeFlags (serve: ServeCommand, flags: string[] | undefined): ServeCommand {
  if (flags === undefined) return serve
  return { ...serve, execArgv: [...serve.execArgv.filter(flag => !PRODUCTION_NODE_FLAGS.includes(flag)), ...flags] }
}

export const underTsx = (): ServeCommand => ({
  script: fileURLToPath(new URL('./serve.ts', import.meta.url)),
  execArgv: [...PRODUCTION_NODE_FLAGS, '--import', import.meta.resolve('tsx')],
  cleanup: () => {},
})

const children = new Set<ChildProcess>()

/** Tracks a child until it exits: the error path and the watchdog end it. */
export function track<T extends ChildProcess> (child: T): T {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export interface ServerOptions {
  /** Keys pre-filled in the `bench` table (heirloom and the ceilings). */
  keys: number
  /** The `bench` table's durability (heirloom); bench/serve.ts's default is memory. */
  durability?: Durability
  /** Write a CPU profile of the serving to this file on exit. */
  profile?: string
}

export interface Server { child: ChildProcess; url: string }

/** Starts bench/serve.ts in a child process; resolves with its base URL once it listens. */
export function startServer (serve: ServeCommand, kind: ServerKind, options: ServerOptions): Promise<Server> {
  const args = [kind, '--keys', String(options.keys)]
  if (options.durability !== undefined) args.push('--durability', options.durability)
  if (options.profile !== undefined) args.push('--profile', options.profile)
  const child = track(fork(serve.script, args, { execArgv: serve.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  return new Promise((resolve, reject) => {
    child.once('message', message => resolve({ child, url: (message as { url: string }).url }))
    child.once('exit', code => reject(new Error(`bench/serve.ts ${kind} exited (${code}) before listening`)))
  })
}

/**
 * Disconnecting is a forked child's cue to close and exit; any other child
 * gets SIGTERM. SIGKILL if it has not exited within `grace` ms.
 */
export async function stopChild (child: ChildProcess, grace: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  if (child.connected) child.disconnect()
  else child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), grace)
  await exited
  clearTimeout(timer)
}

/** Stops every tracked child (see stopChild). */
export async function stopChildren (grace: number): Promise<void> {
  await Promise.all([...children].map(child => stopChild(child, grace)))
}

/**
 * Ends the benchmark if it still runs after `budget` ms: SIGKILL to every
 * tracked child, then `cleanup`, then exit 1. Returns what disarms it.
 */
export function watchdog (budget: number, cleanup: () => void = () => {}): () => void {
  const timer = setTimeout(() => {
    process.stderr.write(`bench: still running after ${budget / 1000} s; giving up\n`)
    for (const child of children) child.kill('SIGKILL')
    cleanup()
    process.exit(1)
  }, budget)
  timer.unref()
  return () => clearTimeout(timer)
}

export interface Usage {
  /** CPU µs the server has used, in user code and in the kernel. */
  user: number
  system: number
  /** HTTP requests it has received. */
  requests: number
  /** Its peak resident set so far, KiB. */
  maxRss: number
  /** When the answer came: ms on performance.now(), for intervals. */
  at: number
}

/** The server's CPU use and requests so far (bench/serve.ts answers `'usage'`). */
export function usage (server: Server): Promise<Usage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      const answer = (message as { usage?: Omit<Usage, 'at'> }).usage
      if (answer === undefined) return
      server.child.off('message', onMessage)
      server.child.off('exit', onExit)
      resolve({ ...answer, at: performance.now() })
    }
    const onExit = (): void => reject(new Error('a server exited while measured'))
    server.child.on('message', onMessage)
    server.child.once('exit', onExit)
    server.child.send('usage')
  })
}
