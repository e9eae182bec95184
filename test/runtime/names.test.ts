// Registered names: one process a name, freed when it exits.
import t from 'tap'
import { Crash } from '../../src/runtime/types.js'
import { idle, Node } from './support.js'

t.setTimeout(10_000)

t.test('name_is_registered_before_init', async t => {
  const node = new Node()
  let seen: string | undefined
  const pid = await node.start(ctx => ({ init () { seen = ctx.whereis('me') } }), { name: 'me' })
  t.equal(seen, pid)
  t.equal(node.whereis('me'), pid)
})

t.test('already_registered', async t => {
  const node = new Node()
  const holder = await node.start(idle, { name: 'taken' })
  await t.rejects(node.start(idle, { name: 'taken' }), { name: 'RuntimeError', code: 'already_registered' })
  t.equal(node.whereis('taken'), holder, 'the holder keeps it')
  t.same(node.pids(), [holder], 'the refused process never existed')
})

t.test('names_are_freed_on_every_kind_of_exit', async t => {
  const node = new Node()
  for (const reason of ['normal', 'shutdown', 'kill', new Crash(new Error('boom'))] as const) {
    const pid = await node.start(ctx => ({ handleCast: () => ctx.exitSelf(reason) }), { name: 'n' })
    const exited = node.whenExited(pid)
    node.cast('n', 'stop')
    await exited
    t.equal(node.whereis('n'), undefined, `freed after ${String(reason)}`)
    const again = await node.start(idle, { name: 'n' })
    t.equal(node.whereis('n'), again, 'and can be taken again')
    node.exit(again, 'kill')
  }
})

t.test('messages_to_a_name_reach_its_current_holder', async t => {
  const node = new Node()
  const first = await node.start(() => ({ handleCall: () => 'first' }), { name: 'svc' })
  t.equal(await node.call('svc', 'who'), 'first')
  node.exit(first, 'kill')
  await t.rejects(node.call('svc', 'who'), { name: 'CallError', reason: 'noproc' })
  await node.start(() => ({ handleCall: () => 'second' }), { name: 'svc' })
  t.equal(await node.call('svc', 'who'), 'second')
})
