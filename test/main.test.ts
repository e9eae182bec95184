/** The command line, run for real: listen, close on SIGTERM, one-line startup errors. */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, DEFAULTS, parseConfig, USAGE } from '../src/config.js'
import { exitOf, listening, run } from './cli.js'
import { build, tempDir } from './helpers.js'

t.test('starts_serves_and_closes_cleanly_on_sigterm', async t => {
  const dataDir = await tempDir(t)
  const child = run(['--port', '0', '--data-dir', dataDir])
  const exited = exitOf(child)
  const url = await listening(child)
  const created = await fetch(`${url}/v1/tables`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"users"}',
  })
  t.equal(created.status, 201)
  child.kill('SIGTERM')
  const { code } = await exited
  t.equal(code, 0, 'exit 0 after SIGTERM')
  // LevelDB was closed: the directory opens again, with the table in it.
  const app = await build(t, { dataDir })
  t.same((await app.tables.list()).map(info => info.name), ['users'])
})

t.test('flags_win_over_environment', async t => {
  const dataDir = await tempDir(t)
  const child = run(['--port', '0', '--data-dir', dataDir], { PORT: 'not-a-port', FAULTS: '1' })
  const exited = exitOf(child)
  const url = await listening(child)
  const crash = await fetch(`${url}/v1/faults/crash`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"process":"table_manager"}',
  })
  t.equal(crash.status, 202, 'FAULTS=1 from the environment')
  child.kill('SIGINT')
  t.equal((await exited).code, 0)
})

t.test('a_locked_data_dir_is_a_one_line_error', async t => {
  const dataDir = await tempDir(t)
  await build(t, { dataDir }) // holds the LevelDB lock
  const { code, stderr } = await exitOf(run(['--port', '0', '--data-dir', dataDir]))
  t.equal(code, 2)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
  t.match(stderr, dataDir)
  t.match(stderr, /locked/)
})

t.test('a_data_dir_that_is_a_file_is_a_one_line_error', async t => {
  const file = join(await tempDir(t), 'not-a-dir')
  await writeFile(file, 'x')
  const { code, stderr } = await exitOf(run(['--port', '0', '--data-dir', file]))
  t.equal(code, 2)
  t.equal(stderr.trim().split('\n').length, 1)
  t.match(stderr, file)
})

t.test('a_setting_refuses_what_it_cannot_mean_in_one_line', async t => {
  for (const [argv, env, refusal] of [
    [['--port', ''], {}, /--port \(PORT\) must be an integer from 0 to 65535, not ""/],
    [[], { PORT: '' }, /--port \(PORT\) must be an integer/],
    [['--port', '0x1263'], {}, /not "0x1263"/],
    [['--port', '1e3'], {}, /not "1e3"/],
    [[], { MAX_TABLES: '' }, /--max-tables \(MAX_TABLES\) must be an integer/],
    [['--body-limit', '0'], {}, /--body-limit \(BODY_LIMIT\) must be an integer from 1 /],
    [['--heartbeat', '0'], {}, /--heartbeat \(HEARTBEAT\) must be an integer from 100 /],
    [['--watch-lag', '0'], {}, /--watch-lag \(WATCH_LAG\) must be an integer from 1 /],
    [[], { FAULTS: 'maybe' }, /FAULTS \(--faults\) must be one of 1, true, yes, on or 0, false, no, off, not "maybe"/],
    [[], { INSECURE: 'nope' }, /INSECURE \(--insecure\) must be one of/],
    [['--bogus'], {}, /Unknown option '--bogus' \(--help lists the flags\)/],
  ] as const) {
    const what = JSON.stringify({ argv, env })
    let message = ''
    try {
      parseConfig([...argv], env)
    } catch (error) {
      t.ok(error instanceof ConfigError, `${what}: a ConfigError (exit 2)`)
      message = (error as Error).message
    }
    t.match(message, refusal, what)
    t.equal(message.split('\n').length, 1, `${what}: one line`)
  }
  const accepted = parseConfig(['--port', ' 4100 ', '--heartbeat', '100'], { FAULTS: 'Yes', INSECURE: '', REPAIR: 'off' })
  t.same([accepted.port, accepted.heartbeat, accepted.faults, accepted.insecure, accepted.repair], [4100, 100, true, false, false])
  const { code, stderr } = await exitOf(run(['--bogus']))
  t.equal(code, 2)
  t.equal(stderr.trim().split('\n').length, 1, 'a bad flag: one line, not the usage')
})

t.test('the_usage_lists_every_setting_in_columns', async t => {
  const rows = USAGE.split('\n').slice(1)
  const column = (row: string): number => row.search(/ [A-Z_]{3,}\s/)
  const settings = rows.filter(row => row.startsWith('  --'))
  t.equal(settings.length, Object.keys(DEFAULTS).length, 'a line per setting')
  t.equal(new Set(settings.map(column)).size, 1, 'the variables in one column, however long the flag')
  t.ok(rows.some(row => row.startsWith('  -h, --help')), '--help itself')
})

t.test('an_unknown_log_level_is_a_one_line_error_before_anything_starts', async t => {
  const dataDir = join(await tempDir(t), 'never-made')
  const { code, stderr } = await exitOf(run(['--port', '0', '--data-dir', dataDir, '--log-level', 'verbose']))
  t.equal(code, 2)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
  t.match(stderr, /--log-level \(LOG_LEVEL\) must be one of .*info/)
  t.notOk(existsSync(dataDir), 'no data directory made')
})

t.test('an_unknown_flag_is_refused', async t => {
  const { code, stderr } = await exitOf(run(['--nope']))
  t.equal(code, 2)
  t.match(stderr, /nope/)
})

t.test('help_goes_to_stdout_with_exit_0', async t => {
  const child = run(['--help'])
  let stdout = ''
  child.stdout!.on('data', chunk => { stdout += chunk })
  const { code } = await exitOf(child)
  t.equal(code, 0)
  t.match(stdout, /--data-dir/)
})

t.test('the_readme_configuration_table_lists_every_setting_with_its_default', async t => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const rows = new Map(readme.split('\n')
    .map(line => /^\| `--([a-z-]+)[^`]*` \| [^|]* \| ([^|]*) \|/.exec(line))
    .filter(match => match !== null)
    .map(match => [match[1], match[2].trim()]))
  const flags = [...USAGE.matchAll(/^ {2}--([a-z-]+)\s/gm)].map(match => match[1])
  t.ok(flags.length > 20, 'the usage lists the settings')
  for (const flag of flags) {
    t.ok(rows.has(flag), `--${flag} has a row`)
    const setting = flag.replace(/-(.)/g, (_, c: string) => c.toUpperCase()) as keyof typeof DEFAULTS
    const value = DEFAULTS[setting]
    // Defaults that are numbers are shown as such; empty strings, false and empty lists as words.
    if (typeof value === 'number') t.equal(rows.get(flag), `\`${value}\``, `--${flag}: the default shown is ${value}`)
  }
})
