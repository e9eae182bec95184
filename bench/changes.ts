/**
 * Change-stream benchmark: what 100 SSE subscribers of a table cost its
 * writers, and how long a committed write takes to reach them.
 *
 *   npx tsx bench/changes.ts [--duration S] [--subscribers N] [--connections N] [--rounds N]
 *                            [--warmup S] [--keys N] [--inline] [--pin] [--profile DIR] [--tsx]
 *
 * Each round has two phases, each on a fresh Heirloom server (bench/serve.ts,
 * compiled by tsc as bench/load.ts does, in a child process): `alone`, the
 * writers with no subscriber, and `watched`, the same writers with
 * --subscribers SSE streams open on the same table
 * (`GET /v1/tables/bench/changes`, `Accept: text/event-stream`); every other
 * round runs them in reverse order. The writers are --connections loops in
 * this process, each one PUT at a time on a keep-alive socket of its own (WriterConnection),
 * to keys cycling over --keys, each with a value of its own (so that every
 * write commits a revision).
 *
 * Delivery latency: a writer notes when its 2xx came, under the revision
 * its `heirloom-revision` header names; a subscriber notes when the frame
 * with that `id:` came (when the chunk completing it was read). The first
 * subscriber parses every frame and counts those out of revision order;
 * the others read only each chunk's last `id:` (Subscriber.skim). Both clocks
 * are process.hrtime (CLOCK_MONOTONIC: one clock for every process of the
 * machine), so the subscribers may live in another process: by default a
 * second child (this file, `--role subscribers`), so that parsing 100
 * streams does not slow the writers that time the acknowledgements, nor
 * the reverse; --inline keeps them in this process. Latencies count every
 * (subscriber, revision) pair whose write was acknowledged in the measured
 * window; a pair never delivered (within a grace after the writers stop)
 * is counted as missing, not as a latency. Each process that measures
 * reports its CPU use (% of one core) and event-loop lag, so that a
 * saturated load generator shows as such. Figures are medians over the
 * rounds (max: the largest); compare ratios, not absolute figures, on a
 * busy machine. Everything listens on 127.0.0.1, every phase is bounded by
 * --duration, and a watchdog ends the benchmark if anything hangs.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { get } from 'node:http'
import { connect, type Socket } from 'node:net'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  compileServe, type ServeCommand, type Server, startServer, stopChild, stopChildren, track, underTsx, type Usage, usage, watchdog,
} from './servers.js'
import { exitOnHelp, integers } from './options.js'
import { median as medianOf } from './stats.js'
import { BENCH_TABLE, benchKey } from './workload.js'

const USAGE = `usage: npx tsx bench/changes.ts [--duration S] [--subscribers N] [--connections N] [--rounds N]
                                 [--warmup S] [--keys N] [--inline] [--pin] [--profile DIR] [--tsx]
  --duration     seconds of writes measured per phase (default 10)
  --warmup       seconds of writes before each measurement (default 1)
  --subscribers  SSE subscribers of the watched phase (default 100)
  --connections  concurrent writer connections (default 100: see WRITERS)
  --rounds       rounds of both phases; figures are medians (default 1)
  --keys         keys the writes cycle through (pre-filled; default 1000)
  --inline       run the subscribers in this process, not in a child of their own
  --pin          run the server on the first core and this bench (writers, subscribers) on the others
                 (taskset), so that the load generators do not take the server's CPU
  --profile      write CPU profiles of the servers to DIR/<phase>-<round>.cpuprofile
                 (summarise with: npx tsx bench/profile.ts DIR/watched-1.cpuprofile)
  --tsx          run the servers under tsx, skipping the compile`

/**
 * Writer connections by default. The issue asks for writers at the highest
 * rate the server sustains: with 50, the server idled 7 % of the watched
 * phase (the subscribers' bursts, every wake, hold up the writers that
 * share their core), with 100 it is busy (97 %) in both phases.
 */
const WRITERS = 100

/** What the change-streams issue asks. */
const GOAL = { ratio: 0.8, p99: 50 }

/** How long subscribers may take to catch up once the writers stopped, ms. */
const CATCH_UP = 5000

/** Per-request timeout of the writers, ms. */
const WRITE_TIMEOUT = 10_000

interface Settings {
  duration: number
  warmup: number
  subscribers: number
  connections: number
  rounds: number
  keys: number
  inline: boolean
  pin: boolean
  profile: string | undefined
  tsx: boolean
}

