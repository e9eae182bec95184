/**
 * `heirloom`, the command line (bin/heirloom.js runs it): `serve` starts the
 * server (src/main.ts, its flags unchanged); every other subcommand is a
 * client of a running server at HEIRLOOM_URL, as etcdctl and consul kv are
 * to theirs. Exit codes (errors.ts): 0 done, 1 the server answered an
 * error (its detail on stderr), 2 a wrong command line, 3 no server.
 */
import { parseArgs } from 'node:util'
import { ApiError, Client, ConnectError, DEFAULT_URL } from './client.js'
import { type Command, COMMANDS } from './commands.js'
import { EXIT, UsageError } from './errors.js'

export const USAGE = [
  'usage: heirloom <command> [arguments] [--json]',
  '',
  'commands:',
  '  serve [server flags]',
  '      run the server (heirloom serve --help lists its flags)',
  ...Object.entries(COMMANDS).flatMap(([name, command]) => [`  ${name} ${command.args}`.trimEnd(), `      ${command.summary}`]),
  '',
  'environment:',
  `  HEIRLOOM_URL    the server (default ${DEFAULT_URL})`,
  '  HEIRLOOM_TOKEN  its bearer token (the server\'s --token), if it has one',
  '',
  'exit codes: 0 done, 1 the server answered an error (its detail on stderr), 2 usage error, 3 cannot connect',
].join('\n')

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === 'serve') return await serve(rest)
  // A client's reader that stops early (`heirloom select t @spec | head -1`) is not a failure
  // of the command: it ends quietly, as `dump` does. Any other failure to write is one line.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    process.exit(error.code === 'EPIPE' ? EXIT.ok : report(error))
  })
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process[name === undefined ? 'stderr' : 'stdout'].write(USAGE + '\n')
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  const command = COMMANDS[name]
  if (command === undefined || !Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command ${JSON.stringify(name)}`)
  const { args, options } = parse(name, command, rest)
  if (options.help === true) {
    process.stdout.write(`usage: heirloom ${name} ${command.args}\n  ${command.summary}\n`)
    return EXIT.ok
  }
  const client = Client.fromEnv(process.env)
  if (typeof client === 'string') throw new UsageError(client)
  await command.run({ client, json: options.json === true, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, args, options)
  return EXIT.ok
}

function parse (name: string, command: Command, argv: string[]): { args: string[]; options: Record<string, string | boolean | undefined> } {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...command.options },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const [min, max] = command.arity
  if (parsed.values.help !== true && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    throw new UsageError(`usage: heirloom ${name} ${command.args}`)
  }
  return { args: parsed.positionals, options: parsed.values as Record<string, string | boolean | undefined> }
}

/** The server, as `npm start` runs it: src/main.ts reads its flags from process.argv. */
async function serve (flags: string[]): Promise<number> {
  process.argv = [process.argv[0], process.argv[1], ...flags]
  await import('../main.js')
  // main.ts listens and exits on its own (signals, a start-up failure); until then this process serves.
  return EXIT.ok
}

/** The exit code of a failure, and its one line on stderr. */
function report (error: unknown): number {
  const line = (text: string): void => { process.stderr.write(`heirloom: ${text}\n`) }
  if (error instanceof UsageError) {
    line(error.message)
    return EXIT.usage
  }
  if (error instanceof ConnectError) {
    line(error.message)
    return EXIT.unreachable
  }
  if (error instanceof ApiError) {
    const { code, loaded } = error.problem
    line(`${error.message}${code === undefined ? '' : ` (${code})`}${loaded === undefined ? '' : `; ${loaded} objects were loaded before it`}`)
    return EXIT.failed
  }
  line((error as Error).message ?? String(error))
  return EXIT.failed
}

// The exit code, not process.exit(): stdout may still be flushing a dump.
process.exitCode = await main(process.argv.slice(2)).catch(report)
