/**
 * Configuration from flags and environment, flags winning (DESIGN §6).
 * Every setting has an embedded default, so `npm start` needs none. The
 * settings are one table: flag, variable, kind, default and help line.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const SETTINGS = {
  port: { env: 'PORT', kind: 'int', default: 4000, max: 65535, help: 'listening port' },
  host: { env: 'HOST', kind: 'string', default: '127.0.0.1', help: 'listening address' },
  'data-dir': { env: 'DATA_DIR', kind: 'string', default: './data', help: 'where the catalog (LevelDB) lives' },
  faults: { env: 'FAULTS', kind: 'bool', default: false, help: 'expose /v1/faults/* (crash and poison processes)' },
  repair: { env: 'REPAIR', kind: 'bool', default: false, help: 'open a damaged catalog: keep what LevelDB can read, drop malformed records' },
  'log-level': { env: 'LOG_LEVEL', kind: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], help: 'pino level: fatal error warn info debug trace silent' },
  'access-log': { env: 'ACCESS_LOG', kind: 'string', default: 'off', choices: ['off', 'trace', 'debug', 'info', 'warn'], help: 'log every request at this pino level, or off' },
  token: { env: 'TOKEN', kind: 'string', default: '', help: 'bearer token required by every route but /healthz and /readyz; empty: none' },
  insecure: { env: 'INSECURE', kind: 'bool', default: false, help: 'allow listening on a non-loopback address without a token' },
  'token-file': { env: 'TOKEN_FILE', kind: 'string', default: '', help: 'read the token from this file (Docker secrets)' },
  'cors-origins': { env: 'CORS_ORIGINS', kind: 'list', default: [] as string[], help: 'comma-separated origins allowed by CORS; empty: CORS off' },
  'body-limit': { env: 'BODY_LIMIT', kind: 'int', default: 1024 * 1024, min: 1, max: 1024 ** 3, help: 'largest request body, bytes (413 past it)' },
  'max-tables': { env: 'MAX_TABLES', kind: 'int', default: 10_000, max: 1_000_000, help: 'most tables (422 past it)' },
  'max-queue': { env: 'MAX_QUEUE', kind: 'int', default: 10_000, max: 10_000_000, help: 'writes queued per table before 503 + Retry-After' },
  'max-memory': { env: 'MAX_MEMORY', kind: 'int', default: 1024 ** 3, max: Number.MAX_SAFE_INTEGER, help: 'bytes of table data before writes get 507' },
  'max-key-bytes': { env: 'MAX_KEY_BYTES', kind: 'int', default: 4096, max: 1024 ** 2, help: 'largest key stored, bytes (estimate)' },
  'max-depth': { env: 'MAX_DEPTH', kind: 'int', default: 64, max: 500, help: 'deepest JSON nesting accepted in a body' },
  'write-timeout': { env: 'WRITE_TIMEOUT', kind: 'int', default: 5000, max: 600_000, help: 'ms a write waits for a restarting handler (then 503)' },
  durability: { env: 'DURABILITY', kind: 'string', default: 'memory', choices: ['memory', 'disk', 'relaxed'], help: 'durability of tables created without one: memory, disk (fsync per group commit) or relaxed (fsync every second)' },
  'max-value-bytes': { env: 'MAX_VALUE_BYTES', kind: 'int', default: 512 * 1024, max: 1024 ** 3, help: 'largest value stored, bytes of its JSON (every write path, 400 past it)' },
  'max-response-bytes': { env: 'MAX_RESPONSE_BYTES', kind: 'int', default: 1024 ** 2, max: 1024 ** 3, help: 'largest read answer, bytes of JSON (a select page ends early; else 400)' },
  'max-spec-terms': { env: 'MAX_SPEC_TERMS', kind: 'int', default: 1000, max: 1_000_000, help: 'most terms in a match spec (its JSON values, containers included)' },
  'request-timeout': { env: 'REQUEST_TIMEOUT', kind: 'int', default: 30_000, max: 600_000, help: 'ms for a whole request (headers and body) to arrive (then 408)' },
  'history-events': { env: 'HISTORY_EVENTS', kind: 'int', default: 10_000, max: 10_000_000, help: 'change events kept per table for watches to resume from' },
  'history-bytes': { env: 'HISTORY_BYTES', kind: 'int', default: 1024 ** 2, max: 1024 ** 3, help: 'bytes of change events kept per table' },
  'history-total-bytes': { env: 'HISTORY_TOTAL_BYTES', kind: 'int', default: 256 * 1024 ** 2, max: Number.MAX_SAFE_INTEGER, help: 'bytes of change events kept for all tables' },
  'watch-lag': { env: 'WATCH_LAG', kind: 'int', default: 10_000, min: 1, max: 10_000_000, help: 'events a watcher may let pile up while it does not read before its stream ends with overflow' },
  'watch-interval': { env: 'WATCH_INTERVAL', kind: 'int', default: 10, max: 1000, help: 'least ms between two writes to a busy change stream (each carries all that came meanwhile); 0: every event-loop turn' },
  'watch-rate': { env: 'WATCH_RATE', kind: 'int', default: 10_000, max: 1_000_000, help: 'most socket writes a second to one table\'s change streams together; past it, they are written less often than --watch-interval (at most 1 s apart), each write carrying more; 0: no bound' },
  'max-streams': { env: 'MAX_STREAMS', kind: 'int', default: 10_000, max: 1_000_000, help: 'change streams (SSE, and long-polls waiting) open at once, all tables and the node\'s; 503 + Retry-After past it' },
  heartbeat: { env: 'HEARTBEAT', kind: 'int', default: 15_000, min: 100, max: 3_600_000, help: 'ms between heartbeats (and progress events when idle) on change streams' },
} as const

type Settings = typeof SETTINGS
type ValueOf<S> = S extends { kind: 'int' } ? number : S extends { kind: 'bool' } ? boolean : S extends { kind: 'list' } ? string[] : string
type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S

export type Config = { [K in keyof Settings as Camel<K & string>]: ValueOf<Settings[K]> }

/** A setting's name in code (`maxKeyBytes`). */
export type SettingName = keyof Config

