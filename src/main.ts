/**
 * The command line: parse the configuration, build the server, listen, and
 * close in order (HTTP, supervision tree, LevelDB) on SIGTERM or SIGINT.
 * A data directory that cannot be opened is one line on stderr and exit 2.
 * If the root supervisor gives up (restart intensity exceeded), the server
 * closes and exits 1, for its own supervisor (systemd, Docker) to restart.
 */
import closeWithGrace from 'close-with-grace'
import { ConfigError, HelpRequested, parseConfig } from './config.js'
import { buildServer } from './server.js'
import { DataDirError } from './tables/catalog.js'

async function main (): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env)
  const app = await buildServer({
    ...config,
    corsOrigins: config.corsOrigins.split(',').map(origin => origin.trim()).filter(Boolean),
    logger: { level: config.logLevel },
  })
  let closing = false
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    closing = true
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  void app.tables.whenRootExited().then(async reason => {
    if (closing) return
    app.log.fatal({ reason: String(reason) }, 'the root supervisor exited; stopping')
    await app.close()
    process.exit(1)
  })
  await app.listen({ port: config.port, host: config.host })
  if (config.faults) app.log.warn('fault injection is on: POST /v1/faults/crash')
}

main().catch((error: unknown) => {
  if (error instanceof HelpRequested) {
    process.stdout.write(`${error.message}\n`)
    process.exit(0)
  }
  if (error instanceof ConfigError || error instanceof DataDirError) {
    process.stderr.write(`heirloom: ${error.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`heirloom: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
