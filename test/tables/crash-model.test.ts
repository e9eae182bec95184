/**
 * Property: random sequences of create / drop / insert / delete / batch and
 * crashes (a handler, the manager, both in one tick, table_sup, writes
 * queued when the handler dies, a crash after each step of create) checked
 * after every step against a plain reference model. No table and no
 * acknowledged write is ever lost or doubled.
 *
 * One server runs every sequence (dropping its tables in between), so that
 * ten thousand sequences fit in CI. FC_RUNS sets how many (default
 * 10,000); a failure prints the seed and the shrunk sequence, replayed
 * with FC_SEED.
 */
import fc from 'fast-check'
import t from 'tap'
import type { TableType } from '../../src/ets/table.js'
import { Crash } from '../../src/runtime/types.js'
import { CREATE_STEPS, type CreateStep } from '../../src/tables/manager.js'
import { handlerName, MANAGER, TABLE_SUP } from '../../src/tables/names.js'
import type { TableService } from '../../src/tables/service.js'
import { startService, valuesOf } from '../helpers.js'

const NAMES = ['a', 'b', 'c'] as const
const KEYS = ['x', 'y', 'z'] as const
const TYPES: TableType[] = ['set', 'ordered_set', 'bag', 'duplicate_bag']

type Victim = 'handler' | 'manager' | 'both'
type Obj = { key: string; value: number }
type Write = { op: 'insert'; objects: Obj[] } | { op: 'delete'; key: string }
type Command =
  | { do: 'create'; name: string; type: TableType }
  | { do: 'create_crash'; name: string; type: TableType; at: CreateStep; victim: Victim }
  | { do: 'drop'; name: string }
  | { do: 'write'; name: string; write: Write }
  | { do: 'batch'; name: string; writes: Write[] }
  | { do: 'burst'; name: string; objects: Obj[]; victim: Victim }
  | { do: 'crash'; name: string; victim: Victim | 'table_sup' }

const name = fc.constantFrom(...NAMES)
const type = fc.constantFrom(...TYPES)
const victim = fc.constantFrom<Victim>('handler', 'manager', 'both')
const obj = fc.record({ key: fc.constantFrom(...KEYS), value: fc.integer({ min: 0, max: 3 }) })
const write: fc.Arbitrary<Write> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('insert' as const), objects: fc.array(obj, { minLength: 1, maxLength: 3 }) }), weight: 3 },
  fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) })
)
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ do: fc.constant('create' as const), name, type }), weight: 2 },
  fc.record({ do: fc.constant('create_crash' as const), name, type, at: fc.constantFrom(...CREATE_STEPS), victim }),
  fc.record({ do: fc.constant('drop' as const), name }),
  { arbitrary: fc.record({ do: fc.constant('write' as const), name, write }), weight: 4 },
  fc.record({ do: fc.constant('batch' as const), name, writes: fc.array(write, { minLength: 1, maxLength: 4 }) }),
  { arbitrary: fc.record({ do: fc.constant('burst' as const), name, objects: fc.array(obj, { minLength: 1, maxLength: 6 }), victim }), weight: 2 },
  { arbitrary: fc.record({ do: fc.constant('crash' as const), name, victim: fc.constantFrom<Victim | 'table_sup'>('handler', 'manager', 'both', 'table_sup') }), weight: 2 }
)

/** The reference model: a table is its type and a list of values per key. */
class Model {
  readonly tables = new Map<string, { type: TableType; objects: Map<string, number[]> }>()

  apply (name: string, w: Write): void {
    const table = this.tables.get(name)!
    if (w.op === 'delete') {
      table.objects.delete(w.key)
      return
    }
    for (const { key, value } of w.objects) {
      const held = table.objects.get(key) ?? []
      if (table.type === 'set' || table.type === 'ordered_set') table.objects.set(key, [value])
      else if (table.type !== 'bag' || !held.includes(value)) table.objects.set(key, [...held, value])
    }
  }
}

class Harness {
  /** The create step to crash at, for the next create. */
  armed: { at: CreateStep; victim: Victim } | undefined

  constructor (readonly service: TableService, readonly model = new Model()) {}

