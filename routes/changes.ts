/**
 * Change streams over HTTP: a table's changes (`GET /v1/tables/{table}/changes`)
 * and the node's lifecycle (`GET /v1/changes`). With `Accept:
 * text/event-stream` they are Server-Sent Events (`id:` the revision or
 * sequence number, so `Last-Event-ID` resumes); otherwise they long-poll
 * JSON. The readers are src/tables/changes.ts and lifecycle.ts; this file
 * only writes frames, keeps heartbeats and back-pressure, and closes open
 * streams when the server closes.
 */
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { StreamEnd, StreamEvent, StreamReader } from '../src/tables/changes.js'
import { HeirloomError } from '../src/errors.js'
import { KEPT as LIFECYCLE_KEPT } from '../src/tables/lifecycle.js'
import { problemResponses } from './problem.js'
import { TableParams } from './schemas.js'

/** Longest long-poll wait, seconds. */
const MAX_WAIT = 60
/** Most events in one long-poll answer. */
const MAX_EVENTS = 10_000
/** Frames gathered into one socket write, in characters: past it, the rest goes in the next. */
const FRAMES_PER_WRITE = 64 * 1024

/**
 * A number of the query string, written as digits (and a fraction): not
 * `z.coerce`, which reads a blank, spaces, hex or an exponent as a number
 * (`since=` as 0). Anything else is left as text, which the number schema
 * refuses with 400.
 */
const plainNumber = (value: unknown): unknown => typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value
/**
 * A number of the query string: text is told what is wanted, a fraction
 * where a whole number is wanted that it must be whole (zod reports both
 * as invalid_type), a number out of range its bound (zod's message).
 */
const queryNumber = (what: string): z.ZodNumber => z.number({
  error: issue => issue.code !== 'invalid_type' ? undefined : typeof issue.input === 'number' ? `${what}: a whole number` : `${what}, written as digits`,
})

const Query = z.object({
  since: z.preprocess(plainNumber, queryNumber('a revision').int().min(0)).optional()
    .describe('Stream what came after this revision (default: from now on); Last-Event-ID does the same'),
  wait: z.preprocess(plainNumber, queryNumber('seconds').min(0).max(MAX_WAIT).default(0))
    .describe('Long-poll: seconds to wait for a change when there is none yet'),
  limit: z.preprocess(plainNumber, queryNumber('a count').int().min(1).max(MAX_EVENTS).default(1000))
    .describe('Long-poll: most events in the answer'),
})

/** What an EventSource sends back when it reconnects: the `id:` of the last event it got (empty: none). */
const ResumeHeaders = z.object({
  'last-event-id': z.string().regex(/^(\d{1,16})?$/, 'the id of an event of this stream: digits, as the server sent it').optional()
    .describe('Resume after this event (an EventSource sends it when it reconnects); `since` wins when both are given'),
})

const End = z.object({
  type: z.enum(['renamed', 'dropped', 'overflow']),
  rev: z.number().int().describe('The last revision of the stream (overflow: the last one delivered: resume from it)'),
  name: z.string().optional().describe('renamed: the table\'s new name'),
})

const Change = z.object({
  rev: z.number().int(),
  changes: z.array(z.object({ key: z.unknown(), values: z.array(z.unknown()).describe('The key\'s values after the write; [] when it is gone') })),
  reset: z.literal(true).optional().describe('The table was emptied first: every key not in changes is gone'),
}).meta({ id: 'ChangeEvent' })

const LongPoll = z.object({
  rev: z.number().int().describe('The table\'s revision now; once the stream has an end, the end\'s revision'),
  events: z.array(Change),
  end: End.optional().describe('The stream ended after these events'),
}).meta({ id: 'ChangesPage' })

const SSE_DESCRIPTION = 'Server-Sent Events: `event: change` (id = revision, data = ChangeEvent), `event: progress` when idle ' +
  '(id = revision), then at most one final `renamed`, `dropped` or `overflow`; `: heartbeat` comments keep it open'

