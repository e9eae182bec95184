/**
 * Chaos run: concurrent writers and readers over a real listening server
 * while a seeded schedule crashes table handlers, the table manager, and
 * both in the same tick. Then every acknowledged write must be there once,
 * and no refused write anywhere.
 *
 *   npx tsx bench/chaos.ts [--seconds N] [--seed S] [--writers N] [--readers N]
 *
 * Each writer owns its keys in one table, never retries and writes unique
 * values, so the expected end state is known exactly:
 * - set / ordered_set: the value of the last acknowledged write (or absent
 *   after an acknowledged delete);
 * - bag: every acknowledged value, and no other;
 * - duplicate_bag: every acknowledged value exactly once (a write applied
 *   twice would show as two copies).
 * A write that failed (503 with Retry-After, or 500 process_crashed) was
 * not applied, so its value must never be seen: not at the end, not by a
 * reader in between. Lists of objects (POST …/insert) are all or nothing.
 *
 * The server runs in this process on 127.0.0.1 (ephemeral port) with a
 * fresh temp data dir, faults on. Every request has a timeout; a request
 * that reaches it counts as hung. The run stops by itself after --seconds;
 * a watchdog ends it if anything outlives its bounds.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, type IncomingMessage, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { withDefaults } from '../src/config.js'
import { buildServer } from '../src/server.js'

export interface ChaosOptions {
  /** Seconds of writes and crashes. Default 20. */
  seconds?: number
  /** PRNG seed of the crash schedule and of every writer's choices. Default random. */
  seed?: number
  /** Concurrent writers (each owns its keys). Default 32. */
  writers?: number
  /** Concurrent readers. Default 4. */
  readers?: number
  /**
   * Keep going past `seconds` until this many writes are acknowledged (on a
   * loaded machine), but never past `maxSeconds`. Default 0.
   */
  minWrites?: number
  /** Default 4 × seconds. */
  maxSeconds?: number
  /** Keys each writer owns. Default 8. */
  keysPerWriter?: number
  /** Milliseconds before a request counts as hung. Default 10,000 (the server's own call timeout is 5,000). */
  requestTimeout?: number
  /** Where progress and the summary go. Default stdout. */
  log?: (line: string) => void
}

export interface ChaosReport {
  seed: number
  durationMs: number
  writes: { attempted: number; acknowledged: number; failed: Record<string, number> }
  reads: { total: number; failed: Record<string, number> }
  crashes: { requests: number; injected: number; skipped: number; byKind: Record<CrashKind, number> }
  hung: number
  /** Failures that were not a problem+json 503 with Retry-After or a 500 process_crashed. */
  unclean: number
  lost: number
  doubled: number
  unexpected: number
  missingTables: string[]
  /** One line for each violation found (at most 50 kept). */
  violations: string[]
  maxLatencyMs: number
  ok: boolean
}

const TABLE_TYPES = ['set', 'ordered_set', 'bag', 'duplicate_bag'] as const
type TableType = typeof TABLE_TYPES[number]
type CrashKind = 'handler' | 'handlers' | 'manager' | 'both'

/** The root supervisor restarts the manager at most 20 times in 10 s; stay well under. */
const MANAGER_CRASHES_PER_10S = 8
const MAX_VIOLATIONS = 50

// ── seeded randomness ──────────────────────────────────────────────────

/** mulberry32: small, fast, and good enough to make a schedule reproducible. */
export function prng (seed: number): { next: () => number; int: (n: number) => number; pick: <T>(items: readonly T[]) => T } {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return { next, int, pick: items => items[int(items.length)] }
}

// ── one request, classified ────────────────────────────────────────────

interface Outcome {
  status: number
  /** `204`, `503 unavailable`, `hung`, `network ECONNRESET`… */
  label: string
  ok: boolean
  /** A failure Heirloom promises: 503 problem with Retry-After, or 500 process_crashed. */
  clean: boolean
  body: string
}

/**
 * Keep-alive HTTP over node:http (a third of fetch's CPU per request, which
 * matters with the server in the same process), every request under a timeout.
 */