  async apply (c: Command): Promise<void> {
    const { service, model } = this
    const exists = model.tables.has(c.name)
    switch (c.do) {
      case 'create':
        if (exists) return expectCode(service.create(c.name, c.type), 'table_exists')
        await service.create(c.name, c.type)
        model.tables.set(c.name, { type: c.type, objects: new Map() })
        return
      case 'create_crash': {
        if (exists) return
        this.armed = { at: c.at, victim: c.victim }
        const outcome = await service.create(c.name, c.type).then(() => 'ok', (e: { code?: string }) => e.code)
        this.armed = undefined
        // Whole once catalogued (or when only the handler died); otherwise nothing is left.
        const whole = c.victim === 'handler' || c.at === 'catalogued'
        if (outcome !== (c.victim === 'handler' ? 'ok' : 'unavailable')) throw new Error(`create crashed at ${c.at}: ${outcome}`)
        await service.create('settle', 'set').catch(() => undefined) // waits for the new manager
        await service.drop('settle').catch(() => undefined)
        if (whole) model.tables.set(c.name, { type: c.type, objects: new Map() })
        return
      }
      case 'drop':
        if (!exists) return expectCode(service.drop(c.name), 'table_not_found')
        await service.drop(c.name)
        model.tables.delete(c.name)
        return
      case 'write':
        if (!exists) return expectCode(writeOne(service, c.name, c.write), 'table_not_found')
        await writeOne(service, c.name, c.write)
        model.apply(c.name, c.write)
        return
      case 'batch':
        if (!exists) return
        await service.write(c.name, 'batch', { ops: c.writes })
        for (const w of c.writes) model.apply(c.name, w)
        return
      case 'burst': {
        if (!exists) return
        // One write per object, all in flight at once, with a crash among them.
        const writes = c.objects.map(o => service.write(c.name, 'insert', { objects: [o] }))
        this.crash(c.victim, c.name)
        await Promise.all(writes)
        model.apply(c.name, { op: 'insert', objects: c.objects })
        return
      }
      case 'crash':
        this.crash(c.victim, c.name)
    }
  }

  crash (who: Victim | 'table_sup', table: string): void {
    const victims = { handler: [handlerName(table)], manager: [MANAGER], both: [handlerName(table), MANAGER], table_sup: [TABLE_SUP] }[who]
    for (const victim of victims) {
      const pid = this.service.node.whereis(victim)
      if (pid !== undefined) this.service.node.exit(pid, new Crash(new Error('property crash')))
    }
  }

  async check (): Promise<void> {
    const names = (await this.service.list()).map(info => info.name).sort()
    const expected = [...this.model.tables.keys()].sort()
    if (JSON.stringify(names) !== JSON.stringify(expected)) throw new Error(`tables ${names} ≠ model ${expected}`)
    for (const [name, table] of this.model.tables) {
      for (const key of KEYS) {
        const got = await valuesOf(this.service, name, key)
        const want = table.objects.get(key) ?? []
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${name}[${key}] = ${JSON.stringify(got)}, model ${JSON.stringify(want)}`)
      }
    }
  }

  /** Every table owned by its living handler again; then all dropped, for the next sequence. */
  async settleAndReset (): Promise<void> {
    for (const name of this.model.tables.keys()) {
      await this.service.write(name, 'insert', { objects: [] })
      if (this.service.node.tables.get(name)?.owner !== this.service.node.whereis(handlerName(name))) {
        throw new Error(`${name} is not owned by its handler`)
      }
      await this.service.drop(name)
    }
    this.model.tables.clear()
    if (this.service.node.tables.names().length > 0) throw new Error(`leftover tables ${this.service.node.tables.names()}`)
  }
}

/** One write of the model, as the service takes it. */
function writeOne (service: TableService, name: string, w: Write): Promise<unknown> {
  return w.op === 'insert' ? service.write(name, 'insert', { objects: w.objects }) : service.write(name, 'delete', { key: w.key })
}

async function expectCode (p: Promise<unknown>, code: string): Promise<void> {
  const got = await p.then(() => 'ok', (e: { code?: string }) => e.code)
  if (got !== code) throw new Error(`expected ${code}, got ${got}`)
}

t.test('no_crash_sequence_loses_a_table_or_an_acknowledged_write', async t => {
  let harness: Harness | undefined
  const service = await startService(t, {
    // Thousands of sequences crash the manager far more often than any
    // real failure would: the restart intensity must not end the run.
    restartIntensity: { root: { intensity: 1e9, period: 1 }, tableSup: { intensity: 1e9, period: 1 } },
    afterStep: (step, table) => {
      const armed = harness?.armed
      if (armed?.at !== step) return
      harness!.armed = undefined
      harness!.crash(armed.victim, table)
    },
  })
  let sequences = 0
  let commandsRun = 0
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async commands => {
    harness = new Harness(service)
    sequences++
    try {
      for (const c of commands) {
        await harness.apply(c)
        await harness.check()
        commandsRun++
      }
    } finally {
      await harness.settleAndReset()
    }
  }), { numRuns: Number(process.env.FC_RUNS ?? 10_000), seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined })
  t.pass(`${sequences} random sequences, ${commandsRun} commands, matched the model`)
})