export const changeRoutes: FastifyPluginAsyncZod<{ heartbeat: number; maxStreams: number }> = async (app, { heartbeat, maxStreams }) => {
  const open = new Set<AbortController>()
  // Open streams would hold the server open: they end when it closes.
  app.addHook('preClose', async () => { for (const stream of open) stream.abort() })
  // Streams, and long-polls that may wait, being served: each holds a socket and about
  // 13 KB for as long as its client likes, so they are counted and bounded.
  let serving = 0

  const serve = async (request: FastifyRequest, reply: FastifyReply, reader: StreamReader, limit: number, wait: number): Promise<void> => {
    const stream = wantsEventStream(request)
    if (!stream && wait === 0) return await longPoll(reader, reply, limit, wait) // answered at once: an ordinary read
    if (serving >= maxStreams) {
      throw new HeirloomError('too_many_streams', `${serving} change streams and waiting long-polls are open, the most the server serves at once`, { retryAfter: 1, setting: 'maxStreams' })
    }
    serving++
    // Ends when the client goes or the server closes: a long-poll then answers what it has
    // (nothing) at once, so that neither a dropped client nor a shutdown waits out its `wait`.
    const closing = new AbortController()
    open.add(closing)
    request.raw.once('close', () => closing.abort())
    try {
      if (!stream) return await longPoll(reader, reply, limit, wait, closing.signal)
      reply.hijack()
      await sse(reply.raw, reader, heartbeat, closing.signal)
    } finally {
      open.delete(closing)
      serving--
    }
  }

  app.get('/tables/:table/changes', {
    schema: {
      operationId: 'watchTable',
      summary: 'Watch a table: its changes after a revision, as Server-Sent Events or long-poll JSON',
      tags: ['changes'],
      params: TableParams,
      querystring: Query,
      headers: ResumeHeaders,
      response: {
        200: {
          description: SSE_DESCRIPTION,
          content: { 'application/json': { schema: LongPoll }, 'text/event-stream': { schema: z.string() } },
        },
        ...problemResponses(400, 404, 410, 503),
      },
    },
  }, async (request, reply) => {
    const { since, wait, limit } = request.query
    const reader = app.tables.watch(request.params.table, since ?? lastEventId(request))
    await serve(request, reply, reader, limit, wait)
    return reply
  })

  app.get('/changes', {
    schema: {
      operationId: 'watchNode',
      summary: 'Watch the node: tables created, dropped, renamed; processes crashed and restarted; tables given to heirs, parked and handed back',
      tags: ['changes'],
      querystring: Query,
      headers: ResumeHeaders,
      response: {
        200: {
          description: 'Server-Sent Events, one per lifecycle event (event = its type, id = its sequence number: +1 per event, from the server\'s start time ' +
            `in µs, so ids of a run are above those of the runs before it), or long-poll JSON. A \`since\` older than the last ${LIFECYCLE_KEPT} events ` +
            '(or of the server before a restart) or past the last id is 410 `history_compacted`: read from now on',
          content: { 'application/json': { schema: z.object({ rev: z.number().int(), events: z.array(z.record(z.string(), z.unknown())), end: End.optional() }) }, 'text/event-stream': { schema: z.string() } },
        },
        ...problemResponses(400, 410, 503),
      },
    },
  }, async (request, reply) => {
    const { since, wait, limit } = request.query
    await serve(request, reply, app.tables.lifecycle.read(since ?? lastEventId(request)), limit, wait)
    return reply
  })
}

function wantsEventStream (request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/event-stream') === true
}

/** The `Last-Event-ID` header (its schema refused anything but digits); none when absent or empty. */
function lastEventId (request: FastifyRequest): number | undefined {
  const id = request.headers['last-event-id']
  return typeof id === 'string' && id !== '' ? Number(id) : undefined
}

/** The events of one write, gathered by each stream in turn (one stream runs at a time). */
const batch: StreamEvent[] = []

/**
 * The events of a write taken one at a time, up to about FRAMES_PER_WRITE
 * characters, and the end of the stream if it comes first: the way of a
 * reader without `take`, and of every reader at its end or overflow.
 */
function oneByOne (reader: StreamReader): { events: readonly StreamEvent[]; end?: StreamEnd } {
  batch.length = 0
  let chars = 0
  for (let next = reader.next(); next !== undefined; next = reader.next()) {
    if ('end' in next) return { events: batch, end: next.end }
    batch.push(next.event)
    chars += next.event.data.length
    if (chars >= FRAMES_PER_WRITE) break
  }
  return { events: batch }
}

/**
 * Bytes made once for the readers of a table woken together (a group a
 * turn, src/tables/changes.ts wakeGroups), most at the same revision: the
 * first builds them and the others with the same key (equal part by part)
 * send the same bytes, not a copy each (2,000 long-polls woken by a 1 MB
 * write held 2 GB of copies). Kept SHARED_MS at most, past the groups of
 * a wake: they may be megabytes. Events are never changed, so the first
 * and last event name a list.
 */
class SharedBytes {
  private last: { key: readonly unknown[]; bytes: Buffer } | undefined

  of (key: readonly unknown[], build: () => string): Buffer {
    const last = this.last
    if (last !== undefined && last.key.length === key.length && last.key.every((part, i) => part === key[i])) return last.bytes
    const made = { key, bytes: Buffer.from(build()) }
    this.last = made
    setTimeout(() => { if (this.last === made) this.last = undefined }, SHARED_MS).unref()
    return made.bytes
  }
}

const SHARED_MS = 1000

const sharedFrames = new SharedBytes()

