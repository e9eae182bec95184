// Change streams against a model, under fast-check: random writes of every
// family (batches, select_delete/replace, delete_all_objects), renames,
// handler and manager crashes (one at a time and in the same tick), and
// readers that read, disconnect and resume at random revisions. At the
// end every reader's reconstruction equals the table, and every reader saw
// each revision once, in order, with no gap.
import fc from 'fast-check'
import t from 'tap'
import type { Term } from '../../src/ets/term.js'
import { Crash } from '../../src/runtime/types.js'
import type { Reader } from '../../src/tables/changes.js'
import { handlerName, MANAGER } from '../../src/tables/names.js'
import type { TableService } from '../../src/tables/service.js'
import { startService } from '../helpers.js'

type Command =
  | { do: 'put'; key: number; value: number }
  | { do: 'batch'; keys: number[]; value: number }
  | { do: 'selectDelete'; below: number }
  | { do: 'selectReplace'; value: number }
  | { do: 'clear' }
  | { do: 'crash'; victims: Array<'handler' | 'manager'> }
  | { do: 'rename' }
  | { do: 'read'; reader: number }
  | { do: 'reconnect'; reader: number }

const key = fc.integer({ min: 0, max: 9 })
const value = fc.integer({ min: 0, max: 99 })
const reader = fc.integer({ min: 0, max: 2 })
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ do: fc.constant('put' as const), key, value }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('batch' as const), keys: fc.array(key, { maxLength: 4 }), value }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('selectDelete' as const), below: value }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('selectReplace' as const), value }) },
  { weight: 1, arbitrary: fc.constant({ do: 'clear' as const }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('crash' as const), victims: fc.subarray(['handler', 'manager'] as Array<'handler' | 'manager'>, { minLength: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ do: 'rename' as const }) },
  { weight: 4, arbitrary: fc.record({ do: fc.constant('read' as const), reader }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('reconnect' as const), reader }) }
)

/** A client: its reconstruction of the table, its connection, and the last revision it applied. */
class Watcher {
  state = new Map<string, Term[]>()
  delivered = 0
  reader: Reader | undefined

  constructor (
    private readonly service: TableService,
    private table: () => string,
    /** How many events a `take` asks for at most, and how many characters (as the SSE route takes them). */
    private readonly take: { max: number; maxChars: number }
  ) {}

  /** Reads everything there is now, in runs as the SSE route does, one at a time for ends; follows a rename to the new name. */
  drain (): void {
    this.reader ??= this.service.watch(this.table(), this.delivered)
    for (;;) {
      const taken = this.reader.take(this.take.max, this.take.maxChars)
      if (taken.length > 0) {
        for (const event of taken) this.apply(event.data)
        continue
      }
      const next = this.reader.next()
      if (next === undefined) break
      if ('end' in next) {
        if (next.end.type !== 'renamed') throw new Error(`unexpected end ${JSON.stringify(next.end)}`)
        this.reader = this.service.watch(next.end.name, this.delivered)
        continue
      }
      this.apply(next.event.data)
    }
  }

  private apply (data: string): void {
    const event = JSON.parse(data) as { rev: number; reset?: true; changes: Array<{ key: Term; values: Term[] }> }
    if (event.rev !== this.delivered + 1) throw new Error(`revision ${event.rev} after ${this.delivered}`)
    this.delivered = event.rev
    if (event.reset === true) this.state.clear()
    for (const change of event.changes) {
      if (change.values.length === 0) this.state.delete(JSON.stringify(change.key))
      else this.state.set(JSON.stringify(change.key), change.values)
    }
  }

  /** Drops the connection; the next read resumes from the last revision applied. */
  disconnect (): void {
    this.reader = undefined
  }
}

function contents (service: TableService, table: string): Map<string, Term[]> {
  const state = new Map<string, Term[]>()
  for (const { key, value } of service.objects(table)) state.set(JSON.stringify(key), [...state.get(JSON.stringify(key)) ?? [], value])
  return state
}

t.test('every_reader_rebuilds_the_table_from_its_stream_through_crashes_renames_and_reconnects', async t => {
  // Hundreds of crashes in a few seconds: no supervisor may give up here (intensity has its own tests).
  const service = await startService(t, { restartIntensity: { root: { intensity: 1e9, period: 1 }, tableSup: { intensity: 1e9, period: 1 } } })
  let round = 0
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async commands => {
    let table = `t${round++}`
    await service.create(table, 'set')
    // Runs of one event, of up to three, and as long as the SSE route's: watchers at one revision share a run.
    const watchers = [{ max: 1, maxChars: Infinity }, { max: 3, maxChars: 60 }, { max: 10_000, maxChars: 64 * 1024 }].map(take => new Watcher(service, () => table, take))
    for (const c of commands) {
      switch (c.do) {
        case 'put': await service.write(table, 'insert', { key: c.key, value: c.value }); break
        case 'batch': await service.write(table, 'batch', { ops: [{ op: 'insert', objects: c.keys.map(k => ({ key: k, value: c.value })) }, { op: 'delete', key: c.value % 10 }] }); break
        case 'selectDelete': await service.write(table, 'select_delete', { spec: [{ head: { key: '_', value: '$1' }, guards: [['<', '$1', c.below]], result: true }] }); break
        case 'selectReplace': await service.write(table, 'select_replace', { spec: [{ head: { key: '$1', value: '_' }, result: { key: '$1', value: c.value } }] }); break
        case 'clear': await service.write(table, 'delete_all_objects', undefined); break
        case 'crash': {
          const pids = c.victims.map(v => service.node.whereis(v === 'handler' ? handlerName(table) : MANAGER)).filter(p => p !== undefined)
          for (const pid of pids) service.node.exit(pid, new Crash(new Error('model crash')))
          break
        }
        case 'rename': {
          const to = `${table}r`
          await service.rename(table, to)
          table = to
          break
        }
        case 'read': watchers[c.reader].drain(); break
        case 'reconnect': watchers[c.reader].disconnect(); break
      }
    }
    const expected = contents(service, table)
    for (const watcher of watchers) {
      watcher.drain()
      if (watcher.delivered !== service.revision(table)) throw new Error(`a reader stopped at ${watcher.delivered} of ${service.revision(table)}`)
      t.same(watcher.state, expected)
    }
    await service.drop(table)
  }), { numRuns: 150 })
})
