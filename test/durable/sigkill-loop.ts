/**
 * The SIGKILL loop (issue 9): a child server (the real command line) with
 * durable tables, concurrent HTTP writers that log every acknowledged
 * write, and `kill -9` at random moments; after each restart, on the same
 * data directory, every table must hold exactly what was acknowledged, or
 * that plus each writer's one write still in flight, applied whole.
 *
 * Writers are sequential and own their keys, so at a kill each has at most
 * one write whose fate is unknown: the check is exact, not a tolerance.
 * They put, delete, batch (several keys at once: all or nothing), count
 * (update_counter) and select_delete, on a `disk` set, a `disk`
 * ordered_set and a `relaxed` set (SIGKILL spares what reached LevelDB's
 * log). A lifecycle worker creates, fills, renames and drops a durable
 * table over and over, so kills land in those too: a dropped table must
 * never come back, a created one must have what was acknowledged.
 *
 * Used by test/durable/sigkill.test.ts (a few cycles, CI) and
 * scripts/sigkill-loop.ts (hundreds).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { exitOf, listening } from '../cli.js'

type Value = unknown
/** Key → value, `undefined` for absent. */
type State = Map<string, Value>

export interface LoopOptions {
  dataDir: string
  cycles: number
  /** A source of randomness in [0, 1): seeded by the caller, printed on failure. */
  random: () => number
  /** Told each cycle's figures. */
  progress?: (line: string) => void
  writers?: number
  /** Most acknowledged writes between two kills (the kill comes after a random number up to it). Default 600. */
  maxWrites?: number
  /** The server's entry point. Default: src/main.ts of this tree, run through tsx. */
  main?: string
}

export interface LoopResult {
  cycles: number
  /** Acknowledged writes whose effect was checked after a restart. */
  acknowledged: number
  /** Writes cut by a kill whose effect was found applied / not applied. */
  inFlightApplied: number
  inFlightLost: number
  lifecycle: number
  failures: string[]
}

const TABLES = [
  { name: 'set_disk', type: 'set', durability: 'disk' },
  { name: 'ordered_disk', type: 'ordered_set', durability: 'disk' },
  { name: 'set_relaxed', type: 'set', durability: 'relaxed' },
] as const
const KEYS = 8
const LIFE = ['life_a', 'life_b'] as const

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname

class Unacknowledged extends Error {}