/** The SSE frames of `events` (at least one) as bytes, shared (SharedBytes). */
function framesOf (events: readonly StreamEvent[]): Buffer {
  return sharedFrames.of([events[0], events[events.length - 1]], () => {
    let text = ''
    for (const { id, type, data } of events) text += `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`
    return text
  })
}

const endFrame = (end: StreamEnd): string => `event: ${end.type}\ndata: ${JSON.stringify(end)}\n\n`

/**
 * Writes the reader's events as they come, waiting for the socket to drain
 * whenever more than a batch (64 KiB) is still queued on it: a slow client
 * is not written to faster than it reads, and falls behind in the reader
 * (which ends it with `overflow` past its allowance), never by more than
 * about two batches in this process's memory.
 */
async function sse (res: ServerResponse, reader: StreamReader, heartbeat: number, signal: AbortSignal): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  const progress = (): string => `id: ${reader.delivered}\nevent: progress\ndata: {"rev":${reader.delivered}}\n\n`
  let sent = false
  // A heartbeat comment always; a progress event too when nothing was sent since the last tick and the reader is up to date.
  const timer = setInterval(() => {
    res.write(': heartbeat\n\n')
    if (!sent && reader.delivered === reader.revision) res.write(progress())
    sent = false
  }, heartbeat)
  // One listener for the stream's life, not one per wait.
  const interrupt = (): void => reader.interrupt()
  signal.addEventListener('abort', interrupt, { once: true })
  try {
    // Tells a client watching from now on where "now" is, and that the stream is open.
    if (reader.delivered === reader.revision) res.write(progress())
    while (!signal.aborted) {
      // Everything there is now, in one write: one system call per wake, not per event.
      let events = reader.take?.(MAX_EVENTS, FRAMES_PER_WRITE) ?? []
      let end: StreamEnd | undefined
      if (events.length === 0) ({ events, end } = oneByOne(reader))
      if (events.length > 0) {
        sent = true
        res.write(framesOf(events))
      }
      if (end !== undefined) {
        res.write(endFrame(end))
        break
      }
      if (events.length === 0) await reader.changed()
      // It waits for its socket only once more than a batch is waiting to go out: a batch
      // larger than the socket's high-water mark is the rule when busy, not a slow client.
      else if (res.writableLength > FRAMES_PER_WRITE) await drained(res, reader, signal)
    }
  } finally {
    signal.removeEventListener('abort', interrupt)
    clearInterval(timer)
    res.end()
  }
}

/**
 * Waits until the socket drains, or until the reader falls behind its
 * allowance meanwhile (a client that stopped reading): then its next
 * `next()` is the overflow that ends the stream, written after what the
 * socket already holds.
 */
async function drained (res: ServerResponse, reader: StreamReader, signal: AbortSignal): Promise<void> {
  const waiting = new AbortController()
  const stop = (): void => waiting.abort()
  signal.addEventListener('abort', stop, { once: true })
  try {
    const drain = once(res, 'drain', { signal: waiting.signal }).then(() => true, () => false)
    while (!waiting.signal.aborted) {
      if (await Promise.race([drain, reader.changed(waiting.signal).then(() => false)])) return
      if (reader.lagging) return
    }
  } finally {
    signal.removeEventListener('abort', stop)
    waiting.abort()
  }
}

/**
 * Answers the events after `since` at once, or waits up to `wait` seconds
 * for the first. A wake with nothing for it (an end for another name, a
 * stop) waits again: only a change, an end or the deadline answers. The
 * events are sent as they were serialised.
 */
async function longPoll (reader: StreamReader, reply: FastifyReply, limit: number, wait: number, closing?: AbortSignal): Promise<void> {
  let next = reader.next()
  if (next === undefined && wait > 0) {
    const deadline = AbortSignal.timeout(wait * 1000)
    const timeout = closing === undefined ? deadline : AbortSignal.any([deadline, closing])
    while (next === undefined && !timeout.aborted) {
      await reader.changed(timeout)
      next = reader.next()
    }
  }
  const events: StreamEvent[] = []
  let end: StreamEnd | undefined
  while (next !== undefined) {
    if ('end' in next) {
      end = next.end
      break
    }
    events.push(next.event)
    if (events.length === limit) break
    next = reader.next()
  }
  await reply.type('application/json').send(pollAnswer(reader.revision, events, end))
}

const sharedAnswers = new SharedBytes()

/** A long-poll answer as bytes, shared by the polls woken together (SharedBytes). */
function pollAnswer (revision: number, events: readonly StreamEvent[], end: StreamEnd | undefined): Buffer {
  const ended = end === undefined ? '' : `,"end":${JSON.stringify(end)}`
  return sharedAnswers.of([revision, events[0], events[events.length - 1], events.length, ended], () => {
    let text = `{"rev":${revision},"events":[`
    for (let i = 0; i < events.length; i++) text += (i === 0 ? '' : ',') + events[i].data
    return `${text}]${ended}}`
  })
}
