// Monitors: a DOWN message with the exit reason, once, unless demonitored.
import t from 'tap'
import { Crash } from '../../src/runtime/types.js'
import { idle, Node, startProbe } from './support.js'

t.setTimeout(10_000)

t.test('monitor_gets_down_with_the_exit_reason', async t => {
  const node = new Node()
  const watcher = await startProbe(node)
  const target = await node.start(idle)
  const ref = watcher.ctx.monitor(target)
  const reason = new Crash(new Error('boom'))
  node.exit(target, reason)
  t.same(await watcher.inbox.take(), { type: 'DOWN', ref, pid: target, reason })
})

t.test('monitor_by_name_reports_the_pid', async t => {
  const node = new Node()
  const watcher = await startProbe(node)
  const target = await node.start(idle, { name: 'named' })
  const ref = watcher.ctx.monitor('named')
  node.exit(target, 'kill')
  t.same(await watcher.inbox.take(), { type: 'DOWN', ref, pid: target, reason: 'killed' })
})

t.test('monitor_of_a_dead_target_is_down_noproc_at_once', async t => {
  const node = new Node()
  const watcher = await startProbe(node)
  const dead = await node.start(idle)
  node.exit(dead, 'kill')
  const ref = watcher.ctx.monitor(dead)
  t.same(await watcher.inbox.take(), { type: 'DOWN', ref, pid: dead, reason: 'noproc' })
  const byName = watcher.ctx.monitor('nobody')
  t.same(await watcher.inbox.take(), { type: 'DOWN', ref: byName, pid: 'nobody', reason: 'noproc' })
})

t.test('normal_exit_is_reported_to_monitors', async t => {
  const node = new Node()
  const watcher = await startProbe(node)
  const target = await node.start(ctx => ({ handleCast: () => ctx.exitSelf('normal') }))
  const ref = watcher.ctx.monitor(target)
  node.cast(target, 'stop')
  t.same(await watcher.inbox.take(), { type: 'DOWN', ref, pid: target, reason: 'normal' })
})

t.test('demonitor_stops_the_down_message', async t => {
  const node = new Node()
  const watcher = await startProbe(node)
  const target = await node.start(idle)
  const kept = watcher.ctx.monitor(target)
  const dropped = watcher.ctx.monitor(target)
  watcher.ctx.demonitor(dropped)
  node.exit(target, 'kill')
  node.send(watcher.pid, 'marker')
  t.same(await watcher.inbox.take(), { type: 'DOWN', ref: kept, pid: target, reason: 'killed' })
  t.equal(await watcher.inbox.take(), 'marker', 'no DOWN for the removed monitor')
})

t.test('a_monitor_does_not_link', async t => {
  const node = new Node()
  const watcher = await startProbe(node)
  const target = await node.start(idle)
  watcher.ctx.monitor(target)
  node.exit(target, new Crash(new Error('boom')))
  await watcher.inbox.take()
  t.ok(node.isAlive(watcher.pid))
})
