// Bytes inject() cannot send, over a real socket: invalid UTF-8 in bodies and
// paths, Content-Length that lies, conflicting framing headers, broken
// chunked encoding. Each must be answered with a 4xx problem (or the
// connection closed when nothing can be answered), never a hang, and must
// change nothing.
import { connect } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { listen } from '../helpers.js'
import { type Answer, notAProblem, snapshot } from './support.js'

t.setTimeout(120_000)

/** Milliseconds a raw exchange may take before it counts as hung. */
const HANG_MS = 3000

interface Exchange { answers: Answer[]; closed: boolean; hung: boolean }

/** Writes the bytes (ending our side when `end`), then reads every response until the server closes or HANG_MS pass. */
function exchange (port: number, bytes: Buffer, end: boolean): Promise<Exchange> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const finish = (hung: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ answers: parseResponses(Buffer.concat(chunks)), closed: !hung, hung })
    }
    const timer = setTimeout(() => finish(true), HANG_MS)
    socket.on('data', chunk => chunks.push(chunk))
    socket.on('close', () => finish(false))
    socket.on('error', () => {})
    socket.write(bytes)
    if (end) socket.end()
  })
}

/** HTTP/1.1 responses in a byte stream (Content-Length framed, as every answer here is). */
function parseResponses (data: Buffer): Answer[] {
  const answers: Answer[] = []
  let rest = data
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n')
    if (headEnd < 0) return answers
    const [statusLine, ...lines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    const body = rest.subarray(headEnd + 4, headEnd + 4 + length)
    answers.push({ statusCode: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') })
    rest = rest.subarray(headEnd + 4 + length)
  }
}

/** Every request asks the server to close after answering: a connection left open is then a hang. */
const head = (lines: string[]): Buffer =>
  Buffer.from([...lines, 'Connection: close'].map(line => line + '\r\n').join('') + '\r\n', 'latin1')
const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map(part => typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part)))

/** A request with a JSON body, Content-Length from the body unless given. */
function request (method: string, path: string, body: Buffer, extra: string[] = [], contentLength: string | null = String(body.length)): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', ...extra]
  if (contentLength !== null) lines.push(`Content-Length: ${contentLength}`)
  return Buffer.concat([head(lines), body])
}

/** The body as one chunk and the last chunk. */
const chunked = (body: Buffer): Buffer => Buffer.concat([bytes(`${body.length.toString(16)}\r\n`), body, bytes('\r\n0\r\n\r\n')])

