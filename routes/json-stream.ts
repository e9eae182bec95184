/**
 * Large JSON answers, written as the socket drains (issue 8): a select page
 * may be max-response-bytes of JSON (1 MiB by default), and encoding it in
 * one go (JSON.stringify, then the string to bytes and into the socket)
 * held the event loop for about 120 ms, so /healthz and every other table
 * waited. Here the answer is serialised in pieces of about CHUNK_CHARS,
 * pulled as the socket drains and at most one per turn of the event loop,
 * so no step holds the loop for more than one piece's worth; small answers
 * go the usual way (with Content-Length).
 */
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'

/** About how much JSON one step makes: 16 KiB, the size of a socket write that fills the response's buffer. */
export const CHUNK_CHARS = 16 * 1024

/**
 * Sends `answer` as JSON: streamed in pieces when it is larger than a
 * piece, else as it is (serialised by the route's serializer).
 * O(min(size, CHUNK_CHARS)) before anything is sent.
 */
export function sendJson<T> (reply: FastifyReply, answer: T): T {
  if (charsUpTo(answer, CHUNK_CHARS) <= CHUNK_CHARS) return answer
  // A stream, not the 200 schema's object: the reply's type knows only the latter. The reply sent
  // is returned (a stream's exception, routes/reply.ts), typed as the answer it streams.
  return reply.type('application/json; charset=utf-8').send(Readable.from(turnByTurn(jsonChunks(answer))) as never) as T
}

/**
 * One piece per turn of the event loop. A socket on a fast link drains at
 * once, and its 'drain' comes as a next tick: without this, the whole
 * answer would still be made in one turn (a dump of 200 MB held the loop
 * for 1.7 s).
 */
export async function * turnByTurn (chunks: Iterable<string>): AsyncGenerator<string> {
  for (const chunk of chunks) {
    yield chunk
    await new Promise(resolve => setImmediate(resolve))
  }
}

/**
 * The JSON text of `value` (as JSON.stringify gives it, for JSON data:
 * members that are undefined left out) in pieces of about `size`
 * characters, made only as they are pulled. Subterms that fit in a piece
 * are serialised whole; a longer string is cut between pieces, never inside
 * a surrogate pair.
 */
export function * jsonChunks (value: unknown, size = CHUNK_CHARS): Generator<string> {
  let chunk = ''
  for (const piece of pieces(value, size)) {
    chunk += piece
    if (chunk.length >= size) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk !== '') yield chunk
}

function * pieces (value: unknown, size: number): Generator<string> {
  if (value === null || typeof value !== 'object' || charsUpTo(value, size) <= size) {
    yield * cut(JSON.stringify(value) ?? 'null', size)
  } else if (Array.isArray(value)) {
    yield '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ','
      yield * pieces(value[i] === undefined ? null : value[i], size)
    }
    yield ']'
  } else {
    let first = true
    for (const [name, member] of Object.entries(value)) {
      if (member === undefined) continue
      yield first ? '{' : ','
      yield * cut(JSON.stringify(name) + ':', size)
      first = false
      yield * pieces(member, size)
    }
    yield first ? '{}' : '}'
  }
}

/** A long text in pieces of `size` characters, never splitting a surrogate pair (each piece is encoded alone). */
function * cut (text: string, size: number): Generator<string> {
  let start = 0
  while (text.length - start > size) {
    let end = start + size
    const last = text.charCodeAt(end - 1)
    if (last >= 0xd800 && last < 0xdc00) end--
    yield text.slice(start, end)
    start = end
  }
  yield start === 0 ? text : text.slice(start)
}

/** The length of `value`'s JSON, counted up to just past `cap` (characters, roughly). O(min(size, cap)). */
function charsUpTo (value: unknown, cap: number): number {
  let chars = 0
  const count = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length + 2
    else if (v === null || typeof v !== 'object') chars += 8
    else if (Array.isArray(v)) {
      chars += 2 + v.length
      for (const member of v) {
        count(member)
        if (chars > cap) return
      }
    } else {
      chars += 2
      for (const name in v) {
        if (chars > cap) return
        chars += name.length + 4
        count((v as Record<string, unknown>)[name])
      }
    }
  }
  count(value)
  return chars
}
