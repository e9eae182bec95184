// Table ownership: only the owner gives a table away, changes its heir or
// deletes it; give_away refuses what ETS refuses.
import t from 'tap'
import { idle, Node, startProbe } from './support.js'

t.setTimeout(10_000)

async function setup () {
  const node = new Node()
  const owner = await startProbe(node)
  const other = await startProbe(node)
  owner.ctx.tables.create('t', {}, { name: 'table_manager' })
  return { node, owner, other }
}

t.test('give_away_transfers_with_a_message', async t => {
  const { node, owner, other } = await setup()
  owner.ctx.tables.giveAway('t', other.pid, { claim: 1 })
  t.same(await other.inbox.take(), { type: 'ETS-TRANSFER', table: 't', from: owner.pid, data: { claim: 1 } })
  t.equal(node.tables.get('t')?.owner, other.pid)
  t.same(node.tables.ownedBy(owner.pid), [])
  t.same(node.tables.get('t')?.heir, { name: 'table_manager' }, 'the heir is kept')
})

t.test('give_away_refusals', async t => {
  const { node, owner, other } = await setup()
  t.throws(() => other.ctx.tables.giveAway('t', other.pid), { code: 'not_owner' })
  t.throws(() => owner.ctx.tables.giveAway('t', owner.pid), { code: 'already_owner' })
  const dead = await node.start(idle)
  node.exit(dead, 'kill')
  t.throws(() => owner.ctx.tables.giveAway('t', dead), { code: 'process_dead' })
  t.throws(() => owner.ctx.tables.giveAway('missing', other.pid), { code: 'no_table' })
  t.equal(node.tables.get('t')?.owner, owner.pid, 'nothing changed')
})

t.test('a_held_table_cannot_be_given_away_by_anyone', async t => {
  const { node, owner, other } = await setup()
  node.exit(owner.pid, 'kill')
  t.throws(() => other.ctx.tables.giveAway('t', other.pid), { code: 'not_owner' })
  t.throws(() => other.ctx.tables.delete('t'), { code: 'not_owner' })
})

t.test('set_heir_only_by_the_owner', async t => {
  const { node, owner, other } = await setup()
  t.throws(() => other.ctx.tables.setHeir('t', { pid: other.pid }), { code: 'not_owner' })
  owner.ctx.tables.setHeir('t', { pid: other.pid, data: 'x' })
  t.same(node.tables.get('t')?.heir, { pid: other.pid, data: 'x' })
  owner.ctx.tables.setHeir('t', undefined)
  node.exit(owner.pid, 'kill')
  t.equal(node.tables.get('t'), undefined, 'heir none: deleted with its owner')
})

t.test('delete_only_by_the_owner', async t => {
  const { node, owner, other } = await setup()
  t.throws(() => other.ctx.tables.delete('t'), { code: 'not_owner' })
  owner.ctx.tables.delete('t')
  t.equal(node.tables.get('t'), undefined)
  t.same(node.tables.ownedBy(owner.pid), [])
  node.exit(owner.pid, 'kill')
  t.same(node.tables.held(), {}, 'a deleted table is not inherited')
})

t.test('create_refuses_a_taken_name_and_a_dead_owner', async t => {
  const { node, owner, other } = await setup()
  t.throws(() => other.ctx.tables.create('t', {}), { code: 'table_exists' })
  node.exit(owner.pid, 'kill')
  t.throws(() => other.ctx.tables.create('t', {}), { code: 'table_exists' }, 'also while held')
  const dead = await node.start(idle)
  node.exit(dead, 'kill')
  t.throws(() => node.tables.create(dead, 'u', {}), { code: 'process_dead' })
})

t.test('a_dead_owner_cannot_act_through_its_context', async t => {
  const { node, owner } = await setup()
  node.exit(owner.pid, 'kill')
  t.throws(() => owner.ctx.tables.delete('t'), { code: 'process_dead' })
})

t.test('rename_only_by_the_owner_to_a_free_name', async t => {
  const { node, owner, other } = await setup()
  other.ctx.tables.create('taken', {})
  t.throws(() => other.ctx.tables.rename('t', 'u'), { code: 'not_owner' })
  t.throws(() => owner.ctx.tables.rename('t', 'taken'), { code: 'table_exists' })
  owner.ctx.tables.rename('t', 'u')
  t.equal(node.tables.get('t'), undefined)
  t.equal(node.tables.get('u')?.owner, owner.pid)
  t.same(node.tables.ownedBy(owner.pid), ['u'])
  node.exit(owner.pid, 'kill')
  t.same(node.tables.held(), { table_manager: ['u'] }, 'inherited under its new name')
})