export class ConfigError extends Error {}

/** `--help`: not an error; main prints the usage to stdout and exits 0. */
export class HelpRequested extends Error {}

const FLAG_WIDTH = Math.max(...Object.keys(SETTINGS).map(flag => flag.length)) + 2
const ENV_WIDTH = Math.max(...Object.values(SETTINGS).map(s => s.env.length)) + 2

/** `--help`: a line per setting (flag, variable, meaning, default), in columns as wide as the longest. */
export const USAGE = 'usage: npm start -- [options], heirloom serve [options] (flags win over the environment)\n' + Object.entries(SETTINGS).map(([flag, s]) =>
  `  --${flag.padEnd(FLAG_WIDTH)}${s.env.padEnd(ENV_WIDTH)}${s.help} (default ${JSON.stringify(s.default)})`).join('\n') +
  `\n  ${'-h, --help'.padEnd(FLAG_WIDTH + 2 + ENV_WIDTH)}this text`

const camel = (flag: string): string => flag.replace(/-(.)/g, (_, c: string) => c.toUpperCase())

/**
 * Every setting at its embedded default: the one place defaults live.
 * Code past the command line takes settings whole (`Config`), so no layer
 * below repeats a default.
 */
export const DEFAULTS: Config = Object.freeze(Object.fromEntries(
  Object.entries(SETTINGS).map(([flag, s]) => [camel(flag), s.default])
)) as Config

/** The defaults with some settings changed: what tests and benchmarks start servers with. */
export function withDefaults<T extends Partial<Config>> (settings: T): Config & T {
  return { ...DEFAULTS, ...settings }
}

/** The command-line flag of a setting, for messages: `maxKeyBytes` → `--max-key-bytes / MAX_KEY_BYTES`. */
export function flagOf (setting: SettingName): string {
  const flag = setting.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
  return `--${flag} / ${SETTINGS[flag as keyof Settings].env}`
}

export function parseConfig (argv: string[], env: NodeJS.ProcessEnv): Config {
  let values: Record<string, unknown>
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } }
    for (const [flag, s] of Object.entries(SETTINGS)) options[flag] = { type: s.kind === 'bool' ? 'boolean' : 'string' }
    values = parseArgs({ args: argv, options, strict: true }).values
  } catch (error) {
    // One line, as every refusal at start: --help lists the flags.
    throw new ConfigError(`${(error as Error).message.split('\n')[0]} (--help lists the flags)`)
  }
  if (values.help) throw new HelpRequested(USAGE)
  const config: Record<string, unknown> = {}
  for (const [flag, s] of Object.entries(SETTINGS)) {
    const raw = (values[flag] ?? env[s.env]) as string | boolean | undefined
    config[camel(flag)] = raw === undefined ? s.default : convert(flag, s, raw)
  }
  // The token's two settings are one choice: a flag (--token or --token-file) wins over
  // both variables, as flags do; at one level, a token given outright wins over a file.
  const flagged = values.token !== undefined || values['token-file'] !== undefined
  const token = String((flagged ? values.token : env.TOKEN) ?? '')
  const file = String((flagged ? values['token-file'] : env.TOKEN_FILE) ?? '')
  config.token = token === '' && file !== '' ? readToken(file) : token
  checkToken(config.token as string)
  return config as Config
}

const TRUE = ['1', 'true', 'yes', 'on']
const FALSE = ['', '0', 'false', 'no', 'off']

function convert (flag: string, s: Settings[keyof Settings], raw: string | boolean): unknown {
  if (s.kind === 'bool') {
    if (typeof raw === 'boolean') return raw
    const word = raw.trim().toLowerCase()
    if (TRUE.includes(word)) return true
    if (FALSE.includes(word)) return false
    throw new ConfigError(`${s.env} (--${flag}) must be one of ${TRUE.join(', ')} or ${FALSE.slice(1).join(', ')}, not ${JSON.stringify(raw)}`)
  }
  if (s.kind === 'string') {
    const choices: readonly string[] | undefined = 'choices' in s ? s.choices : undefined
    if (choices !== undefined && !choices.includes(String(raw))) throw new ConfigError(`--${flag} (${s.env}) must be one of ${choices.join(', ')}, not ${JSON.stringify(raw)}`)
    return String(raw)
  }
  if (s.kind === 'list') return String(raw).split(',').map(item => item.trim()).filter(Boolean)
  // Decimal digits only: Number() would take '' as 0 and '0x10' as 16.
  const min = 'min' in s ? s.min : 0
  const n = /^\s*\d+\s*$/.test(String(raw)) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > s.max) throw new ConfigError(`--${flag} (${s.env}) must be an integer from ${min} to ${s.max}, not ${JSON.stringify(raw)}`)
  return n
}

/**
 * A token a client can send: printable ASCII without spaces, as an
 * `Authorization: Bearer` header carries it. One with a space or a
 * non-ASCII character could never be matched, and would lock every
 * client out of a server that started fine.
 */
function checkToken (token: string): void {
  if (!/^[\x21-\x7e]*$/.test(token)) throw new ConfigError('--token (TOKEN, or --token-file) must be printable ASCII without spaces: a client sends it in an Authorization: Bearer header')
}

function readToken (file: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim()
    if (token === '') throw new Error('it is empty')
    return token
  } catch (error) {
    throw new ConfigError(`cannot read the token file ${file}: ${(error as Error).message.split('\n')[0]}`)
  }
}