class Client {
  inFlight = 0
  maxLatencyMs = 0
  private readonly agent = new Agent({ keepAlive: true })

  constructor (private readonly port: number, private readonly timeout: number) {}

  async send (method: string, path: string, body?: unknown): Promise<Outcome> {
    const started = performance.now()
    const signal = AbortSignal.timeout(this.timeout)
    this.inFlight++
    try {
      return await this.exchange(method, path, body === undefined ? undefined : JSON.stringify(body), signal)
    } catch (error) {
      if (signal.aborted) return { status: 0, label: 'hung', ok: false, clean: false, body: '' }
      const err = error as Error & { code?: string }
      return { status: 0, label: `network ${err.code ?? err.message}`, ok: false, clean: false, body: '' }
    } finally {
      this.inFlight--
      this.maxLatencyMs = Math.max(this.maxLatencyMs, performance.now() - started)
    }
  }

  close (): void {
    this.agent.destroy()
  }

  private exchange (method: string, path: string, payload: string | undefined, signal: AbortSignal): Promise<Outcome> {
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent, signal }, res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => resolve(classify(res, Buffer.concat(chunks).toString('utf8'))))
      })
      req.on('error', reject)
      req.end(payload)
    })
  }
}

function classify (res: IncomingMessage, text: string): Outcome {
  const status = res.statusCode ?? 0
  if (status >= 200 && status < 400) return { status, label: String(status), ok: true, clean: true, body: text }
  let code = '?'
  let wellFormed = false
  try {
    const problem = JSON.parse(text) as Record<string, unknown>
    code = String(problem.code)
    wellFormed = /^application\/problem\+json\b/.test(res.headers['content-type'] ?? '') &&
      problem.status === status && typeof problem.type === 'string' && typeof problem.title === 'string'
  } catch {}
  const retryable = status === 503 && res.headers['retry-after'] !== undefined
  const clean = wellFormed && (retryable || (status === 500 && code === 'process_crashed'))
  return { status, label: `${status} ${code}`, ok: false, clean, body: text }
}

// ── the model of what each key must hold ───────────────────────────────

interface KeyModel {
  table: TableType
  /** set/ordered_set: the last acknowledged value; null once an acknowledged delete came last. */
  last: string | null
  /** bags: every acknowledged value. */
  acked: Set<string>
  /** A hung write's effect is unknown: such a key is not checked (the hang itself fails the run). */
  uncertain: boolean
}

class Model {
  readonly keys = new Map<string, KeyModel>()
  /** Values of writes that failed: never to be seen, per table. */
  readonly failed = new Map<TableType, Set<string>>(TABLE_TYPES.map(t => [t, new Set()]))
  /** Values readers saw, per table. */
  readonly seen = new Map<TableType, Set<string>>(TABLE_TYPES.map(t => [t, new Set()]))

  own (table: TableType, key: string): void {
    this.keys.set(key, { table, last: null, acked: new Set(), uncertain: false })
  }

  /** One write's outcome: `values` null for a delete. */
  record (key: string, values: string[] | null, outcome: Outcome): void {
    const model = this.keys.get(key)!
    if (outcome.ok) {
      if (values === null) {
        model.last = null
        model.acked.clear()
      } else {
        model.last = values[values.length - 1]
        for (const value of values) model.acked.add(value)
      }
    } else if (outcome.clean) {
      for (const value of values ?? []) this.failed.get(model.table)!.add(value)
    } else {
      model.uncertain = true
    }
  }
}

// ── the run ────────────────────────────────────────────────────────────

interface Counters {
  attempted: number
  acknowledged: number
  writeFailures: Record<string, number>
  reads: number
  readFailures: Record<string, number>
  crashRequests: number
  injected: number
  skipped: number
  byKind: Record<CrashKind, number>
  hung: number
  unclean: number
  violations: string[]
}

const tableName = (type: TableType): string => `chaos_${type}`
const objectPath = (type: TableType, key: string): string =>
  `/v1/tables/${tableName(type)}/objects/${encodeURIComponent(key)}`

function count (into: Record<string, number>, label: string): void {
  into[label] = (into[label] ?? 0) + 1
}