/** Bytes that are not UTF-8: lone continuation, truncated sequence, overlong, surrogate, out of range. */
const INVALID_UTF8: number[][] = [[0xff], [0xfe, 0xff], [0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]

interface RawCase { name: string; variant?: string; bytes: Buffer; end?: boolean }

function cases (): RawCase[] {
  const put = (body: Buffer, ...rest: Parameters<typeof request> extends [string, string, Buffer, ...infer R] ? R : never): Buffer =>
    request('PUT', '/v1/tables/raw/objects/x', body, ...rest)
  const value = bytes('{"value":1}')
  const list: RawCase[] = []
  for (const bad of INVALID_UTF8) {
    const variant = Buffer.from(bad).toString('hex')
    list.push(
      { name: 'invalid UTF-8 in a value', variant, bytes: put(bytes('{"value":"a', bad, 'b"}')) },
      { name: 'invalid UTF-8 in a body key', variant, bytes: request('POST', '/v1/tables/raw/insert', bytes('{"key":"', bad, '","value":1}')) },
      { name: 'invalid UTF-8 in a member name', variant, bytes: put(bytes('{"value":{"', bad, '":1}}')) },
      { name: 'invalid UTF-8 in a table name', variant, bytes: request('POST', '/v1/tables', bytes('{"name":"t', bad, '"}')) },
      { name: 'raw non-ASCII bytes in the path', variant, bytes: bytes('GET /v1/tables/raw/objects/', bad, ' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n') },
      { name: 'escaped invalid UTF-8 in the path', variant, bytes: head([`GET /v1/tables/raw/objects/${bad.map(b => '%' + b.toString(16).toUpperCase()).join('')} HTTP/1.1`, 'Host: 127.0.0.1']) }
    )
  }
  list.push(
    { name: 'Content-Length shorter than the body', bytes: put(value, [], '5') },
    { name: 'Content-Length longer than the body, then the client ends', bytes: put(value, [], '50'), end: true },
    { name: 'Content-Length not a number', bytes: put(value, [], 'eleven') },
    { name: 'Content-Length negative', bytes: put(value, [], '-1') },
    { name: 'two different Content-Lengths', bytes: put(value, ['Content-Length: 3']) },
    { name: 'Content-Length and Transfer-Encoding', bytes: put(value, ['Transfer-Encoding: chunked']) },
    { name: 'chunk size not hex', bytes: put(bytes('zz\r\n{"value":1}\r\n0\r\n\r\n'), ['Transfer-Encoding: chunked'], null) },
    { name: 'chunk shorter than its size, then the client ends', bytes: put(bytes('ff\r\n{"value":1}\r\n0\r\n\r\n'), ['Transfer-Encoding: chunked'], null), end: true },
    { name: 'chunked body with invalid UTF-8', bytes: put(chunked(bytes('{"value":"', [0xff, 0xfe], '"}')), ['Transfer-Encoding: chunked'], null) },
    { name: 'a NUL in a header value', bytes: put(value, ['X-Odd: a\u0000b']) },
    { name: 'a header without a colon', bytes: put(value, ['NoColonHere']) },
    { name: 'an HTTP version that does not exist', bytes: head(['GET /healthz HTTP/9.9', 'Host: 127.0.0.1']) },
    { name: 'a request line with no path', bytes: head(['GET HTTP/1.1', 'Host: 127.0.0.1']) }
  )
  return list
}

t.test('raw_bytes_are_answered_with_4xx_problems_or_a_closed_connection_and_change_nothing', async t => {
  const { app, url } = await listen(t)
  const port = Number(new URL(url).port)
  t.equal((await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'raw' } })).statusCode, 201)
  t.equal((await app.inject({ method: 'PUT', url: '/v1/tables/raw/objects/x', payload: { value: 'before' } })).statusCode, 204)
  const all = cases()
  const reset = async (): Promise<void> => {
    await app.inject({ method: 'POST', url: '/v1/tables/raw/delete_all_objects' })
    await app.inject({ method: 'PUT', url: '/v1/tables/raw/objects/x', payload: { value: 'before' } })
  }
  // fault → the cases (and byte variants) that showed it, and the first bytes sent
  const violations = new Map<string, { variants: string[]; sent: string }>()
  for (const rawCase of all) {
    const before = await snapshot(app)
    const { answers, hung } = await exchange(port, rawCase.bytes, rawCase.end === true)
    const faults = [
      ...(hung ? ['no answer and no close within 3 s'] : []),
      ...answers.map(answer => notAProblem(answer)).filter((fault): fault is string => fault !== undefined),
    ]
    if (JSON.stringify(await snapshot(app)) !== JSON.stringify(before)) {
      faults.push('and it changed the table')
      await reset() // so that each case is judged alone
    }
    if (faults.length === 0) continue
    const kind = `${rawCase.name}: ${faults.join(', ')}`
    const seen = violations.get(kind) ?? { variants: [], sent: JSON.stringify(rawCase.bytes.toString('latin1').slice(0, 140)) }
    if (rawCase.variant !== undefined) seen.variants.push(rawCase.variant)
    violations.set(kind, seen)
  }
  t.comment(`${all.length} raw socket cases`)
  const report = [...violations].map(([kind, { variants, sent }]) =>
    `${kind}${variants.length > 0 ? ` (bytes ${variants.join(' ')})` : ''} — e.g. sent ${sent}`)
  t.same(report, [], 'every raw request answered with a 4xx problem, none hung, none changed anything')
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, 'ready after')
})

t.test('a_request_whose_body_never_arrives_is_cut_off_by_the_server', async t => {
  // A client that promises more body than it sends holds a request open; the
  // server's requestTimeout (0 = never) is what ends it (with 408).
  const { app } = await listen(t)
  const timeout = app.server.requestTimeout
  t.ok(timeout > 0 && timeout <= 120_000, `requestTimeout is bounded (is ${timeout} ms)`)
})

t.test('fuzzed_bytes_after_a_valid_request_line_are_answered_cleanly', async t => {
  const { app, url } = await listen(t)
  const port = Number(new URL(url).port)
  t.equal((await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'raw' } })).statusCode, 201)
  const before = await snapshot(app)
  const violations = new Map<string, string>()
  let runs = 0
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('PUT /v1/tables/raw/objects/x', 'POST /v1/tables/raw/insert', 'POST /v1/tables', 'POST /v1/tables/raw/lookup'),
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    async (line, body) => {
      runs++
      // Bytes that are not UTF-8 (or not JSON) as a body: refused, whatever they are.
      const payload = Buffer.concat([Buffer.from('{"key":"k","value":"'), Buffer.from(body), Buffer.from([0xff]), Buffer.from('"}')])
      const [method, path] = line.split(' ')
      const { answers, hung } = await exchange(port, request(method, path, payload), false)
      const fault = hung ? 'hung' : answers.length === 0 ? 'closed without an answer' : notAProblem(answers[0])
      if (fault !== undefined && !violations.has(fault)) violations.set(fault, `${line} body=${payload.toString('hex')} → ${answers[0]?.statusCode} ${answers[0]?.body.slice(0, 120)}`)
    }
  ), { numRuns: 150 })
  t.comment(`${runs} fuzzed raw bodies`)
  t.same([...violations].map(([fault, example]) => `${fault} e.g. ${example}`), [], 'every one a 4xx problem')
  t.same(await snapshot(app), before, 'nothing changed')
})
