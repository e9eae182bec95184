/**
 * The command line: parse the configuration, build the server, listen, and
 * close in order (HTTP, supervision tree, LevelDB) on SIGTERM or SIGINT.
 * A start-up failure the user can fix (configuration, a data directory that
 * cannot be opened or is damaged, a port in use) is one line on stderr and
 * exit 2, after the supervision tree and LevelDB are closed.
 * If the root supervisor gives up (restart intensity exceeded), the server
 * closes and exits 1, for its own supervisor (systemd, Docker) to restart.
 *
 * Protected mode (as Redis's): a server that would listen on a non-loopback
 * address without a token refuses to start, unless --insecure says so.
 */
import { isIP } from 'node:net'
import closeWithGrace from 'close-with-grace'
import { ConfigError, HelpRequested, parseConfig } from './config.js'
import { buildServer } from './server.js'
import { DataDirError } from './tables/catalog.js'

/** The listening address cannot be had: one line, like the other start-up failures. */
class ListenError extends Error {}

/** Closing gives up after this long: below Docker's 10 s stop timeout, so the server exits before it is killed. */
const SHUTDOWN_GRACE = 8_000
/**
 * Connections still open this long after a close began are cut: a
 * keep-alive connection busy when the close began was left open after its
 * answer, and held the close (and the exit code) until the grace ran out.
 */
const DRAIN_TIME = 3_000

async function main (): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env)
  if (config.token === '' && !config.insecure && !isLoopback(config.host)) {
    throw new ConfigError(`refusing to listen on ${config.host} without a token: set --token (TOKEN) or --token-file (TOKEN_FILE), or pass --insecure (INSECURE=1) to serve every table to anyone who can reach it`)
  }
  const app = await buildServer({ ...config, logger: { level: config.logLevel } })
  let closing = false
  // Set before closing: the root's exit that a close causes is not a crash to report.
  const close = async (): Promise<void> => {
    closing = true
    const cut = setTimeout(() => { app.server.closeAllConnections() }, DRAIN_TIME).unref()
    try {
      await app.close()
    } finally {
      clearTimeout(cut)
    }
  }
  closeWithGrace({ delay: SHUTDOWN_GRACE }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await close()
  })
  void app.tables.whenRootExited().then(async reason => {
    if (closing) return
    app.log.fatal({ reason: String(reason) }, 'the root supervisor exited; stopping')
    await close()
    process.exit(1)
  })
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await close()
    throw listenFailure(error, config.host, config.port)
  }
  if (config.faults) app.log.warn('fault injection is on: POST /v1/faults/crash')
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
function isLoopback (host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host.startsWith('::ffff:127.')
}

function listenFailure (error: unknown, host: string, port: number): unknown {
  const where = `port ${port} on ${host}`
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE': return new ListenError(`${where} is in use`)
    case 'EACCES': return new ListenError(`${where} is not allowed to this user (EACCES)`)
    case 'EADDRNOTAVAIL': return new ListenError(`${host} is not an address of this machine (EADDRNOTAVAIL)`)
    default: return error
  }
}

main().catch((error: unknown) => {
  if (error instanceof HelpRequested) {
    process.stdout.write(`${error.message}\n`)
    process.exit(0)
  }
  if (error instanceof ConfigError || error instanceof DataDirError || error instanceof ListenError) {
    process.stderr.write(`heirloom: ${error.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`heirloom: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