/** Milliseconds on CLOCK_MONOTONIC: comparable between the processes of one machine. */
const now = (): number => Number(process.hrtime.bigint()) / 1e6

function parseSettings (): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
      subscribers: { type: 'string', default: '100' },
      connections: { type: 'string', default: String(WRITERS) },
      rounds: { type: 'string', default: '1' },
      keys: { type: 'string', default: '1000' },
      inline: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      profile: { type: 'string' },
      tsx: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  exitOnHelp(values.help, USAGE)
  const { duration, warmup, subscribers, connections, rounds, keys } = values
  const numbers = integers({ duration, warmup, subscribers, connections, rounds, keys }, USAGE, ['warmup'])
  return {
    ...numbers,
    inline: values.inline === true,
    pin: values.pin === true,
    profile: values.profile === undefined ? undefined : resolvePath(values.profile),
    tsx: values.tsx === true,
  }
}

// --- Figures -----------------------------------------------------------------

/** Nearest-rank percentile of sorted values. */
function percentile (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
}

/** The median of the figures a round could make (a phase without one gives NaN). */
const median = (values: number[]): number => medianOf(values.filter(v => !Number.isNaN(v)))

/** CPU and event-loop lag of a process over a window. */
interface ProcessLoad {
  /** CPU (user + system) as % of one core. */
  cpu: number
  /** Event-loop delay, ms. */
  lagP99: number
  lagMax: number
}

/** Measures this process's CPU and event-loop lag from `start()` to `stop()`. */
class LoadMeter {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 })
  private cpu = process.cpuUsage()
  private since = now()

  start (): void {
    this.delay.disable()
    this.delay.reset()
    this.delay.enable()
    this.cpu = process.cpuUsage()
    this.since = now()
  }

  stop (): ProcessLoad {
    this.delay.disable()
    const cpu = process.cpuUsage(this.cpu)
    const wall = Math.max(1, now() - this.since)
    return {
      cpu: (cpu.user + cpu.system) / 1000 / wall * 100,
      lagP99: this.delay.percentile(99) / 1e6,
      lagMax: this.delay.max / 1e6,
    }
  }
}

// --- Subscribers ---------------------------------------------------------------

/** What the writers tell the subscribers once they stopped. */
interface Acks {
  /** ackTimes[rev - base]: when the write of `rev` was acknowledged; 0 if it was not. */
  times: Float64Array
  base: number
  /** The measured window: only writes acknowledged in it count. */
  from: number
  to: number
}

/** Delivery of the acknowledged writes to the subscribers. */
interface Delivery {
  /** (subscriber, revision) pairs delivered, and not delivered. */
  pairs: number
  missing: number
  p50: number
  p99: number
  max: number
  min: number
  /** Subscribers whose stream ended (overflow, dropped, error) before the end. */
  ended: string[]
  /** Frames out of revision order (a gap or a repeat), as the checked subscriber (the first) saw them. */
  gaps: number
  /** The subscribers' process over the measured window. */
  load: ProcessLoad
}

const NEWLINE = 0x0a
const CHAR_I = 0x69
const CHAR_E = 0x65
const CHAR_0 = 0x30
const CHAR_C = 0x63
const CHAR_P = 0x70

/** The end of an SSE frame, and the start of an `id:` line after the stream's first. */
const FRAME_END = '\n\n'
const ID_LINE = '\nid: '

/**
 * A growing array of times in pages: growing copies nothing, since 100
 * subscribers copying their arrays at about the same revision stalled
 * this process for tens of ms (and so delayed the frames it was reading).
 */
class Times {
  private static readonly BITS = 14
  private readonly pages: Float64Array[] = []

  at (i: number): number {
    return this.pages[i >> Times.BITS]?.[i & ((1 << Times.BITS) - 1)] ?? 0
  }

  /** Sets [from, to) to `time`. */
  fill (time: number, from: number, to: number): void {
    const size = 1 << Times.BITS
    while (from < to) {
      const page = from >> Times.BITS
      const start = from & (size - 1)
      const end = Math.min(size, start + to - from)
      this.pages[page] ??= new Float64Array(size)
      this.pages[page].fill(time, start, end)
      from += end - start
    }
  }
}

class Subscriber {
  /** The revision the stream started after (its first progress frame). */
  base = -1
  /** The last change id received. */
  last = -1
  gaps = 0
  ended: string | undefined
  /** When the frame of each revision after `base` was read (0: it was not); see `receivedAt`. */
  private readonly times = new Times()
  private readonly request
  /** The start of a line that the last chunk cut, if any. */
  private carry: Buffer | undefined
  private id = -1
  private type = ''
  /** `read` is between two frames (its last line read was a frame's blank line). */
  private atFrameStart = true
  /** It reads by `skim` now: not `checked`, streaming, and at a frame's start. */
  private skimming = false

