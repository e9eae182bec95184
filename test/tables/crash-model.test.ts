/**
 * Property: random sequences of create / drop / insert / delete and crashes
 * (handler, manager, both in one tick, table_sup), checked after every step
 * against a plain reference model. No table and no acknowledged write is
 * ever lost or doubled. The seed is printed on failure (fast-check's report)
 * and can be replayed with FC_SEED.
 */
import fc from 'fast-check'
import t from 'tap'
import type { TableType } from '../../src/ets/table.js'
import { Crash } from '../../src/runtime/types.js'
import { handlerName, MANAGER, TABLE_SUP } from '../../src/tables/names.js'
import { join } from 'node:path'
import { TableService } from '../../src/tables/service.js'
import { tempDir } from '../helpers.js'

const NAMES = ['a', 'b', 'c'] as const
const KEYS = ['x', 'y', 'z'] as const
const TYPES: TableType[] = ['set', 'ordered_set', 'bag', 'duplicate_bag']

type Obj = { key: string; value: number }
type Command =
  | { do: 'create'; name: string; type: TableType }
  | { do: 'drop'; name: string }
  | { do: 'insert'; name: string; objects: Obj[] }
  | { do: 'delete'; name: string; key: string }
  | { do: 'burst'; name: string; objects: Obj[]; crash: 'handler' | 'manager' | 'both' }
  | { do: 'crash'; who: 'handler' | 'manager' | 'both' | 'table_sup'; name: string }

const name = fc.constantFrom(...NAMES)
const obj = fc.record({ key: fc.constantFrom(...KEYS), value: fc.integer({ min: 0, max: 3 }) })
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ do: fc.constant('create' as const), name, type: fc.constantFrom(...TYPES) }),
  fc.record({ do: fc.constant('drop' as const), name }),
  { arbitrary: fc.record({ do: fc.constant('insert' as const), name, objects: fc.array(obj, { minLength: 1, maxLength: 3 }) }), weight: 4 },
  fc.record({ do: fc.constant('delete' as const), name, key: fc.constantFrom(...KEYS) }),
  { arbitrary: fc.record({ do: fc.constant('burst' as const), name, objects: fc.array(obj, { minLength: 1, maxLength: 6 }), crash: fc.constantFrom('handler' as const, 'manager' as const, 'both' as const) }), weight: 2 },
  { arbitrary: fc.record({ do: fc.constant('crash' as const), who: fc.constantFrom('handler' as const, 'manager' as const, 'both' as const, 'table_sup' as const), name }), weight: 2 },
)

/** The reference model: a table is its type and a list of objects per key. */
class Model {
  readonly tables = new Map<string, { type: TableType; objects: Map<string, number[]> }>()

  insert (name: string, objects: Obj[]): void {
    const table = this.tables.get(name)!
    for (const { key, value } of objects) {
      const held = table.objects.get(key) ?? []
      if (table.type === 'set' || table.type === 'ordered_set') table.objects.set(key, [value])
      else if (table.type === 'bag' && held.includes(value)) continue
      else table.objects.set(key, [...held, value])
    }
  }
}

async function apply (service: TableService, model: Model, c: Command): Promise<void> {
  const exists = model.tables.has(c.name)
  switch (c.do) {
    case 'create':
      if (exists) { await fcReject(service.create(c.name, c.type), 'table_exists'); return }
      await service.create(c.name, c.type)
      model.tables.set(c.name, { type: c.type, objects: new Map() })
      return
    case 'drop':
      if (!exists) { await fcReject(service.drop(c.name), 'table_not_found'); return }
      await service.drop(c.name)
      model.tables.delete(c.name)
      return
    case 'insert':
      if (!exists) { await fcReject(service.insert(c.name, c.objects), 'table_not_found'); return }
      await service.insert(c.name, c.objects)
      model.insert(c.name, c.objects)
      return
    case 'delete':
      if (!exists) { await fcReject(service.delete(c.name, c.key), 'table_not_found'); return }
      await service.delete(c.name, c.key)
      model.tables.get(c.name)!.objects.delete(c.key)
      return
    case 'burst': {
      if (!exists) return
      // One write per object, all in flight at once, with a crash among them.
      const writes = c.objects.map(o => service.insert(c.name, [o]))
      crash(service, c.crash, c.name)
      await Promise.all(writes)
      model.insert(c.name, c.objects)
      return
    }
    case 'crash':
      crash(service, c.who, c.name)
  }
}

function crash (service: TableService, who: string, table: string): void {
  const victims = who === 'both' ? [handlerName(table), MANAGER]
    : who === 'handler' ? [handlerName(table)]
      : who === 'manager' ? [MANAGER] : [TABLE_SUP]
  for (const victim of victims) {
    const pid = service.node.whereis(victim)
    if (pid !== undefined) service.node.exit(pid, new Crash(new Error('property crash')))
  }
}

async function fcReject (p: Promise<unknown>, code: string): Promise<void> {
  const got = await p.then(() => 'ok', (e: { code?: string }) => e.code)
  if (got !== code) throw new Error(`expected ${code}, got ${got}`)
}

function check (service: TableService, model: Model): void {
  const names = service.list().map(info => info.name).sort()
  const expected = [...model.tables.keys()].sort()
  if (JSON.stringify(names) !== JSON.stringify(expected)) throw new Error(`tables ${names} ≠ model ${expected}`)
  for (const [name, table] of model.tables) {
    for (const key of KEYS) {
      const got = service.lookup(name, key)
      const want = table.objects.get(key) ?? []
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`${name}[${key}] = ${JSON.stringify(got)}, model ${JSON.stringify(want)}`)
      }
    }
  }
}

t.test('no_crash_sequence_loses_a_table_or_an_acknowledged_write', async t => {
  const dir = await tempDir(t)
  let run = 0
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async commands => {
    const service = await TableService.start({ dataDir: join(dir, String(run++)) })
    try {
      const model = new Model()
      for (const c of commands) {
        await apply(service, model, c)
        check(service, model)
      }
      // After the last crash settles, every table is owned by its living handler again.
      await service.create('settle', 'set')
      for (const name of model.tables.keys()) {
        await service.insert(name, [])
        if (service.node.tables.get(name)?.owner !== service.node.whereis(handlerName(name))) {
          throw new Error(`${name} is not owned by its handler`)
        }
      }
    } finally {
      await service.stop()
    }
  }), { numRuns: Number(process.env.FC_RUNS ?? 60), seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined })
  t.pass(`${run} random crash sequences matched the model`)
})
