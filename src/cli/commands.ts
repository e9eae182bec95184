/**
 * The subcommands (but `serve`, which is the server itself: main.ts), as
 * one table: usage, what each prints for people and for scripts (--json:
 * the server's JSON answer, or one JSON document), and the one or two
 * requests it makes.
 */
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ParseArgsConfig } from 'node:util'
import type { z } from 'zod'
import type { Lookup, TableInfo } from '../tables/schemas.js'
import { ApiError, type Client, ConnectError, connectionLost, segment } from './client.js'
import { UsageError } from './errors.js'
import { columns, writeLines } from './output.js'
import { dump, load, type Streams } from './transfer.js'
import { drawProcesses, type Processes } from './tree.js'

export interface Context extends Streams {
  client: Client
  /** --json: output for scripts. */
  json: boolean
}

export interface Command {
  /** Arguments after the command's name, for the usage text. */
  args: string
  summary: string
  /** Positional arguments: at least, at most. */
  arity: [number, number]
  options?: NonNullable<ParseArgsConfig['options']>
  run: (context: Context, args: string[], options: Record<string, string | boolean | undefined>) => Promise<void>
}

const REVISION_HEADER = 'heirloom-revision'

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`

const table = (name: string): string => `/v1/tables/${segment(name)}`

/** The operation route that does what each method does on `…/objects/{key}`. */
const BY_BODY = { GET: 'lookup', PUT: 'insert', DELETE: 'delete' } as const

/**
 * A request on the objects of a string key: `…/objects/{key}`, but for `.`
 * and `..`, which every URL parser (fetch's included, and `%2E` too) takes
 * for dot segments: `…/objects/.` would reach `…/objects/`. Such a key goes
 * in the body of the operation route instead.
 */
async function onKey (client: Client, name: string, key: string, method: keyof typeof BY_BODY, body?: { value: unknown }): Promise<Response> {
  if (key !== '.' && key !== '..') return await client.request(method, `${table(name)}/objects/${segment(key)}`, body && { json: body })
  return await client.request('POST', `${table(name)}/${BY_BODY[method]}`, { json: { key, ...body } })
}

/** One JSON document, for --json. */
function printJson (context: Context, value: unknown): void {
  context.stdout.write(JSON.stringify(value) + '\n')
}

/** A command-line argument that must be JSON. */
function jsonArgument (text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${what} is not JSON: ${text} (a string is quoted: '"text"')`)
  }
}