  /**
   * `checked`: it parses every frame (`read`), counting gaps; otherwise,
   * once streaming, it skims each chunk for its last id (`skim`).
   */
  constructor (url: URL, onReady: (subscriber: Subscriber) => void, private readonly checked: boolean) {
    this.request = get(new URL(`/v1/tables/${BENCH_TABLE}/changes`, url), { agent: false, headers: { accept: 'text/event-stream' } }, res => {
      if (res.statusCode !== 200) {
        this.end(`status ${res.statusCode}`)
        res.resume()
        return
      }
      res.on('data', (chunk: Buffer) => {
        if (this.skimming) this.skim(chunk, now())
        else {
          this.read(chunk, now(), onReady)
          // Skimming takes chunks that begin a frame: it starts after one that ended a frame.
          this.skimming = !this.checked && this.base !== -1 && this.carry === undefined && this.atFrameStart
        }
      })
      res.on('end', () => this.end('closed'))
      res.on('error', error => this.end(error.message))
    })
    this.request.on('error', error => this.end(error.message))
  }

  /**
   * Parses SSE lines from the bytes as they come; a frame counts when its
   * blank line is read, at `time`. Lines are found with Buffer#indexOf and
   * told apart by their first bytes: a `data:` line (nearly all the bytes)
   * is skipped without being decoded, so that 100 streams cost this process
   * little and the writers (on the same 2 cores) as little as can be.
   */
  private read (chunk: Buffer, time: number, onReady: (subscriber: Subscriber) => void): void {
    const bytes = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk])
    let start = 0
    for (let nl = bytes.indexOf(NEWLINE); nl !== -1; start = nl + 1, nl = bytes.indexOf(NEWLINE, start)) {
      this.atFrameStart = nl === start
      if (nl === start) {
        this.frame(time, onReady)
        this.id = -1
        this.type = ''
      } else if (bytes[start] === CHAR_I) { // `id: N`
        let id = 0
        for (let i = start + 4; i < nl; i++) id = id * 10 + bytes[i] - CHAR_0
        this.id = id
      } else if (bytes[start] === CHAR_E) { // `event: type`: change and progress told by their first letter, without a string each
        const first = bytes[start + 7]
        this.type = first === CHAR_C ? 'change' : first === CHAR_P ? 'progress' : bytes.toString('latin1', start + 7, nl)
      }
    }
    this.carry = start === bytes.length ? undefined : bytes.subarray(start)
  }

  /**
   * What a subscriber that is not `checked` does with a chunk: the frames
   * of a stream come in revision order, so every revision up to the last
   * `id:` of the chunk's complete frames was received when the chunk was.
   * Two searches from its end a chunk, whatever it holds: 99 streams of
   * hundreds of frames a chunk would otherwise cost this process (on the
   * same 2 cores as the server) more than the server spends writing them.
   * An end frame (no `id:`, `event: overflow` …) ends the subscriber.
   */
  private skim (chunk: Buffer, time: number): void {
    const bytes = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk])
    const end = bytes.lastIndexOf(FRAME_END)
    if (end === -1) {
      this.carry = bytes
      return
    }
    this.carry = end + 2 === bytes.length ? undefined : bytes.subarray(end + 2)
    const frame = bytes.lastIndexOf(FRAME_END, end - 1) + 2 // 1 (from -1) when the chunk's first frame is its last
    const start = frame === 1 ? 0 : frame
    if (bytes[start] === CHAR_E) { // `event: type` with no id: the stream's end
      const nl = bytes.indexOf(NEWLINE, start)
      this.end(bytes.toString('latin1', start + 7, nl))
    }
    // Every byte before `bytes` began a frame: an id line at 0 has no newline before it.
    const line = bytes.lastIndexOf(ID_LINE, end)
    const at = line !== -1 ? line + 1 : bytes[0] === CHAR_I ? 0 : -1
    if (at === -1) return
    let id = 0
    for (let i = at + 4; bytes[i] !== NEWLINE; i++) id = id * 10 + bytes[i] - CHAR_0
    if (id <= this.last) return
    const to = id - this.base
    this.times.fill(time, this.last - this.base, to)
    this.last = id
  }

  private frame (time: number, onReady: (subscriber: Subscriber) => void): void {
    if (this.type === 'change') {
      if (this.base === -1) {
        this.base = this.id - 1
        onReady(this)
      }
      if (this.id !== this.last + 1 && this.last !== -1) this.gaps++
      const at = this.id - this.base - 1
      if (at >= 0) {
        this.times.fill(time, at, at + 1)
      }
      this.last = this.id
    } else if (this.type === 'progress') {
      if (this.base === -1) {
        this.base = this.last = this.id
        onReady(this)
      }
    } else if (this.type !== '') this.end(this.type)
  }

  /** When the frame of `rev` was read, or 0. */
  receivedAt (rev: number): number {
    const at = rev - this.base - 1
    return at >= 0 ? this.times.at(at) : 0
  }

  private end (why: string): void {
    this.ended ??= why
  }

  close (): void {
    this.ended ??= 'closed by the bench'
    this.request.destroy()
  }
}

