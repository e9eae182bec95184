/**
 * The views of every table (the list, the process tree) are made a part a
 * turn of the event loop, so that a node of many tables is not held up by
 * one request for them (10,000 tables held it 25 and 80 ms); a node of
 * few is described in one go, as it is at the call.
 */
import t, { type Test } from 'tap'
import { TABLES_PER_TURN, type TableService } from '../../src/tables/service.js'
import { startService } from '../helpers.js'

/** Turns of the event loop that pass while `work` runs. */
async function turnsDuring (work: () => Promise<unknown>): Promise<number> {
  let turns = 0
  let ticking = true
  const tick = (): void => {
    turns++
    if (ticking) setImmediate(tick)
  }
  setImmediate(tick)
  const seen = turns
  await work()
  ticking = false
  return turns - seen
}

async function withTables (t: Test, count: number): Promise<TableService> {
  const service = await startService(t, { maxTables: count })
  for (let i = 0; i < count; i++) await service.create(`t${i}`, 'set')
  return service
}

t.test('a_node_of_2001_tables_is_listed_a_part_a_turn_and_wholly', async t => {
  const count = 2 * TABLES_PER_TURN + 1
  const service = await withTables(t, count)
  // One call to table_sup, as the list makes (for the restart counts): the turns it takes alone.
  const call = await turnsDuring(() => service.info('t0'))
  let infos: Awaited<ReturnType<TableService['list']>> = []
  const listing = await turnsDuring(async () => { infos = await service.list() })
  t.equal(infos.length, count, 'every table')
  t.same(infos.map(info => info.name), Array.from({ length: count }, (_, i) => `t${i}`), 'in catalog order, once each')
  t.ok(listing >= call + 2, `${listing} turns listing, ${call} for the call: at least 2 more, one a ${TABLES_PER_TURN} tables`)

  let view: Awaited<ReturnType<TableService['processes']>> | undefined
  const viewing = await turnsDuring(async () => { view = await service.processes() })
  const handlers = view?.tree?.children?.find(child => child.id === 'table_sup')?.children ?? []
  t.equal(handlers.length, count, 'every handler in the tree')
  t.equal(view?.heirs.length, count, 'every table\'s heir')
  // 2,001 handlers and 2,001 heirs, 200 a turn.
  t.ok(viewing >= 20, `${viewing} turns making the process tree`)
})

t.test('a_node_of_few_tables_is_described_in_one_go_at_the_call', async t => {
  const service = await withTables(t, 3)
  const viewing = await turnsDuring(() => service.processes())
  t.equal(viewing, 0, 'no turn passes')
})