/** One HTTP call; a 2xx's JSON body, else Unacknowledged (a kill cut it, or the server refused it). */
async function call (base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    })
  } catch (error) {
    throw new Unacknowledged(`${method} ${path}: ${(error as Error).message}`)
  }
  const text = await res.text().catch(() => '')
  if (res.status >= 300) throw new Unacknowledged(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`)
  return text === '' ? undefined : JSON.parse(text)
}

/** Reads that a restarting server refuses for a moment (503 loading) are asked again; never a sleep, a round trip. */
async function read (base: string, path: string): Promise<string> {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(20_000) })
    const text = await res.text()
    if (res.status === 200) return text
    if (res.status !== 503) throw new Error(`GET ${path}: ${res.status} ${text}`)
  }
  throw new Error(`GET ${path}: still 503 after 2000 attempts`)
}

async function dump (base: string, table: string): Promise<State> {
  const state: State = new Map()
  for (const line of (await read(base, `/v1/tables/${table}/dump`)).split('\n')) {
    if (line === '') continue
    const { key, value } = JSON.parse(line) as { key: string; value: Value }
    if (state.has(key)) throw new Error(`table ${table}: key ${key} twice in a set`)
    state.set(key, value)
  }
  return state
}

const same = (a: Value, b: Value): boolean => JSON.stringify(a) === JSON.stringify(b)

function equalStates (a: State, b: State): boolean {
  if (a.size !== b.size) return false
  for (const [key, value] of a) if (!b.has(key) || !same(value, b.get(key))) return false
  return true
}

function applied (state: State, changes: State): State {
  const next = new Map(state)
  for (const [key, value] of changes) {
    if (value === undefined) next.delete(key)
    else next.set(key, value)
  }
  return next
}

/** A sequential writer over its own keys of one table. */
class Writer {
  /** What the server acknowledged, for this writer's keys. */
  acked: State = new Map()
  /** The effect of the one write sent and not acknowledged, if any. */
  maybe: State | undefined
  seq = 0
  acknowledged = 0

  constructor (readonly id: number, readonly table: string, private readonly random: () => number) {}

  private key (i: number | 'n'): string { return `w${this.id}-${i}` }

  /** Picks a write, sends it, and records its effect as acknowledged or in doubt. */
  async step (base: string): Promise<void> {
    const value = { w: this.id, s: ++this.seq }
    const r = this.random()
    const key = this.key(Math.floor(this.random() * KEYS))
    let request: [string, string, unknown?]
    const effect: State = new Map()
    if (r < 0.45) {
      request = ['PUT', `/objects/${key}`, { value }]
      effect.set(key, value)
    } else if (r < 0.6) {
      request = ['DELETE', `/objects/${key}`]
      effect.set(key, undefined)
    } else if (r < 0.8) {
      const ops: unknown[] = []
      for (let i = 0; i < KEYS; i++) {
        const k = this.key(i)
        const pick = this.random()
        if (pick < 0.5) {
          ops.push({ op: 'insert', objects: [{ key: k, value }] })
          effect.set(k, value)
        } else if (pick < 0.65) {
          ops.push({ op: 'delete', key: k })
          effect.set(k, undefined)
        }
      }
      if (ops.length === 0) {
        ops.push({ op: 'delete', key })
        effect.set(key, undefined)
      }
      request = ['POST', '/batch', { ops }]
    } else if (r < 0.9) {
      const counter = this.key('n')
      request = ['POST', '/update_counter', { key: counter, ops: 1, default: { key: counter, value: 0 } }]
      effect.set(counter, ((this.acked.get(counter) as number | undefined) ?? 0) + 1)
    } else {
      const below = this.seq - Math.floor(this.random() * 40)
      request = ['POST', '/select_delete', { spec: [{ head: { key: '_', value: { w: this.id, s: '$1' } }, guards: [['<', '$1', below]], result: true }] }]
      for (const [k, v] of this.acked) {
        const s = (v as { s?: number } | undefined)?.s
        if (typeof s === 'number' && s < below) effect.set(k, undefined)
      }
    }
    this.maybe = effect
    await call(base, request[0], `/v1/tables/${this.table}${request[1]}`, request[2])
    this.acked = applied(this.acked, effect)
    this.maybe = undefined
    this.acknowledged++
  }

  /** After a restart: the table's objects of this writer must be what was acknowledged, or that with the write in doubt applied whole. */
  check (found: State, result: LoopResult): string | undefined {
    const mine: State = new Map([...found].filter(([key]) => key.startsWith(`w${this.id}-`)))
    let outcome: 'acked' | 'applied' | undefined
    if (equalStates(mine, this.acked)) outcome = 'acked'
    else if (this.maybe !== undefined && equalStates(mine, applied(this.acked, this.maybe))) outcome = 'applied'
    if (outcome === undefined) {
      return `writer ${this.id} (${this.table}): found ${show(mine)}, acknowledged ${show(this.acked)}${this.maybe ? `, in flight ${show(this.maybe)}` : ''}`
    }
    if (this.maybe !== undefined) {
      // A write in doubt whose effect equals the acknowledged state (a delete of an absent key) counts as neither.
      if (outcome === 'applied') result.inFlightApplied++
      else if (!equalStates(this.acked, applied(this.acked, this.maybe))) result.inFlightLost++
    }
    result.acknowledged += this.acknowledged
    this.acknowledged = 0
    this.acked = mine
    this.maybe = undefined
    return undefined
  }
}

function show (state: State): string {
  return JSON.stringify([...state].sort(([a], [b]) => a < b ? -1 : 1))
}

/** Creates, fills, renames and drops a durable table, over and over; one step in doubt at a kill. */
class Lifecycle {
  /** life table → its objects, as acknowledged. */
  acked = new Map<string, State>()
  maybe: Map<string, State> | undefined
  steps = 0
  private seq = 0

  async step (base: string, sent: () => void): Promise<void> {
    const next = new Map([...this.acked].map(([name, state]) => [name, new Map(state)]))
    let request: [string, string, unknown?]
    if (this.acked.size === 0) {
      request = ['POST', '/v1/tables', { name: LIFE[0], type: 'set', durability: 'disk' }]
      next.set(LIFE[0], new Map())
    } else if (this.acked.has(LIFE[0]) && this.acked.get(LIFE[0])!.size === 0) {
      const value = ++this.seq
      request = ['PUT', `/v1/tables/${LIFE[0]}/objects/x`, { value }]
      next.set(LIFE[0], new Map([['x', value]]))
    } else if (this.acked.has(LIFE[0])) {
      request = ['POST', `/v1/tables/${LIFE[0]}/rename`, { name: LIFE[1] }]
      next.set(LIFE[1], next.get(LIFE[0])!)
      next.delete(LIFE[0])
    } else {
      request = ['DELETE', `/v1/tables/${LIFE[1]}`]
      next.delete(LIFE[1])
    }
    this.maybe = next
    const answer = call(base, ...request)
    sent()
    await answer
    this.acked = next
    this.maybe = undefined
    this.steps++
  }

  async check (base: string, tables: string[]): Promise<string | undefined> {
    const found = new Map<string, State>()
    for (const name of LIFE) if (tables.includes(name)) found.set(name, await dump(base, name))
    const equal = (a: Map<string, State>, b: Map<string, State>): boolean =>
      a.size === b.size && [...a].every(([name, state]) => b.has(name) && equalStates(state, b.get(name)!))
    if (equal(found, this.acked) || (this.maybe !== undefined && equal(found, this.maybe))) {
      this.acked = found
      this.maybe = undefined
      return undefined
    }
    const text = (m: Map<string, State>): string => JSON.stringify([...m].map(([name, state]) => [name, show(state)]))
    return `lifecycle: found ${text(found)}, acknowledged ${text(this.acked)}${this.maybe ? `, in flight ${text(this.maybe)}` : ''}`
  }
}

export async function sigkillLoop (options: LoopOptions): Promise<LoopResult> {
  const { dataDir, cycles, random } = options
  const result: LoopResult = { cycles: 0, acknowledged: 0, inFlightApplied: 0, inFlightLost: 0, lifecycle: 0, failures: [] }
  const writers = Array.from({ length: options.writers ?? 6 }, (_, id) => new Writer(id, TABLES[id % TABLES.length].name, random))
  const life = new Lifecycle()
  for (let cycle = 0; cycle <= cycles && result.failures.length === 0; cycle++) {
    const child = spawn(process.execPath, ['--import', 'tsx', options.main ?? MAIN, '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = exitOf(child)
    const base = await listening(child)
    try {
      if (cycle === 0) {
        for (const table of TABLES) await call(base, 'POST', '/v1/tables', table)
      } else {
        await verify(base, writers, life, result)
        result.cycles++
        options.progress?.(`cycle ${cycle}: ${result.acknowledged} acknowledged writes checked, in flight at the kill ${result.inFlightApplied} applied / ${result.inFlightLost} not, ${life.steps} lifecycle steps`)
      }
      if (result.failures.length > 0 || cycle === cycles) {
        child.kill('SIGKILL')
        break
      }
      await load(base, child, writers, life, random, options.maxWrites ?? 600)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      const { stderr } = await exited
      if (/heirloom: storage/.test(stderr)) result.failures.push(`cycle ${cycle}: the server reported ${stderr.split('\n').find(line => /storage/.test(line))}`)
    }
  }
  result.lifecycle = life.steps
  return result
}

/** Writes until a random moment, then SIGKILL: after a random number of acknowledged writes, or as a lifecycle request leaves. */
async function load (base: string, child: ChildProcess, writers: Writer[], life: Lifecycle, random: () => number, maxWrites: number): Promise<void> {
  const state = { killed: false }
  const kill = (): void => {
    if (state.killed) return
    state.killed = true
    child.kill('SIGKILL')
  }
  const budget = 1 + Math.floor(random() * maxWrites)
  const lifeKill = random() < 0.4 ? 1 + Math.floor(random() * 4) : Infinity
  let acknowledged = 0
  const writing = writers.map(async writer => {
    while (!state.killed) {
      try {
        await writer.step(base)
        if (++acknowledged >= budget) kill()
      } catch (error) {
        if (!(error instanceof Unacknowledged)) throw error
        if (!state.killed) throw new Error(`a write failed before the kill: ${error.message}`)
      }
    }
  })
  const living = (async () => {
    let steps = 0
    while (!state.killed) {
      try {
        await life.step(base, () => { if (++steps >= lifeKill) kill() })
      } catch (error) {
        if (!(error instanceof Unacknowledged)) throw error
        if (!state.killed) throw new Error(`a lifecycle step failed before the kill: ${error.message}`)
      }
    }
  })()
  await Promise.all([...writing, living])
}

async function verify (base: string, writers: Writer[], life: Lifecycle, result: LoopResult): Promise<void> {
  const listed = JSON.parse(await read(base, '/v1/tables')) as { tables: Array<{ name: string; durability: string }> }
  const names = listed.tables.map(table => table.name)
  for (const table of TABLES) if (!names.includes(table.name)) result.failures.push(`table ${table.name} is gone`)
  const stray = names.filter(name => !TABLES.some(table => table.name === name) && !(LIFE as readonly string[]).includes(name))
  if (stray.length > 0) result.failures.push(`tables no client made: ${stray.join(', ')}`)
  for (const table of TABLES) {
    const found = await dump(base, table.name)
    const owners = new Set(writers.filter(writer => writer.table === table.name).map(writer => `w${writer.id}-`))
    for (const key of found.keys()) {
      if (![...owners].some(prefix => key.startsWith(prefix))) result.failures.push(`table ${table.name}: key ${key} no client sent`)
    }
    for (const writer of writers.filter(writer => writer.table === table.name)) {
      const failure = writer.check(found, result)
      if (failure !== undefined) result.failures.push(failure)
    }
  }
  const failure = await life.check(base, names)
  if (failure !== undefined) result.failures.push(failure)
}

/** A seeded source of randomness in [0, 1) (mulberry32): a failing run is replayed by its seed. */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
