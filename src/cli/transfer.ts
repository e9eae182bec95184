/**
 * `dump` and `load`: NDJSON between the server and stdout, or a file or
 * stdin and the server, streamed both ways in constant memory (the pipes'
 * and sockets' back-pressure is kept end to end), so `heirloom dump a |
 * heirloom load b` copies a table of any size. A progress line goes to
 * stderr when it is a terminal and the table is large.
 */
import { open } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { TableInfo } from '../tables/schemas.js'
import { type Client, segment } from './client.js'
import { UsageError } from './errors.js'
import { bytesText, Progress } from './progress.js'

/** Tables smaller than this are dumped without a progress line. */
export const LARGE_TABLE = 10_000

/**
 * Counts the newlines and bytes passing through, and tells `counted` after
 * each chunk. Not a 'data' listener: one would set the stream flowing
 * before its reader (fetch) is there, and what flowed meanwhile was lost.
 */
function counter (counted: () => void = () => {}): Transform & { lines: number; bytes: number } {
  const count = Object.assign(new Transform({
    transform (chunk: Buffer, _encoding, done) {
      count.bytes += chunk.length
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count.lines++
      counted()
      done(null, chunk)
    },
  }), { lines: 0, bytes: 0 })
  return count
}

export interface Streams { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }

/** Writes the table's NDJSON dump to stdout as it arrives. */
export async function dump (client: Client, table: string, io: Streams): Promise<void> {
  let progress: Progress | undefined
  const count = counter(() => progress?.update())
  // A terminal on stderr and not on stdout (the dump itself would scroll the line away).
  if ((io.stderr as { isTTY?: boolean }).isTTY === true && (io.stdout as { isTTY?: boolean }).isTTY !== true) {
    const { answer: info } = await client.json<TableInfo>('GET', `/v1/tables/${segment(table)}`)
    if (info.size >= LARGE_TABLE) progress = Progress.on(io.stderr, () => `dump ${table}: ${count.lines} of ${info.size} objects (${Math.floor(100 * count.lines / info.size)} %)`)
  }
  const response = await client.request('GET', `/v1/tables/${segment(table)}/dump`)
  if (response.body === null) return
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), count, io.stdout)
  } catch (error) {
    // The reader went away (`heirloom dump t | head`): not a failure of the dump.
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error
  } finally {
    progress?.end()
  }
}

export interface LoadResult { loaded: number; chunks: number; revision: number }

/** Sends NDJSON from `file` (or stdin for `-` or none) to the table's load route. */
export async function load (client: Client, table: string, file: string | undefined, io: Streams): Promise<LoadResult> {
  // Told after each chunk, which flows only once the request reads the body: `progress` is set by then.
  const count = counter(() => progress?.update())
  let input: NodeJS.ReadableStream
  let total: number | undefined
  if (file === undefined || file === '-') {
    input = io.stdin
  } else {
    const handle = await open(file).catch((error: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`) })
    total = (await handle.stat()).size
    input = handle.createReadStream()
  }
  const progress = Progress.on(io.stderr, () =>
    `load ${table}: ${count.lines} lines, ${bytesText(count.bytes)}${total === undefined ? '' : ` of ${bytesText(total)} (${Math.floor(100 * count.bytes / Math.max(1, total))} %)`}`)
  const body = (input as Readable).pipe(count)
  input.once('error', error => body.destroy(error))
  try {
    const { answer } = await client.json<LoadResult>('POST', `/v1/tables/${segment(table)}/load`, { stream: body, type: 'application/x-ndjson' })
    return answer
  } finally {
    progress?.end()
  }
}