/** The subscribers of one phase, wherever they run. */
interface Subscribers {
  /** Starts measuring the subscribers' process (at the end of the warm-up). */
  measure(): void
  /** Waits for the subscribers to catch up with `last`, then matches their frames with the acknowledgements. */
  collect(acks: Acks, last: number): Promise<Delivery>
  close(): Promise<void>
}

/** Subscribers in this process. */
class SubscriberPool implements Subscribers {
  private readonly subscribers: Subscriber[] = []
  private readonly meter = new LoadMeter()
  /** Resolves when every subscriber is streaming. */
  readonly ready: Promise<void>

  constructor (url: string, count: number) {
    let pending = count
    let fail = (_error: Error): void => {}
    this.ready = new Promise((resolve, reject) => {
      fail = reject
      if (count === 0) resolve()
      const onReady = (): void => { if (--pending === 0) resolve() }
      for (let i = 0; i < count; i++) this.subscribers.push(new Subscriber(new URL(url), onReady, i === 0))
    })
    // A subscriber refused or cut before streaming would leave `ready` pending.
    const check = setInterval(() => {
      const failed = this.subscribers.find(s => s.base === -1 && s.ended !== undefined)
      if (failed !== undefined) fail(new Error(`a subscriber could not start: ${failed.ended}`))
    }, 100)
    void this.ready.finally(() => clearInterval(check)).catch(() => {})
  }

  measure (): void {
    this.meter.start()
  }

  async collect (acks: Acks, last: number): Promise<Delivery> {
    const deadline = now() + CATCH_UP
    while (now() < deadline && this.subscribers.some(s => s.ended === undefined && s.last < last)) {
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const load = this.meter.stop()
    let count = 0
    let missing = 0
    const latencies = new Float64Array(acks.times.length * this.subscribers.length)
    for (let i = 0; i < acks.times.length; i++) {
      const acked = acks.times[i]
      if (acked === 0 || acked < acks.from || acked > acks.to) continue
      const rev = acks.base + i
      for (const subscriber of this.subscribers) {
        const received = subscriber.receivedAt(rev)
        if (received === 0) missing++
        else latencies[count++] = received - acked
      }
    }
    const sorted = latencies.subarray(0, count).sort()
    return {
      pairs: count,
      missing,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: count === 0 ? NaN : sorted[count - 1],
      min: count === 0 ? NaN : sorted[0],
      ended: this.subscribers.flatMap(s => s.ended === undefined ? [] : [s.ended]),
      gaps: this.subscribers.reduce((sum, s) => sum + s.gaps, 0),
      load,
    }
  }

  async close (): Promise<void> {
    for (const subscriber of this.subscribers) subscriber.close()
  }
}

/** Messages between this process and a subscribers child. */
type ToSubscribers =
  | { type: 'start'; url: string; count: number }
  | { type: 'measure' }
  | { type: 'collect'; acks: Acks; last: number }
type FromSubscribers =
  | { type: 'ready' }
  | { type: 'delivery'; delivery: Delivery }
  | { type: 'error'; message: string }

/** Subscribers in a child process of their own: this file, `--role subscribers`. */
class SubscriberChild implements Subscribers {
  private constructor (private readonly child: ChildProcess) {}

  static async start (url: string, count: number): Promise<SubscriberChild> {
    // Under the same loader as this process (tsx): process.execArgv.
    const child = track(fork(fileURLToPath(import.meta.url), ['--role', 'subscribers'], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }))
    const subscribers = new SubscriberChild(child)
    await subscribers.ask({ type: 'start', url, count }, 'ready')
    return subscribers
  }

