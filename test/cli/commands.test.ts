/**
 * The `heirloom` command as a user runs it: bin/heirloom.js spawned against
 * a real server on 127.0.0.1, every subcommand, its human and --json
 * output, its exit codes, and `dump | load` of 100,000 objects through real
 * pipes. No sleeps: each step waits for a child's exit.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { freePort } from '../cli.js'
import { listen, tempDir } from '../helpers.js'
import { call } from '../http/client.js'

const BIN = new URL('../../bin/heirloom.js', import.meta.url).pathname

interface Run { code: number | null; stdout: string; stderr: string }

function start (args: string[], env: Record<string, string>, stdio: Array<'pipe' | 'ignore'> = ['ignore', 'pipe', 'pipe']): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: stdio as ['pipe', 'pipe', 'pipe'] })
}

async function finished (child: ChildProcess): Promise<Run> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', chunk => { stdout += chunk })
  child.stderr?.on('data', chunk => { stderr += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

/** Runs the CLI to its end, with `input` on its stdin if given. */
async function heirloom (url: string, args: string[], input?: string): Promise<Run> {
  const child = start(args, { HEIRLOOM_URL: url }, [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'])
  if (input !== undefined) child.stdin!.end(input)
  return await finished(child)
}

const ndjson = (objects: unknown[]): string => objects.map(o => JSON.stringify(o) + '\n').join('')

t.test('every_client_subcommand_for_people_and_for_scripts', async t => {
  const { url } = await listen(t)
  const ok = async (args: string[], input?: string): Promise<string> => {
    const run = await heirloom(url, args, input)
    t.equal(run.code, 0, `heirloom ${args.join(' ')} exits 0 (${run.stderr.trim()})`)
    t.equal(run.stderr, '', 'nothing on stderr (no progress line off a terminal)')
    return run.stdout
  }
  t.equal(await ok(['tables']), 'no tables\n')
  t.equal(await ok(['create', 'users', '--type', 'bag']), 'created users (bag, memory)\n')
  t.match(JSON.parse(await ok(['create', 'staff', '--durability', 'memory', '--json'])), { name: 'staff', type: 'set', durability: 'memory', size: 0 })
  t.equal(await ok(['put', 'users', 'alice', '{"age":30}']), 'stored (revision 1)\n')
  t.same(JSON.parse(await ok(['put', 'users', 'alice', '{"age":31}', '--json'])), { revision: 2 })
  t.equal(await ok(['get', 'users', 'alice']), '{"age":30}\n{"age":31}\n', 'a bag: every value, one a line')
  t.same(JSON.parse(await ok(['get', 'users', 'alice', '--json'])), { key: 'alice', values: [{ age: 30 }, { age: 31 }] })

  const tables = (await ok(['tables'])).split('\n')
  t.match(tables[0], /^NAME\s+TYPE\s+DURABILITY\s+SIZE\s+MEMORY\s+REVISION\s+RESTARTS$/)
  t.match(tables.find(line => line.startsWith('users ')), /^users\s+bag\s+memory\s+2\s+\d+\s+2\s+0$/)
  t.same(JSON.parse(await ok(['tables', '--json'])).tables.map((info: { name: string }) => info.name).sort(), ['staff', 'users'])

  t.equal(await ok(['load', 'staff', '-'], ndjson([{ key: 'ann', value: { age: 34 } }, { key: 'bob', value: { age: 28 } }])),
    'loaded 2 objects into staff in 1 chunk (revision 1)\n')
  const spec = '[{"head":{"key":"$1","value":{"age":"$2"}},"guards":[[">","$2",30]],"result":"$1"}]'
  t.equal(await ok(['select', 'staff', spec]), '"ann"\n')
  const file = join(await tempDir(t), 'spec.json')
  await writeFile(file, spec)
  t.same(JSON.parse(await ok(['select', 'staff', `@${file}`, '--json'])), { results: ['ann'] })
  t.same(JSON.parse(await ok(['select', 'staff', '{"spec":[{"head":{"key":"$1","value":"_"},"result":"$1"}],"limit":1}', '--json'])).results.length, 1,
    'a select body: one page, as sent')

  const dumped = await ok(['dump', 'staff'])
  t.same(dumped.trim().split('\n').map(line => JSON.parse(line)).sort((a, b) => a.key < b.key ? -1 : 1),
    [{ key: 'ann', value: { age: 34 } }, { key: 'bob', value: { age: 28 } }])

  const ps = (await ok(['ps'])).split('\n')
  t.match(ps[0], /^<0\.\d+\.0> root {2}supervisor one_for_one/, 'the root first')
  t.ok(ps.some(line => /^[├└]─ <0\.\d+\.0> table_sup /.test(line)), 'table_sup under it')
  t.ok(ps.some(line => /^│ {2}[├└]─ <0\.\d+\.0> table_handler:users .*table users/.test(line)), 'a handler under table_sup')
  t.match(JSON.parse(await ok(['ps', '--json'])), { tree: { name: 'root' }, heirs: Array })

  t.equal(await ok(['del', 'users', 'alice']), 'deleted (revision 3)\n')
  t.equal(await ok(['drop', 'users']), 'dropped users\n')
  t.same(JSON.parse(await ok(['drop', 'staff', '--json'])), { dropped: 'staff' })
  t.equal(await ok(['tables']), 'no tables\n')
})

t.test('exit_codes: 1 with the problem on stderr, 2 for usage, 3 without a server', async t => {
  const { url } = await listen(t, { maxValueBytes: 64 })
  const failed = async (args: string[], code: number, stderr: RegExp, input?: string): Promise<void> => {
    const run = await heirloom(url, args, input)
    t.equal(run.code, code, `heirloom ${args.join(' ')} exits ${code}`)
    t.match(run.stderr, stderr)
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line')
  }
  await failed(['get', 'nope', 'k'], 1, /^heirloom: no table nope \(table_not_found\)\n$/)
  await failed(['create', 'x', '--type', 'heap'], 1, /^heirloom: .*type.*\(validation_failed\)\n$/)
  t.equal((await heirloom(url, ['create', 'x'])).code, 0)
  await failed(['create', 'x'], 1, /\(table_exists\)/)
  await failed(['get', 'x', 'missing'], 1, /\(object_not_found\)/)
  const lines = ndjson([{ key: 1, value: 1 }]) + 'not json\n'
  await failed(['load', 'x'], 1, /^heirloom: line 2 is not JSON.*\(bad_request\); 0 objects were loaded before it\n$/, lines)
  await failed(['load', 'x'], 1, /^heirloom: line 1: a value is larger than 64 bytes.*--max-value-bytes.*\(limit_exceeded\)/, ndjson([{ key: 'k', value: 'v'.repeat(100) }]))

  const bare = await heirloom(url, [])
  t.equal(bare.code, 2, 'no command: the usage on stderr, exit 2')
  t.match(bare.stderr, /^usage: heirloom <command>[^]*exit codes: 0 done, 1 .* 2 usage error, 3 cannot connect\n$/)
  await failed(['frobnicate'], 2, /^heirloom: unknown command "frobnicate"\n$/)
  await failed(['get', 'x'], 2, /^heirloom: usage: heirloom get <table> <key>\n$/)
  await failed(['tables', '--colour'], 2, /^heirloom: Unknown option '--colour'/)
  await failed(['put', 'x', 'k', 'bare words'], 2, /^heirloom: the value is not JSON/)
  await failed(['select', 'x', '@/nonexistent/spec.json'], 2, /^heirloom: cannot read \/nonexistent\/spec\.json: ENOENT/)
  await failed(['load', 'x', '/nonexistent/file'], 2, /^heirloom: cannot read \/nonexistent\/file: ENOENT/)

  const port = await freePort()
  const unreachable = await finished(start(['tables'], { HEIRLOOM_URL: `http://127.0.0.1:${port}` }))
  t.equal(unreachable.code, 3)
  t.equal(unreachable.stderr, `heirloom: cannot connect to http://127.0.0.1:${port} (ECONNREFUSED)\n`)
  const badUrl = await finished(start(['tables'], { HEIRLOOM_URL: 'ftp://example' }))
  t.equal(badUrl.code, 2)
})

t.test('the_token_from_HEIRLOOM_TOKEN', async t => {
  const { url } = await listen(t, { token: 'sesame' })
  const without = await finished(start(['tables'], { HEIRLOOM_URL: url, HEIRLOOM_TOKEN: '' }))
  t.equal(without.code, 1)
  t.match(without.stderr, /\(unauthorized\)/)
  const withToken = await finished(start(['tables', '--json'], { HEIRLOOM_URL: url, HEIRLOOM_TOKEN: 'sesame' }))
  t.equal(withToken.code, 0)
  t.same(JSON.parse(withToken.stdout), { tables: [] })
})

t.test('load_and_dump_at_a_terminal_send_every_line (a progress line on stderr)', async t => {
  const { url } = await listen(t)
  const file = join(await tempDir(t), 'objects.ndjson')
  const objects = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i}`, value: i }))
  await writeFile(file, ndjson(objects))
  t.equal((await heirloom(url, ['create', 'tty'])).code, 0)
  // script(1) runs the command on a pseudo-terminal: stdin, stdout and stderr are a terminal, as at a prompt.
  const atTerminal = async (command: string): Promise<Run> => await finished(spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, HEIRLOOM_URL: url }, stdio: ['ignore', 'pipe', 'pipe'],
  }))
  const loaded = await atTerminal(`'${process.execPath}' '${BIN}' load tty '${file}'`)
  t.equal(loaded.code, 0, loaded.stdout)
  t.match(loaded.stdout, /loaded 20000 objects into tty in 20 chunks/)
  const tables = JSON.parse((await heirloom(url, ['tables', '--json'])).stdout) as { tables: Array<{ name: string; size: number }> }
  t.equal(tables.tables.find(info => info.name === 'tty')?.size, 20_000, 'every line stored')
  // A dump into a pipe, its progress line on the terminal.
  const dumped = await atTerminal(`'${process.execPath}' '${BIN}' dump tty | wc -l`)
  t.equal(dumped.code, 0)
  t.match(dumped.stdout, /\b20000\b/, 'every object dumped')
})

t.test('the_keys_dot_and_dot_dot_are_their_own_keys', async t => {
  // fetch, as every URL parser, drops `.` and `..` path segments: …/objects/. would be …/objects/.
  const { url } = await listen(t)
  t.equal((await heirloom(url, ['create', 'dots'])).code, 0)
  for (const [key, value] of [['.', '"dot"'], ['..', '"dots"'], ['', '"empty"']] as const) {
    if (key !== '') t.equal((await heirloom(url, ['put', 'dots', key, value])).stdout, 'stored (revision ' + (key === '.' ? 1 : 2) + ')\n')
  }
  t.equal((await heirloom(url, ['get', 'dots', '.'])).stdout, '"dot"\n')
  t.same(JSON.parse((await heirloom(url, ['get', 'dots', '..', '--json'])).stdout), { key: '..', values: ['dots'] })
  const dumped = (await heirloom(url, ['dump', 'dots'])).stdout.trim().split('\n').map(line => JSON.parse(line) as unknown)
  t.same(dumped, [{ key: '.', value: 'dot' }, { key: '..', value: 'dots' }], 'stored under . and .., nothing under ""')
  t.equal((await heirloom(url, ['del', 'dots', '..'])).stdout, 'deleted (revision 3)\n')
  const gone = await heirloom(url, ['get', 'dots', '..'])
  t.equal(gone.code, 1)
  t.match(gone.stderr, /^heirloom: no object with key "\.\." in dots \(object_not_found\)\n$/)
})

t.test('select_into_a_reader_that_stops_early_ends_quietly', async t => {
  const { url } = await listen(t)
  t.equal((await heirloom(url, ['create', 'many'])).code, 0)
  t.equal((await heirloom(url, ['load', 'many', '-'], ndjson(Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) }))))).code, 0)
  for (const json of [[], ['--json']]) {
    // Through a shell, as people type it: head reads one line and goes, the CLI's next write gets EPIPE.
    const run = await finished(spawn('sh', ['-c', `'${process.execPath}' '${BIN}' select many '[{"head":{"key":"_"},"result":"$_"}]' ${json.join(' ')} | head -c 10`], {
      env: { ...process.env, HEIRLOOM_URL: url }, stdio: ['ignore', 'pipe', 'pipe'],
    }))
    t.equal(run.stderr, '', `select ${json.join(' ')} | head: no stack trace`)
    t.equal(run.stdout.length, 10)
  }
})

t.test('watch_prints_each_change_follows_a_rename_and_ends_at_a_drop', async t => {
  const { url } = await listen(t)
  t.equal((await heirloom(url, ['create', 'users'])).code, 0)
  t.equal((await heirloom(url, ['put', 'users', 'a', '1'])).code, 0)
  const child = start(['watch', 'users', '--since', '0'], { HEIRLOOM_URL: url })
  t.teardown(() => child.kill())
  const exit = finished(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async (): Promise<unknown> => JSON.parse((await lines.next()).value as string)
  t.same(await next(), { rev: 1, changes: [{ key: 'a', values: [1] }] }, 'from --since')
  t.equal((await heirloom(url, ['put', 'users', 'b', '2'])).code, 0)
  t.same(await next(), { rev: 2, changes: [{ key: 'b', values: [2] }] }, 'as it comes')
  t.equal((await call(url, 'POST', '/v1/tables/users/rename', { name: 'people' })).status, 200)
  t.equal((await heirloom(url, ['put', 'people', 'c', '3'])).code, 0)
  t.same(await next(), { rev: 3, changes: [{ key: 'c', values: [3] }] }, 'under the new name')
  t.equal((await heirloom(url, ['drop', 'people'])).code, 0)
  const run = await exit
  t.equal(run.code, 0, 'a drop ends it')
  t.equal(run.stderr, 'users was renamed to people at revision 2: following it\npeople was dropped at revision 3\n')

  const late = await heirloom(url, ['watch', 'people', '--since', '2'])
  t.same([late.code, late.stdout, late.stderr], [0, '', 'people was dropped at revision 3\n'], 'a watch that comes after the drop is told it')
  const none = await heirloom(url, ['watch', 'nobody'])
  t.same([none.code, none.stderr], [1, 'heirloom: no table nobody (table_not_found)\n'])
  t.equal((await heirloom(url, ['create', 'again'])).code, 0)
  for (let i = 0; i < 3; i++) t.equal((await heirloom(url, ['put', 'again', `k${i}`, String(i)])).code, 0)
  const two = await heirloom(url, ['watch', 'again', '--since', '0', '--count', '2', '--json'])
  t.equal(two.code, 0)
  t.same(two.stdout.trim().split('\n').map(line => (JSON.parse(line) as { rev: number }).rev), [1, 2], '--count')
  for (const bad of [['--since', 'x'], ['--since', '-1'], ['--count', '0'], ['--count', '1e3']]) {
    const run = await heirloom(url, ['watch', 'again', ...bad])
    t.equal(run.code, 2, `watch ${bad.join(' ')} is a usage error`)
  }
})

t.test('watch_rides_out_a_server_restart_from_the_revision_it_printed', async t => {
  const dataDir = await tempDir(t)
  const port = await freePort()
  const { app: first, url } = await listen(t, { dataDir }, port)
  t.equal((await heirloom(url, ['create', 'feed', '--durability', 'disk'])).code, 0)
  t.equal((await heirloom(url, ['put', 'feed', 'a', '1'])).code, 0)
  const child = start(['watch', 'feed', '--since', '0'], { HEIRLOOM_URL: url })
  t.teardown(() => child.kill())
  const exit = finished(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const notes = createInterface({ input: child.stderr! })[Symbol.asyncIterator]()
  const next = async (): Promise<unknown> => JSON.parse((await lines.next()).value as string)
  t.same(await next(), { rev: 1, changes: [{ key: 'a', values: [1] }] })
  await first.close()
  // Refused, reset (a keep-alive socket the closing server cut) or 503 (shutting down), as the timing falls: said and waited out.
  t.match((await notes.next()).value, /^(cannot connect to .*|the connection was lost \(\w+\)|.* \(\w+\)): asking again in 1 s from revision 1$/, 'told on stderr, and waits')
  await listen(t, { dataDir }, port) // the same port and data dir: a restart
  t.equal((await heirloom(url, ['put', 'feed', 'b', '2'])).code, 0)
  t.same(await next(), { rev: 2, changes: [{ key: 'b', values: [2] }] }, 'the next change, after the restart: nothing missed, nothing twice')
  child.kill()
  t.equal((await exit).code, null, 'a watch runs until stopped')

  const unknown = await heirloom(`http://127.0.0.1:${await freePort()}`, ['watch', 'feed'])
  t.equal(unknown.code, 3, 'a server never reached is not waited for')
})

t.test('dump_piped_into_load_copies_100k_objects', async t => {
  const { url } = await listen(t, { maxMemory: 1024 ** 3 })
  const objects = Array.from({ length: 100_000 }, (_, i) => ({ key: i % 3 === 0 ? i : `k${i}`, value: { n: i, tags: ['a', i % 7], text: 'x'.repeat(i % 40) } }))
  const source = join(await tempDir(t), 'source.ndjson')
  await writeFile(source, ndjson(objects))
  t.equal((await heirloom(url, ['create', 'from'])).code, 0)
  t.equal((await heirloom(url, ['create', 'to', '--type', 'ordered_set'])).code, 0)
  const loaded = await heirloom(url, ['load', 'from', source, '--json'])
  t.same(JSON.parse(loaded.stdout), { loaded: 100_000, chunks: 100, revision: 100 }, 'chunks of 1,000 objects, one revision each')

  // heirloom dump from | heirloom load to, through an OS pipe between the two processes.
  const dump = start(['dump', 'from'], { HEIRLOOM_URL: url }, ['ignore', 'pipe', 'pipe'])
  const load = start(['load', 'to'], { HEIRLOOM_URL: url }, ['pipe', 'pipe', 'pipe'])
  dump.stdout!.pipe(load.stdin!)
  const [dumped, piped] = await Promise.all([finished(dump), finished(load)])
  t.equal(dumped.code, 0, dumped.stderr)
  t.equal(piped.code, 0, piped.stderr)
  t.equal(piped.stdout, 'loaded 100000 objects into to in 100 chunks (revision 100)\n')

  const sorted = async (table: string): Promise<string[]> => (await heirloom(url, ['dump', table])).stdout.split('\n').filter(Boolean).sort()
  const [from, to] = await Promise.all([sorted('from'), sorted('to')])
  t.equal(to.length, 100_000)
  t.ok(from.join('\n') === to.join('\n'), 'the copy dumps as the original')
  t.ok(ndjson(objects).split('\n').filter(Boolean).sort().join('\n') === to.join('\n'), 'and as the objects loaded')
})

t.test('serve_runs_the_server_and_stops_on_SIGTERM', async t => {
  const dataDir = await tempDir(t)
  const server = start(['serve', '--port', '0', '--data-dir', dataDir], { LOG_LEVEL: 'info' })
  t.teardown(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', chunk => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(chunk))
      if (match) resolve(match[1])
    })
    server.once('exit', code => reject(new Error(`serve exited with ${code}`)))
  })
  const created = await heirloom(url, ['create', 'served'])
  t.equal(created.code, 0, created.stderr)
  const exited = once(server, 'exit')
  server.kill('SIGTERM')
  t.equal((await exited)[0], 0, 'a clean stop')
})