function violation (counters: Counters, line: string): void {
  if (counters.violations.length < MAX_VIOLATIONS) counters.violations.push(line)
}

/** A failure that is neither clean nor a hang is noted as a violation. */
function note (counters: Counters, failures: Record<string, number>, what: string, outcome: Outcome): void {
  if (outcome.ok) return
  count(failures, outcome.label)
  if (outcome.label === 'hung') {
    counters.hung++
    violation(counters, `hung: ${what}`)
  } else if (!outcome.clean) {
    counters.unclean++
    violation(counters, `unclean failure ${outcome.label}: ${what} → ${outcome.body.slice(0, 200)}`)
  }
}

interface Run {
  client: Client
  model: Model
  counters: Counters
  stopped: () => boolean
}

/**
 * A writer: its keys in one table, unique values, never a retry.
 * set/ordered_set: PUT, sometimes DELETE; bags: PUT, sometimes a list insert.
 */
async function writer (run: Run, id: number, type: TableType, keys: string[], seed: number): Promise<void> {
  const random = prng(seed)
  const isSet = type === 'set' || type === 'ordered_set'
  let seq = 0
  while (!run.stopped()) {
    const key = random.pick(keys)
    const roll = random.next()
    let values: string[] | null
    let outcome: Outcome
    let what: string
    if (isSet && roll < 0.1) {
      values = null
      what = `DELETE ${type} ${key}`
      outcome = await run.client.send('DELETE', objectPath(type, key))
    } else if (!isSet && roll < 0.2) {
      values = [`w${id}.${seq++}`, `w${id}.${seq++}`, `w${id}.${seq++}`]
      what = `insert ${type} ${key} ${values.join(',')}`
      outcome = await run.client.send('POST', `/v1/tables/${tableName(type)}/insert`, {
        objects: values.map(value => ({ key, value })),
      })
    } else {
      values = [`w${id}.${seq++}`]
      what = `PUT ${type} ${key} ${values[0]}`
      outcome = await run.client.send('PUT', objectPath(type, key), { value: values[0] })
    }
    run.counters.attempted++
    if (outcome.ok) run.counters.acknowledged++
    note(run.counters, run.counters.writeFailures, what, outcome)
    run.model.record(key, values, outcome)
  }
}

/** A reader: lookups and table info. A table must never be missing; every value seen is remembered. */
async function reader (run: Run, allKeys: string[], seed: number): Promise<void> {
  const random = prng(seed)
  while (!run.stopped()) {
    const key = random.pick(allKeys)
    const type = run.model.keys.get(key)!.table
    const info = random.next() < 0.2
    const path = info ? `/v1/tables/${tableName(type)}` : objectPath(type, key)
    const outcome = await run.client.send('GET', path)
    run.counters.reads++
    if (outcome.status === 404 && outcome.label === '404 object_not_found') continue
    note(run.counters, run.counters.readFailures, `GET ${path}`, outcome)
    if (outcome.ok && !info) {
      for (const value of (JSON.parse(outcome.body) as { values: string[] }).values) run.model.seen.get(type)!.add(value)
    }
  }
}

function crashBody (kind: CrashKind, random: ReturnType<typeof prng>): unknown {
  const handler = (): unknown => ({ process: 'table_handler', table: tableName(random.pick(TABLE_TYPES)) })
  const distinctHandlers = (n: number): unknown[] => {
    const types = [...TABLE_TYPES]
    for (let i = types.length - 1; i > 0; i--) {
      const j = random.int(i + 1)
      const swapped = types[i]
      types[i] = types[j]
      types[j] = swapped
    }
    return types.slice(0, n).map(type => ({ process: 'table_handler', table: tableName(type) }))
  }
  switch (kind) {
    case 'handler': return handler()
    case 'handlers': return distinctHandlers(2 + random.int(3))
    case 'manager': return { process: 'table_manager' }
    case 'both': return random.next() < 0.5
      ? [{ process: 'table_manager' }, handler()]
      : [...distinctHandlers(1 + random.int(2)), { process: 'table_manager' }]
  }
}