  private ask<T extends FromSubscribers['type']> (message: ToSubscribers, answer: T): Promise<Extract<FromSubscribers, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: FromSubscribers): void => {
        if (reply.type !== answer && reply.type !== 'error') return
        this.child.off('message', onMessage)
        this.child.off('exit', onExit)
        if (reply.type === 'error') reject(new Error(`subscribers: ${reply.message}`))
        else resolve(reply as Extract<FromSubscribers, { type: T }>)
      }
      const onExit = (code: number | null): void => {
        this.child.off('message', onMessage)
        reject(new Error(`the subscribers' process exited (${code})`))
      }
      this.child.on('message', onMessage)
      this.child.once('exit', onExit)
      this.child.send(message)
    })
  }

  measure (): void {
    this.child.send({ type: 'measure' } satisfies ToSubscribers)
  }

  async collect (acks: Acks, last: number): Promise<Delivery> {
    return (await this.ask({ type: 'collect', acks, last }, 'delivery')).delivery
  }

  async close (): Promise<void> {
    await stopChild(this.child, 5000)
  }
}

/** The subscribers child: serves `start`, `measure`, `collect`; exits when the parent disconnects. */
function subscribersRole (): void {
  let pool: SubscriberPool | undefined
  const send = (message: FromSubscribers): void => { process.send?.(message) }
  const fail = (error: unknown): void => send({ type: 'error', message: (error as Error).stack ?? String(error) })
  process.on('message', (message: ToSubscribers) => {
    if (message.type === 'start') {
      pool = new SubscriberPool(message.url, message.count)
      pool.ready.then(() => send({ type: 'ready' }), fail)
    } else if (message.type === 'measure') pool?.measure()
    else if (message.type === 'collect') {
      if (pool === undefined) fail(new Error('collect before start'))
      else pool.collect(message.acks, message.last).then(delivery => send({ type: 'delivery', delivery }), fail)
    }
  })
  process.on('disconnect', () => {
    void pool?.close()
    process.exit(0)
  })
}

// --- Writers ---------------------------------------------------------------------

interface Writes {
  /** Writes acknowledged (2xx) in the measured window. */
  acked: number
  /** Write latency of those, ms. */
  p50: number
  p99: number
  errors: number
  /** Answers other than 2xx, by status. */
  statuses: Map<number, number>
  acks: Acks
  /** The last revision acknowledged (warm-up and tail included). */
  last: number
  /** This process over the measured window. */
  load: ProcessLoad
  /** The server over the measured window. */
  server: { cpu: number; perWrite: number }
}

/**
 * One writer connection: a keep-alive TCP socket that sends one PUT at a
 * time, written and read by hand rather than through node:http. The
 * writers share two cores with the server and the subscribers: node:http's
 * client spent about 36 µs of CPU a request here (it was the busiest
 * process of the `alone` phase, so the phase timed the load generator as
 * much as the server); this one reads only what the bench needs (the
 * status, `heirloom-revision`, `content-length`) from each answer's bytes.
 */
class WriterConnection {
  private readonly socket: Socket
  private buffered: Buffer | undefined
  private waiting: ((answer: Answer | Error) => void) | undefined
  private failure: Error | undefined
  /** The connection failed (was closed) with no request on it: nothing was lost. */
  closedIdle = false

  constructor (host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true })
    this.socket.on('data', chunk => this.read(chunk))
    this.socket.on('error', error => this.fail(error))
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')))
    this.socket.setTimeout(WRITE_TIMEOUT, () => this.socket.destroy(new Error('timeout')))
  }

  /** Sends a request and resolves with its answer (or the connection's failure, after which it is unusable). */
  send (request: string): Promise<Answer | Error> {
    if (this.failure !== undefined) return Promise.resolve(this.failure)
    return new Promise(resolve => {
      this.waiting = resolve
      this.socket.write(request, 'latin1')
    })
  }

  private read (chunk: Buffer): void {
    const bytes = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk])
    const headEnd = bytes.indexOf('\r\n\r\n')
    if (headEnd === -1) {
      this.buffered = bytes
      return
    }
    const head = bytes.toString('latin1', 0, headEnd).toLowerCase()
    const length = headerNumber(head, 'content-length') ?? 0
    if (head.includes('\r\ntransfer-encoding:')) return this.fail(new Error('a chunked answer: the bench writer reads content-length bodies only'))
    const end = headEnd + 4 + length
    if (bytes.length < end) {
      this.buffered = bytes
      return
    }
    if (bytes.length > end) return this.fail(new Error('bytes after the answer: one request at a time was sent'))
    this.buffered = undefined
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.({ status: Number(head.slice(9, 12)), revision: headerNumber(head, 'heirloom-revision') })
  }

  private fail (error: Error): void {
    if (this.failure === undefined) this.closedIdle = this.waiting === undefined
    this.failure ??= error
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.(this.failure)
  }

  close (): void {
    this.socket.destroy()
  }
}

