/**
 * The Docker image, without a Docker engine: the Dockerfile read for what
 * the issue asks (current Node LTS, production dependencies only, a health
 * check on readiness that starts no Node process, a stop within Docker's
 * timeout, the V8 flags `npm start` and the benchmarks use), and its
 * command line run outside Docker: compiled by tsc as
 * the build stage does, started with the image's environment.
 */
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { PRODUCTION_NODE_FLAGS } from '../../bench/servers.js'
import { tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DOCKERFILE = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
const exec = promisify(execFile)

/** The instructions of the final stage, continuation lines joined. */
function finalStage (): Array<{ instruction: string; args: string }> {
  const lines = DOCKERFILE.replace(/\\\n\s*/g, ' ').split('\n').filter(line => line.trim() !== '' && !line.startsWith('#'))
  const from = lines.map((line, i) => [line, i] as const).filter(([line]) => /^FROM /i.test(line)).at(-1)![1]
  return lines.slice(from).map(line => {
    const [instruction, ...rest] = line.trim().split(/\s+/)
    return { instruction: instruction.toUpperCase(), args: rest.join(' ') }
  })
}

function imageEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { args } of finalStage().filter(i => i.instruction === 'ENV')) {
    for (const match of args.matchAll(/(\w+)=(\S+)/g)) env[match[1]] = match[2]
  }
  return env
}

t.test('the_dockerfile_reads_as_the_issue_asks', async t => {
  t.match(DOCKERFILE, /^ARG NODE_IMAGE=node:(22|24)-/m, 'a current Node LTS base image')
  const stage = finalStage()
  t.match(stage[0].args, /^\$\{NODE_IMAGE\}$/, 'the final stage runs on it')
  t.same(imageEnv(), { NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '4000', DATA_DIR: '/data' })
  const cmd = stage.find(i => i.instruction === 'CMD')!
  t.same(JSON.parse(cmd.args), ['node', ...PRODUCTION_NODE_FLAGS, 'dist/src/main.js'], 'compiled JavaScript, no tsx, with the V8 flags the benchmarks measured')
  const health = stage.find(i => i.instruction === 'HEALTHCHECK')!.args
  t.match(health, /CMD wget .*\/readyz/, 'readiness, probed by wget')
  t.notMatch(health, /\bnode\b/, 'no Node process per probe')
  t.match(DOCKERFILE, /COPY --from=build \/app\/node_modules/, 'node_modules from the pruned build stage')
  t.match(DOCKERFILE, /npm prune --omit=dev/)
  t.equal(stage.find(i => i.instruction === 'USER')?.args, 'node', 'not root')
})

t.test('npm_start_runs_node_with_the_v8_flags_of_the_image_and_the_benchmarks', async t => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }
  t.equal(pkg.scripts.start, `exec node ${PRODUCTION_NODE_FLAGS.join(' ')} --import tsx src/main.ts`)
  t.ok(PRODUCTION_NODE_FLAGS.length > 0, 'some flags')
})

t.test('production_dependencies_hold_no_tsx_esbuild_or_yaml', async t => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
  for (const name of ['tsx', 'esbuild', 'yaml', 'typescript']) t.notOk(name in pkg.dependencies, `${name} is not a dependency`)
  const { stdout } = await exec('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 })
  t.notMatch(stdout, /node_modules\/(tsx|esbuild|@esbuild)(\/|$)/m, 'nothing in the production tree pulls them in')
})

t.test('the_image_command_line_runs_outside_docker', async t => {
  await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT })
  const [command, ...args] = JSON.parse(finalStage().find(i => i.instruction === 'CMD')!.args) as string[]
  const base = { ...process.env, ...imageEnv(), DATA_DIR: await tempDir(t), PORT: '0' }

  // As the image starts it (HOST=0.0.0.0), without a token: refused, one line, exit 2.
  const refused = spawn(command, args, { cwd: ROOT, env: base, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  refused.stderr.on('data', chunk => { stderr += chunk })
  const [code] = await once(refused, 'exit') as [number]
  t.equal(code, 2)
  t.match(stderr.trim(), /^heirloom: refusing to listen on 0\.0\.0\.0 without a token[^\n]*$/)

  // With a token (and on 127.0.0.1 here, as tests stay on loopback): ready, then a clean stop on SIGTERM.
  const server = spawn(command, args, { cwd: ROOT, env: { ...base, HOST: '127.0.0.1', TOKEN: 'tok' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', chunk => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(chunk))
      if (match) resolve(match[1])
    })
    server.once('exit', code => reject(new Error(`exited with ${code}`)))
  })
  t.equal((await fetch(`${url}/readyz`)).status, 200, 'the health check\'s URL answers without the token')
  // The HEALTHCHECK's own command line (Debian's wget here, busybox's in the image: same flags).
  const probe = finalStage().find(i => i.instruction === 'HEALTHCHECK')!.args.replace(/^.*?CMD /, '')
  await t.resolves(exec('sh', ['-c', probe], { env: { ...process.env, PORT: new URL(url).port } }), 'the health check passes')
  t.equal((await fetch(`${url}/v1/tables`)).status, 401)
  const exited = once(server, 'exit')
  server.kill('SIGTERM')
  const [stopCode] = await exited as [number]
  t.equal(stopCode, 0)
})
