/**
 * Configuration from flags and environment, flags winning (DESIGN §6).
 * Every setting has an embedded default, so `npm start` needs none.
 */
import { parseArgs } from 'node:util'

export interface Config {
  port: number
  host: string
  dataDir: string
  faults: boolean
  logLevel: string
}

export const USAGE = `usage: heirloom [--port N] [--host H] [--data-dir DIR] [--faults] [--log-level L]
  --port       PORT       listening port (default 4000)
  --host       HOST       listening address (default 127.0.0.1)
  --data-dir   DATA_DIR   where the catalog (LevelDB) lives (default ./data)
  --faults     FAULTS=1   expose POST /v1/faults/crash (default off)
  --log-level  LOG_LEVEL  pino level: fatal error warn info debug (default info)`

export class ConfigError extends Error {}

export function parseConfig (argv: string[], env: NodeJS.ProcessEnv): Config {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        faults: { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  if (values.help) throw new ConfigError(USAGE)
  const port = Number(values.port ?? env.PORT ?? 4000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`bad port ${values.port ?? env.PORT}`)
  return {
    port,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    dataDir: values['data-dir'] ?? env.DATA_DIR ?? './data',
    faults: values.faults ?? ['1', 'true', 'yes', 'on'].includes((env.FAULTS ?? '').toLowerCase()),
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
  }
}