/** Crashes at random intervals (10–150 ms), keeping manager crashes under the root's restart intensity. */
async function crasher (run: Run, seed: number): Promise<void> {
  const random = prng(seed)
  const managerCrashes: number[] = []
  while (!run.stopped()) {
    await new Promise(resolve => setTimeout(resolve, 10 + random.int(140)))
    if (run.stopped()) break
    let kind = random.pick<CrashKind>(['handler', 'handler', 'handlers', 'manager', 'both', 'both'])
    const now = performance.now()
    while (managerCrashes.length > 0 && now - managerCrashes[0] > 10_000) managerCrashes.shift()
    if (kind === 'manager' || kind === 'both') {
      if (managerCrashes.length >= MANAGER_CRASHES_PER_10S) kind = 'handlers'
      else managerCrashes.push(now)
    }
    const body = crashBody(kind, random)
    const outcome = await run.client.send('POST', '/v1/faults/crash', body)
    run.counters.crashRequests++
    if (outcome.status === 202) {
      run.counters.injected += (JSON.parse(outcome.body) as { crashed: string[] }).crashed.length
      run.counters.byKind[kind]++
    } else if (outcome.label === '404 process_not_found') {
      // A target mid-restart is briefly unregistered: nothing was crashed.
      run.counters.skipped++
    } else {
      run.counters.unclean++
      violation(run.counters, `crash ${JSON.stringify(body)} → ${outcome.label} ${outcome.body.slice(0, 200)}`)
    }
  }
}

// ── the checks after the run ───────────────────────────────────────────

interface Tally { lost: number; doubled: number; unexpected: number; missingTables: string[] }

/** Polls (5 s at most) until every table has an owner and a heir and the node is ready; whether it did. */
async function settle (client: Client): Promise<boolean> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const infos = await Promise.all(TABLE_TYPES.map(type => client.send('GET', `/v1/tables/${tableName(type)}`)))
    const ready = await client.send('GET', '/readyz')
    const owned = infos.every(info => info.ok && (JSON.parse(info.body) as { owner: string | null; heir: string | null }).owner !== null)
    const heirs = infos.every(info => info.ok && (JSON.parse(info.body) as { heir: string | null }).heir !== null)
    if (owned && heirs && ready.ok) return true
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return false
}

async function dump (client: Client, type: TableType): Promise<Map<string, string[]> | undefined> {
  const outcome = await client.send('GET', `/v1/tables/${tableName(type)}/dump`)
  if (!outcome.ok) return undefined
  const objects = new Map<string, string[]>()
  for (const line of outcome.body.split('\n')) {
    if (line === '') continue
    const { key, value } = JSON.parse(line) as { key: string; value: string }
    const values = objects.get(key) ?? []
    values.push(value)
    objects.set(key, values)
  }
  return objects
}

function checkKey (tally: Tally, counters: Counters, failed: Set<string>, key: string, model: KeyModel, found: string[]): void {
  const where = `${model.table} ${key}`
  const unexpected = (value: string): void => {
    tally.unexpected++
    violation(counters, `unexpected ${where}: ${value}${failed.has(value) ? ' (its write failed, yet it was applied)' : ''}`)
  }
  if (model.table === 'set' || model.table === 'ordered_set') {
    if (found.length > 1) violation(counters, `${where} holds ${found.length} objects in a set`)
    const value = found[0]
    if (model.last === null && value !== undefined) unexpected(value)
    else if (model.last !== null && value !== model.last) {
      if (value !== undefined && failed.has(value)) unexpected(value)
      else {
        tally.lost++
        violation(counters, `lost ${where}: expected ${model.last}, found ${value ?? 'nothing'}`)
      }
    }
    return
  }
  const counts = new Map<string, number>()
  for (const value of found) counts.set(value, (counts.get(value) ?? 0) + 1)
  for (const value of model.acked) {
    const n = counts.get(value) ?? 0
    if (n === 0) {
      tally.lost++
      violation(counters, `lost ${where}: ${value}`)
    } else if (n > 1) {
      tally.doubled++
      violation(counters, `doubled ${where}: ${value} ×${n}`)
    }
  }
  for (const value of counts.keys()) if (!model.acked.has(value)) unexpected(value)
}

