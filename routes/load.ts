/**
 * `POST /v1/tables/{table}/load`: the dump's NDJSON back in (one
 * `{"key","value"}` a line), read as it arrives and inserted in chunks, each
 * chunk one atomic insert through the table's handler (one revision).
 *
 * Memory is bounded by a chunk (CHUNK_OBJECTS objects or about CHUNK_BYTES
 * of lines) plus one line, whatever the body's size: the body is a stream
 * (no --body-limit, which bounds bodies held whole), pulled only while no
 * chunk is being written, so a client sending faster than the table
 * stores waits on TCP back-pressure. What bounds a load is its time (the
 * whole body must arrive within --request-timeout) and the memory quota.
 *
 * A failure answers the problem with `loaded`: the objects of the chunks
 * stored before it are in, the failing chunk's are not, nothing after it
 * was read. Lines are checked before their chunk is written, so a
 * malformed line or one past --max-value-bytes is a 400 naming it.
 */
import type { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import { type FastifyPluginAsyncZod, validatorCompiler } from 'fastify-type-provider-zod'
import secureJson from 'secure-json-parse'
import { z } from 'zod'
import type { Config } from '../src/config.js'
import { EtsError } from '../src/ets/errors.js'
import type { EtsObject } from '../src/ets/table.js'
import { termBytes } from '../src/ets/term.js'
import { HeirloomError } from '../src/errors.js'
import { nestsDeeper } from '../src/nesting.js'
import { EtsObjectSchema } from '../src/tables/schemas.js'
import { problemResponses } from './problem.js'
import { REVISION_HEADER, TableParams } from './schemas.js'

export const NDJSON = 'application/x-ndjson'

/** A chunk ends at this many objects… */
export const CHUNK_OBJECTS = 1000
/** …or once its lines reach this many bytes: each insert is a bounded turn of the handler. */
export const CHUNK_BYTES = 256 * 1024
/** Room in a line for its key and the `{"key":…,"value":…}` around it and its value. */
const LINE_OVERHEAD = 1024

export type LoadLimits = Pick<Config, 'maxValueBytes' | 'maxKeyBytes' | 'maxDepth'>

const LoadResult = z.object({
  loaded: z.number().int().min(0).describe('Objects inserted'),
  chunks: z.number().int().min(0).describe('Atomic inserts made, one revision each'),
  revision: z.number().int().min(0).describe('The table\'s revision after the last chunk'),
}).meta({ id: 'LoadResult' })

export const loadRoutes: FastifyPluginAsyncZod<LoadLimits> = async (app, limits) => {
  // Only in this plugin: the body reaches the handler as the request's stream, unread.
  app.addContentTypeParser(NDJSON, (_request, payload, done) => { done(null, payload) })
  const progress = new WeakMap<FastifyRequest, number>()

  app.post('/tables/:table/load', {
    schema: {
      operationId: 'loadTable',
      summary: 'Insert NDJSON objects (a dump) streamed, in atomic chunks of up to 1,000 objects or 256 KiB; answers how many were loaded, or how far a failed load got',
      tags: ['operations'],
      params: TableParams,
      consumes: [NDJSON],
      // Documents one line; the body is a stream, checked line by line below.
      body: EtsObjectSchema,
      response: { 200: LoadResult, ...problemResponses(400, 404, 500, 503, 507) },
    },
    // The body is not validated whole (it is a stream); the params are, by zod as everywhere.
    validatorCompiler: route => route.httpPart === 'body' ? (body: unknown) => ({ value: body }) : validatorCompiler({ ...route, schema: TableParams }),
    // A failed load's problem (from the app's error handler) says how far it got.
    preSerialization: async (request, reply, payload: unknown) => {
      const loaded = progress.get(request)
      return reply.statusCode >= 400 && loaded !== undefined && typeof payload === 'object' ? { ...payload, loaded } : payload
    },
  }, async (request, reply) => {
    const { table } = request.params
    const body: unknown = request.body
    if (!isStream(body)) throw new HeirloomError('unsupported_media_type', `a load's body is ${NDJSON}`)
    progress.set(request, 0)
    let revision = app.tables.revision(table)
    let chunks = 0
    try {
      for await (const chunk of chunksOf(body, limits)) {
        revision = (await insertChunk(table, chunk)).revision
        chunks++
        progress.set(request, progress.get(request)! + chunk.objects.length)
      }
    } catch (error) {
      // Read and drop the rest, so the client can finish sending and read the answer.
      body.resume()
      throw error
    }
    reply.header(REVISION_HEADER, revision)
    return { loaded: progress.get(request)!, chunks, revision }
  })

  async function insertChunk (table: string, chunk: Chunk): Promise<{ revision: number }> {
    try {
      return await app.tables.write(table, 'insert', { objects: chunk.objects })
    } catch (error) {
      throw inLines(error, `lines ${chunk.first} to ${chunk.last} (not stored)`)
    }
  }
}

interface Chunk { objects: EtsObject[]; first: number; last: number }

function isStream (body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).iterator === 'function'
}