interface Answer { status: number; revision: number | undefined }

/** A header's value as a number, from a lower-cased head; undefined when absent. */
function headerNumber (head: string, name: string): number | undefined {
  const at = head.indexOf(`\r\n${name}:`)
  if (at === -1) return undefined
  const from = at + name.length + 3
  const to = head.indexOf('\r\n', from)
  return Number(head.slice(from, to === -1 ? head.length : to))
}

/**
 * --connections writers, each one PUT at a time, for warmup + duration
 * seconds; `onMeasure` is called when the warm-up ends.
 */
async function write (server: Server, settings: Settings, onMeasure: () => void): Promise<Writes> {
  const url = new URL(server.url)
  const host = url.hostname
  const port = Number(url.port)
  const meter = new LoadMeter()
  const ackedAt = new Map<number, number>()
  const latencies: number[] = []
  const statuses = new Map<number, number>()
  let errors = 0
  let seq = 0
  const started = now()
  const from = started + settings.warmup * 1000
  const to = from + settings.duration * 1000
  let before: Promise<Usage> | undefined
  const warmup = setTimeout(() => {
    meter.start()
    before = usage(server)
    onMeasure()
  }, settings.warmup * 1000)

  const put = async (connection: WriterConnection): Promise<boolean> => {
    const n = seq++
    const body = `{"value":{"n":${n}}}`
    const sent = now()
    const answer = await connection.send(`PUT /v1/tables/${BENCH_TABLE}/objects/${benchKey(n % settings.keys)} HTTP/1.1\r\n` +
      `host: ${host}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
    if (answer instanceof Error) {
      // A keep-alive connection the server closed between requests is replaced; the request was not sent.
      if (!connection.closedIdle) errors++
      return false
    }
    const time = now()
    const { status, revision } = answer
    if (status >= 200 && status < 300) {
      if (revision !== undefined && Number.isInteger(revision)) ackedAt.set(revision, time)
      if (time >= from && time <= to) latencies.push(time - sent)
    } else statuses.set(status, (statuses.get(status) ?? 0) + 1)
    return true
  }
  // A connection that failed is replaced, as a keep-alive agent would.
  const writer = async (): Promise<void> => {
    let connection = new WriterConnection(host, port)
    while (now() < to) {
      if (!await put(connection)) {
        connection.close()
        connection = new WriterConnection(host, port)
      }
    }
    connection.close()
  }
  await Promise.all(Array.from({ length: settings.connections }, writer))
  clearTimeout(warmup)
  const load = meter.stop()
  const after = await usage(server)
  const first = before === undefined ? after : await before

  let base = Infinity
  let last = 0
  for (const rev of ackedAt.keys()) {
    if (rev < base) base = rev
    if (rev > last) last = rev
  }
  if (ackedAt.size === 0) base = 0
  const times = new Float64Array(ackedAt.size === 0 ? 0 : last - base + 1)
  for (const [rev, time] of ackedAt) times[rev - base] = time
  let acked = 0
  for (const time of ackedAt.values()) if (time >= from && time <= to) acked++
  latencies.sort((a, b) => a - b)
  const cpu = after.user + after.system - first.user - first.system
  return {
    acked,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    statuses,
    acks: { times, base, from, to },
    last,
    load,
    server: { cpu: cpu / 1000 / Math.max(1, after.at - first.at) * 100, perWrite: cpu / Math.max(1, after.requests - first.requests) },
  }
}

// --- Phases ----------------------------------------------------------------------

type PhaseName = 'alone' | 'watched'

interface Phase {
  name: PhaseName
  round: number
  rate: number
  writes: Writes
  delivery: Delivery | undefined
}

async function phase (name: PhaseName, round: number, serve: ServeCommand, settings: Settings, grace: number): Promise<Phase> {
  const profile = settings.profile === undefined ? undefined : join(settings.profile, `${name}-${round}.cpuprofile`)
  const server = await startServer(serve, 'heirloom', { keys: settings.keys, profile })
  if (settings.pin) pin(server.child.pid!, SERVER_CORES)
  let subscribers: Subscribers | undefined
  try {
    if (name === 'watched') {
      if (settings.inline) {
        const pool = new SubscriberPool(server.url, settings.subscribers)
        await pool.ready
        subscribers = pool
      } else subscribers = await SubscriberChild.start(server.url, settings.subscribers)
    }
    const writes = await write(server, settings, () => subscribers?.measure())
    const delivery = await subscribers?.collect(writes.acks, writes.last)
    const result = { name, round, rate: writes.acked / settings.duration, writes, delivery }
    process.stderr.write(`bench: round ${round} ${name}: ${Math.round(result.rate)} writes/s` +
      (delivery === undefined ? '' : `, delivery p50 ${delivery.p50.toFixed(1)} ms p99 ${delivery.p99.toFixed(1)} ms max ${delivery.max.toFixed(1)} ms`) + '\n')
    return result
  } finally {
    await subscribers?.close()
    await stopChild(server.child, grace)
  }
}

// --- Report ----------------------------------------------------------------------

const fixed = (n: number, digits = 1): string => Number.isNaN(n) ? '–' : n.toFixed(digits)

function table (header: string[], lines: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map(line => line[c].length)))
  const format = (cells: string[]): string =>
    '| ' + cells.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':').join('|') + '|'
  return [format(header), rule, ...lines.map(format)]
}

function report (phases: Phase[], settings: Settings, load: { before: number; after: number }): string {
  const of = (name: PhaseName): Phase[] => phases.filter(p => p.name === name)
  const m = (list: Phase[], value: (p: Phase) => number): number => median(list.map(value))
  const alone = of('alone')
  const watched = of('watched')
  const deliveries = watched.flatMap(p => p.delivery === undefined ? [] : [p.delivery])
  const writeLines = ([['alone', alone], ['watched', watched]] as const).map(([name, list]) => [
    `${name} (${name === 'alone' ? 0 : settings.subscribers} subscribers)`,
    String(Math.round(m(list, p => p.rate))),
    fixed(m(list, p => p.writes.p50)),
    fixed(m(list, p => p.writes.p99)),
    fixed(m(list, p => p.writes.server.perWrite), 0),
    fixed(m(list, p => p.writes.server.cpu), 0),
    fixed(m(list, p => p.writes.load.cpu), 0),
    `${fixed(m(list, p => p.writes.load.lagP99))}/${fixed(Math.max(...list.map(p => p.writes.load.lagMax)))}`,
    name === 'alone' ? '' : fixed(median(deliveries.map(d => d.load.cpu)), 0),
    name === 'alone' ? '' : `${fixed(median(deliveries.map(d => d.load.lagP99)))}/${fixed(Math.max(...deliveries.map(d => d.load.lagMax)))}`,
    String(list.reduce((sum, p) => sum + p.writes.errors + [...p.writes.statuses.values()].reduce((a, b) => a + b, 0), 0)),
  ])
  const ratio = m(watched, p => p.rate) / m(alone, p => p.rate)
  const cpuRatio = m(alone, p => p.writes.server.perWrite) / m(watched, p => p.writes.server.perWrite)
  const p99 = median(deliveries.map(d => d.p99))
  const max = Math.max(...deliveries.map(d => d.max))
  const missing = deliveries.reduce((sum, d) => sum + d.missing, 0)
  const ended = deliveries.flatMap(d => d.ended)
  const gaps = deliveries.reduce((sum, d) => sum + d.gaps, 0)
  const mark = (ok: boolean): string => ok ? 'met' : 'MISSED'
  const rounds = settings.rounds === 1 ? '' : `, medians of ${settings.rounds} rounds (max: largest)`
  const statuses = phases.flatMap(p => [...p.writes.statuses].map(([code, count]) => `${p.name}-${p.round}: ${code}×${count}`))
  return [
    `${settings.connections} writer connections (keep-alive sockets, one PUT at a time each, ${settings.keys} keys), ` +
      `${settings.duration} s per phase after ${settings.warmup} s warm-up${rounds}; a fresh server per phase ` +
      `(${settings.tsx ? 'under tsx' : 'compiled by tsc'}); subscribers ${settings.inline ? 'in the bench process' : 'in a child process'}; ` +
      (settings.pin ? `server pinned to core ${SERVER_CORES}, the bench to ${BENCH_CORES}; ` : '') +
      `node ${process.version}, ${CORES} cores`,
    `load average (1 min) ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after` +
      (Math.max(load.before, load.after) > CORES / 2 ? ': other work was running, compare ratios only' : ''),
    '',
    ...table(
      ['phase', 'writes/s', 'write p50 ms', 'write p99 ms', 'server µs/write', 'server CPU %', 'writers CPU %', 'writers lag p99/max ms',
        'subscribers CPU %', 'subscribers lag p99/max ms', 'errors'],
      writeLines),
    '',
    ...table(
      ['delivery (write 2xx → subscriber frame)', 'pairs', 'missing', 'p50 ms', 'p99 ms', 'max ms', 'min ms'],
      [[
        `${settings.subscribers} subscribers`,
        String(deliveries.reduce((sum, d) => sum + d.pairs, 0)),
        String(missing),
        fixed(median(deliveries.map(d => d.p50))),
        fixed(p99),
        fixed(max),
        fixed(Math.min(...deliveries.map(d => d.min))),
      ]]),
    ...(ended.length > 0 ? [`WARNING: ${ended.length} subscriber streams ended early: ${[...new Set(ended)].join(', ')}`] : []),
    ...(gaps > 0 ? [`WARNING: ${gaps} frames out of revision order (first subscriber)`] : []),
    ...(statuses.length > 0 ? [`WARNING: non-2xx writes: ${statuses.join(', ')}`] : []),
    '',
    'Goals:',
    `- writes/s with ${settings.subscribers} subscribers / without: ${ratio.toFixed(2)} (goal ≥ ${GOAL.ratio.toFixed(2)}) ${mark(ratio >= GOAL.ratio)}` +
      ` [server CPU per write, without / with: ${cpuRatio.toFixed(2)}]`,
    `- delivery p99: ${fixed(p99)} ms (goal < ${GOAL.p99} ms) ${mark(p99 < GOAL.p99 && missing === 0)}` +
      (missing > 0 ? ` (${missing} pairs never delivered)` : ''),
  ].join('\n')
}

// --- Cores -----------------------------------------------------------------------

/** With --pin: the server's core, and the bench's (writers and subscribers). */
/** The cores there are (read before this process is pinned, which narrows what it sees). */
const CORES = availableParallelism()
const SERVER_CORES = '0'
const BENCH_CORES = `1-${Math.max(1, CORES - 1)}`

/** Moves a process, every thread of it, to `cores` (a taskset list). */
function pin (pid: number, cores: string): void {
  if (CORES < 2) throw new Error('--pin needs at least 2 cores')
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cores, String(pid)], { stdio: 'ignore' })
}

// --- Main ------------------------------------------------------------------------

async function main (): Promise<void> {
  const settings = parseSettings()
  // Children forked from here (the subscribers') inherit the bench's cores; the servers are moved.
  if (settings.pin) pin(process.pid, BENCH_CORES)
  if (settings.profile !== undefined) mkdirSync(settings.profile, { recursive: true })
  const grace = settings.profile === undefined ? 5000 : 60_000
  const compileTime = settings.tsx ? 0 : 300_000
  // Per phase: start-up (fill, subscribers), the writes, the catch-up, the stop.
  const perPhase = 30_000 + (settings.warmup + settings.duration) * 1000 + WRITE_TIMEOUT + CATCH_UP + grace
  const budget = settings.rounds * 2 * perPhase + compileTime + 30_000
  let cleanup = (): void => {}
  const disarm = watchdog(budget, () => cleanup())

  const serve = settings.tsx ? underTsx() : await compileServe('bench-changes')
  cleanup = serve.cleanup
  try {
    const before = loadavg()[0]
    const phases: Phase[] = []
    for (let round = 1; round <= settings.rounds; round++) {
      // Every other round in reverse order: neither phase always runs first.
      const order: PhaseName[] = round % 2 === 1 ? ['alone', 'watched'] : ['watched', 'alone']
      for (const name of order) {
        process.stderr.write(`bench: round ${round}/${settings.rounds}: ${name} (${settings.warmup} + ${settings.duration} s)\n`)
        phases.push(await phase(name, round, serve, settings, grace))
      }
    }
    process.stdout.write(report(phases, settings, { before, after: loadavg()[0] }) + '\n')
    if (settings.profile !== undefined) process.stdout.write(`\nCPU profiles in ${settings.profile}\n`)
  } finally {
    serve.cleanup()
  }
  disarm()
}

const { values: role } = parseArgs({ options: { role: { type: 'string' } }, strict: false })
if (role.role === 'subscribers') subscribersRole()
else {
  main().catch(async (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`)
    await stopChildren(5000)
    process.exit(1)
  })
}