export const COMMANDS: Record<string, Command> = {
  tables: {
    args: '',
    summary: 'list the tables',
    arity: [0, 0],
    async run (context) {
      const { answer } = await context.client.json<{ tables: TableInfo[] }>('GET', '/v1/tables')
      if (context.json) return printJson(context, answer)
      if (answer.tables.length === 0) return writeLines(context.stdout, ['no tables'])
      writeLines(context.stdout, columns(
        ['NAME', 'TYPE', 'DURABILITY', 'SIZE', 'MEMORY', 'REVISION', 'RESTARTS'],
        answer.tables.map(t => [t.name, t.type, t.durability, t.size, t.memory, t.revision, t.restarts])))
    },
  },

  create: {
    args: '<name> [--type set|ordered_set|bag|duplicate_bag] [--durability memory|disk|relaxed]',
    summary: 'create a table (default type set, durability the server\'s)',
    arity: [1, 1],
    options: { type: { type: 'string' }, durability: { type: 'string' } },
    async run (context, [name], options) {
      const { answer } = await context.client.json<TableInfo>('POST', '/v1/tables', {
        json: { name, ...(options.type === undefined ? {} : { type: options.type }), ...(options.durability === undefined ? {} : { durability: options.durability }) },
      })
      if (context.json) return printJson(context, answer)
      writeLines(context.stdout, [`created ${answer.name} (${answer.type}, ${answer.durability})`])
    },
  },

  drop: {
    args: '<name>',
    summary: 'drop a table and its objects',
    arity: [1, 1],
    async run (context, [name]) {
      await context.client.request('DELETE', table(name))
      if (context.json) return printJson(context, { dropped: name })
      writeLines(context.stdout, [`dropped ${name}`])
    },
  },

  get: {
    args: '<table> <key>',
    summary: 'the values of a string key, one JSON value a line (a bag may have several)',
    arity: [2, 2],
    async run (context, [name, key]) {
      const answer = await (await onKey(context.client, name, key, 'GET')).json() as z.infer<typeof Lookup>
      // `lookup` answers no values where the path answers 404.
      if (answer.values.length === 0) throw new ApiError(404, { code: 'object_not_found', detail: `no object with key ${JSON.stringify(key)} in ${name}` })
      if (context.json) return printJson(context, answer)
      writeLines(context.stdout, answer.values.map(value => JSON.stringify(value)))
    },
  },

  put: {
    args: '<table> <key> <json-value>',
    summary: 'store a value (JSON) under a string key',
    arity: [3, 3],
    async run (context, [name, key, text]) {
      const value = jsonArgument(text, 'the value')
      const response = await onKey(context.client, name, key, 'PUT', { value })
      const revision = Number(response.headers.get(REVISION_HEADER))
      if (context.json) return printJson(context, { revision })
      writeLines(context.stdout, [`stored (revision ${revision})`])
    },
  },

  del: {
    args: '<table> <key>',
    summary: 'delete every object of a string key (done also when there is none)',
    arity: [2, 2],
    async run (context, [name, key]) {
      const response = await onKey(context.client, name, key, 'DELETE')
      const revision = Number(response.headers.get(REVISION_HEADER))
      if (context.json) return printJson(context, { revision })
      writeLines(context.stdout, [`deleted (revision ${revision})`])
    },
  },

  select: {
    args: '<table> <spec-json | @file>',
    summary: 'ets:select: a match spec (every page, one result a line) or a whole select body ({"spec","limit","continuation"}: one page)',
    arity: [2, 2],
    async run (context, [name, source]) {
      const text = source.startsWith('@')
        ? await readFile(source.slice(1), 'utf8').catch((error: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${source.slice(1)}: ${error.code ?? error.message}`) })
        : source
      const spec = jsonArgument(text, 'the match spec')
      if (typeof spec !== 'object' || spec === null) throw new UsageError('a match spec is a JSON array of clauses, or a select body object')
      const results = await select(context.client, name, spec)
      if (context.json) return printJson(context, results)
      writeLines(context.stdout, results.results.map(result => JSON.stringify(result)))
    },
  },

  ps: {
    args: '',
    summary: 'the supervision tree and the holding pen',
    arity: [0, 0],
    async run (context) {
      const { answer } = await context.client.json<Processes>('GET', '/v1/processes')
      if (context.json) return printJson(context, answer)
      writeLines(context.stdout, drawProcesses(answer))
    },
  },

  dump: {
    args: '<table>',
    summary: 'every object as NDJSON on stdout, streamed (--json changes nothing)',
    arity: [1, 1],
    run: (context, [name]) => dump(context.client, name, context),
  },

  watch: {
    args: '<table> [--since REV] [--count N]',
    summary: 'the table\'s changes as they come, one JSON event a line ({"rev","changes"}): from now on, or after --since; follows a rename, rides out a server restart, ends at a drop or after --count events (--json changes nothing)',
    arity: [1, 1],
    options: { since: { type: 'string' }, count: { type: 'string' } },
    run: (context, [name], options) => watch(context, name, {
      since: options.since === undefined ? undefined : count(options.since as string, '--since', 0),
      count: options.count === undefined ? Infinity : count(options.count as string, '--count', 1),
    }),
  },

  load: {
    args: '<table> [file | -]',
    summary: 'insert NDJSON ({"key","value"} a line, as dump writes) from a file or stdin, streamed, in atomic chunks',
    arity: [1, 2],
    async run (context, [name, file]) {
      const result = await load(context.client, name, file, context)
      if (context.json) return printJson(context, result)
      writeLines(context.stdout, [`loaded ${plural(result.loaded, 'object')} into ${name} in ${plural(result.chunks, 'chunk')} (revision ${result.revision})`])
    },
  },
}

/**
 * A bare match spec gets every page (following continuations, each page
 * bounded by the server's --max-response-bytes); a select body is sent as
 * it is, for one page.
 */
async function select (client: Client, name: string, spec: object): Promise<{ results: unknown[]; continuation?: string }> {
  const path = `${table(name)}/select`
  if (!Array.isArray(spec)) return (await client.json<{ results: unknown[]; continuation?: string }>('POST', path, { json: spec })).answer
  const results: unknown[] = []
  let continuation: string | undefined
  do {
    const { answer } = await client.json<{ results: unknown[]; continuation?: string }>('POST', path, { json: continuation === undefined ? { spec } : { spec, continuation } })
    results.push(...answer.results)
    continuation = answer.continuation
  } while (continuation !== undefined)
  return { results }
}

/** A whole number of at least `min`, written as digits. */
function count (text: string, flag: string, min: number): number {
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN
  if (!(n >= min)) throw new UsageError(`${flag} takes a whole number of at least ${min}, not ${JSON.stringify(text)}`)
  return n
}

/** How long each long-poll of `watch` waits for a change, seconds (the server's most). */
const WATCH_WAIT = 60

/** Seconds `watch` waits before it asks again a server that was unavailable: doubled each time up to the last. */
const WATCH_RETRY = { first: 1, most: 16 }

/**
 * Why a poll failed if a later one may succeed: the server is restarting
 * or down (unreachable, the connection lost, 503), or undefined for an
 * answer that stands (404, 410…) or an error of the CLI's own.
 */
function unavailable (error: unknown): string | undefined {
  if (error instanceof ApiError) return error.status === 503 ? `${error.message} (${error.problem.code ?? 503})` : undefined
  if (error instanceof ConnectError) return error.message
  const lost = connectionLost(error)
  return lost === undefined ? undefined : `the connection was lost (${lost})`
}

interface ChangesPage { rev: number; events: Array<{ rev: number }>; end?: { type: 'renamed' | 'dropped' | 'overflow'; rev: number; name?: string } }

/**
 * Long-polls the table's changes and prints each event as the server sent
 * it, one a line. A rename is followed (the stream goes on under the new
 * name from the same revision; the server gives a poll that comes back to
 * the old name what it missed and the end); a drop ends it (exit 0); an
 * overflow resumes from the revision it names. Once it has had an answer,
 * a server that goes away (a restart, a 503) is asked again, after 1, 2,
 * 4… up to 16 s, from the revision last printed, with a line on stderr
 * each time: so a watch rides out a restart and misses nothing, or ends
 * with the server's reason (410 when the history no longer reaches back).
 */
async function watch (context: Context, name: string, { since, count }: { since: number | undefined; count: number }): Promise<void> {
  let current = name
  let after = since
  let printed = 0
  let answered = false
  let retry = WATCH_RETRY.first
  for (;;) {
    const query = `wait=${WATCH_WAIT}&limit=${Math.min(1000, count - printed)}${after === undefined ? '' : `&since=${after}`}`
    let answer: ChangesPage
    try {
      ({ answer } = await context.client.json<ChangesPage>('GET', `${table(current)}/changes?${query}`))
    } catch (error) {
      const reason = answered ? unavailable(error) : undefined
      if (reason === undefined) throw error
      writeLines(context.stderr, [`${reason}: asking again in ${retry} s${after === undefined ? '' : ` from revision ${after}`}`])
      await sleep(retry * 1000)
      retry = Math.min(retry * 2, WATCH_RETRY.most)
      continue
    }
    answered = true
    retry = WATCH_RETRY.first
    if (answer.events.length > 0) {
      // A reader slower than the table is waited for: the next poll goes out once it has read these.
      if (!context.stdout.write(answer.events.map(event => JSON.stringify(event) + '\n').join(''))) await once(context.stdout, 'drain')
      printed += answer.events.length
      after = answer.events[answer.events.length - 1].rev
      if (printed >= count) return
    } else {
      // Waited with nothing new: now is the revision the answer names.
      after ??= answer.rev
    }
    const end = answer.end
    if (end === undefined) continue
    after = end.rev
    if (end.type === 'dropped') {
      writeLines(context.stderr, [`${current} was dropped at revision ${end.rev}`])
      return
    }
    if (end.type === 'renamed' && end.name !== undefined) {
      writeLines(context.stderr, [`${current} was renamed to ${end.name} at revision ${end.rev}: following it`])
      current = end.name
    }
  }
}