/** The objects of the body in chunks; every line checked first. */
async function * chunksOf (body: Readable, limits: LoadLimits): AsyncGenerator<Chunk> {
  let chunk: Chunk | undefined
  let bytes = 0
  for await (const line of linesOf(body, limits.maxValueBytes + limits.maxKeyBytes + LINE_OVERHEAD)) {
    const object = parseLine(line.number, line.bytes, limits)
    if (object === undefined) continue
    chunk ??= { objects: [], first: line.number, last: line.number }
    chunk.objects.push(object)
    chunk.last = line.number
    bytes += line.bytes.length
    if (chunk.objects.length >= CHUNK_OBJECTS || bytes >= CHUNK_BYTES) {
      yield chunk
      chunk = undefined
      bytes = 0
    }
  }
  if (chunk !== undefined) yield chunk
}

/**
 * The lines of a byte stream, numbered from 1, without their `\n`; refused
 * as soon as one passes `maxBytes` (so a line without end costs no more).
 * The stream is not destroyed when the reading stops early: the answer
 * still goes out on its socket.
 */
async function * linesOf (body: Readable, maxBytes: number): AsyncGenerator<{ number: number; bytes: Buffer }> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let number = 1
  const tooLong = (): HeirloomError => new HeirloomError('limit_exceeded',
    `line ${number} is longer than ${maxBytes} bytes (a value may have ${maxBytes - LINE_OVERHEAD} bytes with its key)`, { setting: 'maxValueBytes' })
  for await (const piece of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    let start = 0
    for (let end = piece.indexOf(10); end !== -1; end = piece.indexOf(10, start)) {
      const tail = piece.subarray(start, end)
      if (pendingBytes + tail.length > maxBytes) throw tooLong()
      yield { number, bytes: pending.length === 0 ? tail : Buffer.concat([...pending, tail]) }
      number++
      pending = []
      pendingBytes = 0
      start = end + 1
    }
    if (start < piece.length) {
      pending.push(piece.subarray(start))
      pendingBytes += piece.length - start
      if (pendingBytes > maxBytes) throw tooLong()
    }
  }
  if (pendingBytes > 0) yield { number, bytes: Buffer.concat(pending) }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** One line's object, checked as the insert route checks its body; undefined for a blank line. */
function parseLine (number: number, bytes: Buffer, limits: LoadLimits): EtsObject | undefined {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch (error) {
    throw new HeirloomError('bad_request', `line ${number} is not valid UTF-8`, { cause: error })
  }
  if (text.trim() === '') return undefined
  let parsed: unknown
  try {
    parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (error) {
    throw new HeirloomError('bad_request', `line ${number} is not JSON: ${(error as Error).message}`, { cause: error })
  }
  // A line is held to what a JSON body is held to.
  if (nestsDeeper(parsed, limits.maxDepth)) throw new HeirloomError('limit_exceeded', `line ${number} nests deeper than ${limits.maxDepth} levels`, { setting: 'maxDepth' })
  const object = EtsObjectSchema.safeParse(parsed)
  if (!object.success) throw new HeirloomError('validation_failed', `line ${number} is not {"key","value"}: ${z.prettifyError(object.error).replace(/\n/g, ' ')}`)
  try {
    const { key, value } = object.data
    if (termBytes(key, limits.maxKeyBytes) > limits.maxKeyBytes) throw new HeirloomError('limit_exceeded', `a key is larger than ${limits.maxKeyBytes} bytes`, { setting: 'maxKeyBytes' })
    if (termBytes(value, limits.maxValueBytes) > limits.maxValueBytes) throw new HeirloomError('limit_exceeded', `a value is larger than ${limits.maxValueBytes} bytes of JSON`, { setting: 'maxValueBytes' })
    return object.data
  } catch (error) {
    throw inLines(error, `line ${number}`)
  }
}

/** The error, its detail prefixed with where in the body it happened; code, setting and cause kept. */
function inLines (thrown: unknown, where: string): unknown {
  const error = thrown instanceof EtsError ? HeirloomError.fromEngine(thrown) : thrown
  if (!(error instanceof HeirloomError)) return error
  return new HeirloomError(error.code, `${where}: ${error.message}`, { cause: error, setting: error.setting, retryAfter: error.retryAfter, oldest: error.oldest })
}
