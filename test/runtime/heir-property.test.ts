// Property: under any sequence of owner and heir crashes, restarts and give
// aways, no table whose heir is a name is ever lost: it is owned by a living
// process, or it waits in the holding pen for a name nobody holds; and a
// process that registers the name gets every table waiting for it.
import fc from 'fast-check'
import t from 'tap'
import { Crash, type ExitReason, type Pid } from '../../src/runtime/types.js'
import { Node, startProbe, type Probe } from './support.js'

t.setTimeout(30_000)

const HEIR_NAMES = ['table_manager', 'backup'] as const
type HeirName = typeof HEIR_NAMES[number]

type Step =
  | { op: 'spawnOwner'; linkToHeir: HeirName | undefined }
  | { op: 'create'; owner: number; heir: HeirName }
  | { op: 'giveAway'; owner: number; to: number }
  | { op: 'killOwner'; owner: number; reason: ExitReason }
  | { op: 'killHeir'; heir: HeirName; reason: ExitReason }
  | { op: 'startHeir'; heir: HeirName }

const heirName = fc.constantFrom(...HEIR_NAMES)
const reason = fc.constantFrom<ExitReason>('kill', 'shutdown', new Crash(new Error('boom')))
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('spawnOwner' as const), linkToHeir: fc.option(heirName, { nil: undefined }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('create' as const), owner: fc.nat(), heir: heirName }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('giveAway' as const), owner: fc.nat(), to: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('killOwner' as const), owner: fc.nat(), reason }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('killHeir' as const), heir: heirName, reason }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('startHeir' as const), heir: heirName }) }
)

type Expect = (ok: boolean, what: string) => void

/** Every table is owned by a living process or held for a name nobody holds. */
function checkNoTableLost (node: Node, created: string[], expect: Expect): void {
  const held = node.tables.held()
  const heldNames = Object.values(held).flat()
  expect(new Set(heldNames).size === heldNames.length, 'a table is held once')
  for (const name of created) {
    const entry = node.tables.get(name)
    if (!entry) { expect(false, `${name} was lost`); continue }
    const heir = (entry.heir as { name: HeirName }).name
    if (entry.owner !== undefined) {
      expect(node.isAlive(entry.owner), `${name} is owned by a living process`)
      expect(node.tables.ownedBy(entry.owner).includes(name), `${name} is listed under its owner`)
      expect(!heldNames.includes(name), `${name} is not both owned and held`)
    } else {
      expect(held[heir]?.includes(name) === true, `${name} waits for ${heir}`)
      expect(node.whereis(heir) === undefined, `no process holds ${heir} while ${name} waits`)
    }
  }
}

/** What the runs exercised, to show the property was not vacuous. */
const seen = { runs: 0, held: 0, delivered: 0 }

/** Plays `steps` on a fresh node; resolves with the broken invariants (none: []). */
async function play (steps: Step[]): Promise<string[]> {
  const node = new Node()
  const owners: Pid[] = []
  const created: string[] = []
  const failures: string[] = []
  const expect: Expect = (ok, what) => { if (!ok) failures.push(what) }
  const probes = new Map<Pid, Probe>()
  const living = (): Pid[] => [...owners, ...HEIR_NAMES.map(n => node.whereis(n)).filter(p => p !== undefined)]
    .filter(p => node.isAlive(p))
  seen.runs++

  for (const s of steps) {
    switch (s.op) {
      case 'spawnOwner': {
        const linkTo = s.linkToHeir && node.whereis(s.linkToHeir)
        const p = await startProbe(node, linkTo ? { linkTo } : {})
        probes.set(p.pid, p)
        owners.push(p.pid)
        break
      }
      case 'create': {
        const all = living()
        if (all.length === 0) break
        const name = `t${created.length}`
        probes.get(all[s.owner % all.length])!.ctx.tables.create(name, {}, { name: s.heir })
        created.push(name)
        break
      }
      case 'giveAway': {
        const all = living()
        const from = all[s.owner % all.length]
        const to = all[s.to % all.length]
        const table = from && node.tables.ownedBy(from)[0]
        if (table !== undefined && from !== to) probes.get(from)!.ctx.tables.giveAway(table, to)
        break
      }
      case 'killOwner': {
        const alive = owners.filter(p => node.isAlive(p))
        if (alive.length > 0) node.exit(alive[s.owner % alive.length], s.reason)
        break
      }
      case 'killHeir': {
        const holder = node.whereis(s.heir)
        if (holder) node.exit(holder, s.reason)
        break
      }
      case 'startHeir': {
        if (node.whereis(s.heir)) break
        const waiting = node.tables.held()[s.heir] ?? []
        const holder = await startProbe(node, { name: s.heir }, () => ({ handleCall: () => 'synced' }))
        probes.set(holder.pid, holder)
        await node.call(holder.pid, 'sync') // the ETS-TRANSFER messages were queued before this call
        const transferred = holder.inbox.pending.filter(m => m?.type === 'ETS-TRANSFER').map(m => m.table as string)
        expect(waiting.every(n => node.tables.get(n)?.owner === holder.pid), `${s.heir} owns ${waiting.join()}`)
        expect(transferred.join() === waiting.join(), `${s.heir} got ETS-TRANSFER for ${waiting.join()}`)
        expect(node.tables.held()[s.heir] === undefined, `the pen for ${s.heir} is empty`)
        seen.delivered += waiting.length
        break
      }
    }
    seen.held += Object.values(node.tables.held()).flat().length
    checkNoTableLost(node, created, expect)
    if (failures.length > 0) return [`after ${JSON.stringify(s)}`, ...failures]
  }
  return []
}

t.test('no_table_is_lost_under_random_crashes', async t => {
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40, size: 'max' }), async steps => {
    const failures = await play(steps)
    if (failures.length > 0) throw new Error(failures.join('; '))
  }), { numRuns: 300 })
  t.equal(seen.runs, 300)
  t.ok(seen.held > 0 && seen.delivered > 0, `tables were held (${seen.held}) and delivered (${seen.delivered})`)
})
