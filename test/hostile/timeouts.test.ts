/**
 * Request timeouts as configured (issue 8): a client that sends its headers
 * or its body a trickle at a time gets 408 problem+json once
 * --request-timeout has passed, within the server's check interval (a
 * tenth of it) and a margin, not after Node's own 60 s headers timeout or
 * 30 s check interval; the server answers others meanwhile and after. A
 * slow request that completes in time is served.
 */
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { listen } from '../helpers.js'

const TIMEOUT_MS = 1000
/** What Node adds: the connections are checked every tenth of the timeout (src/server.ts). */
const CHECK_MS = TIMEOUT_MS / 10
/** Scheduling on a busy machine: generous, yet far below the 30 s Node's defaults gave. */
const MARGIN_MS = 700
/** A trickle: one small write this often, so the connection is never idle. */
const TRICKLE_MS = 100

interface Trickled { status: number; headers: Record<string, string>; body: string; ms: number }

/**
 * Sends `head` at once, then `trickle` (one write every TRICKLE_MS,
 * forever), and resolves with the first answer and when it came (from
 * the connection). Gives up after `giveUpMs`.
 */
function trickle (port: number, head: string, piece: string, giveUpMs: number): Promise<Trickled> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket: Socket = connect(port, '127.0.0.1')
    let data = ''
    const timer = setInterval(() => { if (socket.writable) socket.write(piece) }, TRICKLE_MS)
    const giveUp = setTimeout(() => { finish(); reject(new Error(`no answer within ${giveUpMs} ms`)) }, giveUpMs)
    const finish = (): void => { clearInterval(timer); clearTimeout(giveUp); socket.destroy() }
    socket.on('error', () => {})
    socket.on('data', chunk => {
      data += chunk.toString('utf8')
      const end = data.indexOf('\r\n\r\n')
      if (end < 0) return
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n')
      const headers = Object.fromEntries(lines.map(line => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      const length = Number(headers['content-length'] ?? 0)
      if (Buffer.byteLength(data.slice(end + 4)) < length) return
      finish()
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: data.slice(end + 4), ms: performance.now() - started })
    })
    socket.on('close', () => { finish(); reject(new Error(`closed without an answer after ${(performance.now() - started).toFixed(0)} ms: ${JSON.stringify(data)}`)) })
    socket.write(head)
  })
}

t.test('slow_headers_and_slow_bodies_get_408_problem_details_once_the_request_timeout_passes', async t => {
  const { app, url } = await listen(t, { requestTimeout: TIMEOUT_MS })
  const port = Number(new URL(url).port)
  const bound = TIMEOUT_MS + CHECK_MS + MARGIN_MS
  const giveUp = 10 * TIMEOUT_MS
  const cases = {
    headers: trickle(port, 'GET /healthz HTTP/1.1\r\nHost: heirloom\r\n', 'X-Slow: a\r\n', giveUp),
    body: trickle(port, 'POST /v1/tables HTTP/1.1\r\nHost: heirloom\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"', 'a', giveUp),
  }
  // Meanwhile, others are served promptly.
  const during = await fetch(`${url}/healthz`)
  t.equal(during.status, 200, '/healthz answers while both trickle')
  for (const [what, answer] of Object.entries(cases)) {
    const got = await answer
    t.equal(got.status, 408, `slow ${what}: 408`)
    t.equal(got.headers['content-type'], 'application/problem+json; charset=utf-8', `slow ${what}: problem details, as every other answer`)
    const problem = JSON.parse(got.body)
    t.notOk('instance' in problem, `slow ${what}: no instance (no path arrived), not an empty one`)
    t.equal(problem.code, 'request_timeout')
    t.equal(problem.status, 408)
    t.match(problem.detail, `within ${TIMEOUT_MS / 1000} s`, 'the detail names the configured timeout')
    t.ok(got.ms >= TIMEOUT_MS - 50, `slow ${what}: not before the timeout (${got.ms.toFixed(0)} ms)`)
    t.ok(got.ms <= bound, `slow ${what}: answered after ${got.ms.toFixed(0)} ms, within ${bound} ms`)
  }
  const tables = await fetch(`${url}/v1/tables`)
  t.same((await tables.json() as { tables: unknown[] }).tables, [], 'the cut-off body created nothing')
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'healthy after')
  t.equal((await fetch(`${url}/readyz`)).status, 200, 'ready after')
  t.equal(app.server.requestTimeout, TIMEOUT_MS)
})

t.test('a_slow_request_that_completes_within_the_timeout_is_served', async t => {
  const { url } = await listen(t, { requestTimeout: TIMEOUT_MS })
  const port = Number(new URL(url).port)
  // A 4-byte remainder at one byte per TRICKLE_MS: complete after ~400 ms.
  const body = '{"name":"slow"}'
  const head = `POST /v1/tables HTTP/1.1\r\nHost: heirloom\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, -4)}`
  const rest = [...body.slice(-4)]
  const answer = await new Promise<Trickled>((resolve, reject) => {
    const started = performance.now()
    const socket = connect(port, '127.0.0.1')
    let data = ''
    const timer = setInterval(() => { const next = rest.shift(); if (next !== undefined) socket.write(next) }, TRICKLE_MS)
    socket.on('data', chunk => { data += chunk.toString('utf8') })
    socket.on('error', reject)
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ status: Number(data.split(' ')[1]), headers: {}, body: data.slice(data.indexOf('\r\n\r\n') + 4), ms: performance.now() - started })
    })
    socket.write(head)
  })
  t.equal(answer.status, 201, `created after ${answer.ms.toFixed(0)} ms`)
  t.equal(JSON.parse(answer.body).name, 'slow')
})