async function verify (client: Client, model: Model, counters: Counters): Promise<Tally> {
  const tally: Tally = { lost: 0, doubled: 0, unexpected: 0, missingTables: [] }
  if (!await settle(client)) violation(counters, 'after the run, a table had no owner or no heir, or the node was not ready, for 5 s')
  for (const type of TABLE_TYPES) {
    const objects = await dump(client, type)
    if (objects === undefined) {
      tally.missingTables.push(tableName(type))
      violation(counters, `table ${tableName(type)} cannot be dumped`)
      continue
    }
    const failed = model.failed.get(type)!
    for (const [key, keyModel] of model.keys) {
      if (keyModel.table !== type || keyModel.uncertain) continue
      checkKey(tally, counters, failed, key, keyModel, objects.get(key) ?? [])
    }
    for (const key of objects.keys()) {
      if (model.keys.get(key)?.table !== type) {
        tally.unexpected++
        violation(counters, `unexpected key ${type} ${key}`)
      }
    }
    for (const value of model.seen.get(type)!) {
      if (failed.has(value)) {
        tally.unexpected++
        violation(counters, `a reader saw ${type} ${value}, whose write failed`)
      }
    }
  }
  const listed = await client.send('GET', '/v1/tables')
  const names = listed.ok ? (JSON.parse(listed.body) as { tables: Array<{ name: string }> }).tables.map(t => t.name) : []
  for (const type of TABLE_TYPES) {
    if (!names.includes(tableName(type)) && !tally.missingTables.includes(tableName(type))) {
      tally.missingTables.push(tableName(type))
      violation(counters, `table ${tableName(type)} is not listed`)
    }
  }
  const ready = await client.send('GET', '/readyz')
  if (!ready.ok) violation(counters, `not ready after the run: ${ready.label}`)
  return tally
}

// ── putting it together ────────────────────────────────────────────────

function newCounters (): Counters {
  return {
    attempted: 0,
    acknowledged: 0,
    writeFailures: {},
    reads: 0,
    readFailures: {},
    crashRequests: 0,
    injected: 0,
    skipped: 0,
    byKind: { handler: 0, handlers: 0, manager: 0, both: 0 },
    hung: 0,
    unclean: 0,
    violations: [],
  }
}

async function createTables (client: Client): Promise<void> {
  for (const type of TABLE_TYPES) {
    const outcome = await client.send('POST', '/v1/tables', { name: tableName(type), type })
    if (outcome.status !== 201) throw new Error(`creating ${tableName(type)}: ${outcome.label} ${outcome.body}`)
  }
}

