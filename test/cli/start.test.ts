/**
 * `npm start` stops cleanly on SIGTERM and SIGINT sent to the npm process:
 * the port and the data directory's lock are free afterwards. And protected
 * mode: a non-loopback address without a token refuses to start.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import t from 'tap'
import { tempDir } from '../helpers.js'
import { exitOf, freePort, run } from '../cli.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

async function portIsFree (port: number): Promise<boolean> {
  const server = createServer()
  try {
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    return true
  } catch {
    return false
  } finally {
    server.close()
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`npm_start_stops_on_${signal}_to_npm_and_frees_the_port_and_the_lock`, async t => {
    const dataDir = await tempDir(t)
    const port = await freePort()
    const npm = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--data-dir', dataDir], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' },
    })
    t.teardown(() => { if (npm.exitCode === null) npm.kill('SIGKILL') })
    await new Promise<void>((resolve, reject) => {
      npm.stdout.on('data', chunk => { if (String(chunk).includes('Server listening')) resolve() })
      npm.once('exit', code => reject(new Error(`npm exited with ${code} before the server listened`)))
    })
    const exited = once(npm, 'exit')
    npm.kill(signal)
    const [code] = await exited as [number | null]
    t.equal(code, 0, 'npm reports a clean exit')
    // npm waits for its child (the script execs the server) before it exits itself.
    t.ok(await portIsFree(port), 'the port is free')
    const db = new ClassicLevel(dataDir)
    await db.open()
    t.pass('the data directory opens: its lock was released')
    await db.close()
  })
}

t.test('protected_mode_refuses_a_non_loopback_address_without_a_token', async t => {
  const dataDir = await tempDir(t)
  const refused = await exitOf(run(['--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir]))
  t.equal(refused.code, 2)
  const lines = refused.stderr.trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /^heirloom: refusing to listen on 0\.0\.0\.0 without a token: set --token .*--insecure/)
})

t.test('protected_mode_lets_a_token_or_insecure_through (checked on an address this machine lacks: nothing listens)', async t => {
  // 192.0.2.1 is TEST-NET-1: past protected mode, listening fails with its own one-line error.
  for (const [args, env] of [[[], { TOKEN: 'tok' }], [['--insecure'], {}]] as Array<[string[], Record<string, string>]>) {
    const dataDir = await tempDir(t)
    const result = await exitOf(run(['--host', '192.0.2.1', '--port', '0', '--data-dir', dataDir, ...args], env))
    t.equal(result.code, 2)
    t.match(result.stderr, /192\.0\.2\.1 is not an address of this machine/, `${args.join(' ')} ${JSON.stringify(env)}`)
    t.notMatch(result.stderr, /refusing/)
  }
})