/** Runs the chaos for `seconds` against a fresh in-process server and checks the end state. */
export async function chaos (options: ChaosOptions = {}): Promise<ChaosReport> {
  const {
    seconds = 20, seed = Math.floor(Math.random() * 2 ** 31), writers = 32, readers = 4,
    keysPerWriter = 8, requestTimeout = 10_000, minWrites = 0, maxSeconds = 4 * seconds, log = (line: string) => process.stdout.write(line + '\n'),
  } = options
  log(`chaos: seed ${seed}, ${seconds} s, ${writers} writers, ${readers} readers`)
  const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-chaos-'))
  const app = await buildServer(withDefaults({ dataDir, faults: true }))
  let client: Client | undefined
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    client = new Client(address.port, requestTimeout)
    await createTables(client)

    const model = new Model()
    const counters = newCounters()
    let stopped = false
    const run: Run = { client, model, counters, stopped: () => stopped }
    const owned = Array.from({ length: writers }, (_, id) => {
      const type = TABLE_TYPES[id % TABLE_TYPES.length]
      const keys = Array.from({ length: keysPerWriter }, (_, k) => `w${id}/k${k}`)
      for (const key of keys) model.own(type, key)
      return { id, type, keys }
    })
    const allKeys = [...model.keys.keys()]

    const started = performance.now()
    const stopTimer = setInterval(() => {
      const elapsed = performance.now() - started
      if ((elapsed >= seconds * 1000 && counters.acknowledged >= minWrites) || elapsed >= maxSeconds * 1000) stopped = true
    }, 20)
    const tasks = [
      ...owned.map(({ id, type, keys }) => writer(run, id, type, keys, seed + 1000 + id)),
      ...Array.from({ length: readers }, (_, i) => reader(run, allKeys, seed + 2000 + i)),
      crasher(run, seed),
    ]
    await Promise.all(tasks).finally(() => clearInterval(stopTimer))
    const durationMs = Math.round(performance.now() - started)
    log(`chaos: stopped after ${durationMs} ms, ${client.inFlight} requests in flight; checking`)

    const tally = await verify(client, model, counters)
    const report: ChaosReport = {
      seed,
      durationMs,
      writes: { attempted: counters.attempted, acknowledged: counters.acknowledged, failed: counters.writeFailures },
      reads: { total: counters.reads, failed: counters.readFailures },
      crashes: { requests: counters.crashRequests, injected: counters.injected, skipped: counters.skipped, byKind: counters.byKind },
      hung: counters.hung,
      unclean: counters.unclean,
      ...tally,
      violations: counters.violations,
      maxLatencyMs: Math.round(client.maxLatencyMs),
      ok: false,
    }
    report.ok = report.lost === 0 && report.doubled === 0 && report.unexpected === 0 && report.hung === 0 &&
      report.unclean === 0 && report.missingTables.length === 0 && report.violations.length === 0
    for (const line of summary(report)) log(line)
    return report
  } finally {
    client?.close()
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

export function summary (report: ChaosReport): string[] {
  const labels = (failures: Record<string, number>): string =>
    Object.entries(failures).map(([label, n]) => `${label} ×${n}`).join(', ') || 'none'
  const kinds = Object.entries(report.crashes.byKind).map(([kind, n]) => `${kind} ${n}`).join(', ')
  return [
    `writes acknowledged: ${report.writes.acknowledged} of ${report.writes.attempted}`,
    `writes failed:       ${labels(report.writes.failed)}`,
    `reads:               ${report.reads.total}, failed: ${labels(report.reads.failed)}`,
    `crashes injected:    ${report.crashes.injected} processes in ${report.crashes.requests - report.crashes.skipped} requests (${kinds}); ${report.crashes.skipped} skipped (target restarting)`,
    `hung: ${report.hung}   unclean failures: ${report.unclean}   max latency: ${report.maxLatencyMs} ms`,
    `objects lost: ${report.lost}   doubled: ${report.doubled}   unexpected: ${report.unexpected}   missing tables: ${report.missingTables.length}`,
    ...report.violations.map(line => `  VIOLATION ${line}`),
    `seed: ${report.seed}   duration: ${(report.durationMs / 1000).toFixed(1)} s   ${report.ok ? 'OK' : 'FAILED'}`,
  ]
}

// ── command line ───────────────────────────────────────────────────────

const USAGE = `usage: npx tsx bench/chaos.ts [--seconds N] [--seed S] [--writers N] [--readers N]
  --seconds  seconds of writes and crashes (default 20)
  --seed     PRNG seed of the crash schedule and the writers (default random; printed)
  --writers  concurrent writers, each owning its keys (default 32)
  --readers  concurrent readers (default 4)`

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      seed: { type: 'string' },
      writers: { type: 'string', default: '32' },
      readers: { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    return
  }
  const numbers = { seconds: Number(values.seconds), writers: Number(values.writers), readers: Number(values.readers) }
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isInteger(value) || value < (name === 'readers' ? 0 : 1)) throw new Error(`--${name} must be a whole number\n${USAGE}`)
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed)
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`--seed must be an integer\n${USAGE}`)
  // Writes stop after --seconds; in-flight requests end within their 10 s timeout; checking takes a few seconds.
  const watchdog = setTimeout(() => {
    process.stderr.write('chaos: still running long past its bounds; giving up\n')
    process.exit(2)
  }, (numbers.seconds + 60) * 1000)
  watchdog.unref()
  const report = await chaos({ ...numbers, seed })
  process.exitCode = report.ok ? 0 : 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(error => {
    process.stderr.write(`chaos: ${(error as Error).message}\n`)
    process.exit(2)
  })
}
