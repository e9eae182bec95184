// Processes, health, faults and unknown routes over HTTP (inject).
import t from 'tap'
import { build } from '../helpers.js'
import { expectProblem } from './problem.js'

const PID = /^<0\.\d+\.0>$/

t.test('processes_show_the_supervision_tree_and_the_holding_pen', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const res = await app.inject({ url: '/v1/processes' })
  t.equal(res.statusCode, 200)
  const { tree, holdingPen } = res.json()
  t.same(holdingPen, {})
  t.match(tree, { pid: PID, name: 'root', status: 'running', behaviour: 'supervisor' })
  const [sup, manager] = tree.children
  t.match(sup, { pid: PID, name: 'table_sup', id: 'table_sup', restart: 'permanent', restarts: 0, behaviour: 'supervisor' })
  t.match(manager, { pid: PID, name: 'table_manager', id: 'table_manager', restart: 'permanent', restarts: 0, behaviour: 'table_manager' })
  t.match(sup.children, [{ pid: PID, name: 'table_handler:users', id: 'users', restart: 'permanent', restarts: 0, tables: ['users'] }])
  t.equal(sup.children.length, 1)
})

t.test('healthz_is_ok_with_the_version', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/healthz' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ok', version: String })
})

t.test('readyz_is_ready_while_the_tree_is_up', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ready' })
})

t.test('readyz_is_503_while_the_service_is_stopping', async t => {
  const app = await build(t)
  await app.tables.stop()
  const res = await app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'not_ready' })
})

t.test('an_unknown_route_is_404_not_found', async t => {
  const app = await build(t)
  for (const [method, url] of [['GET', '/nope'], ['GET', '/v1/tables/users/rows'], ['GET', '/v1']] as const) {
    const body = await expectProblem(t, await app.inject({ method, url }), 404, 'not_found')
    t.equal(body.instance, url)
  }
})

t.test('the_faults_route_is_absent_without_faults', async t => {
  const app = await build(t, { faults: false })
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const res = await app.inject({ method: 'POST', url: '/v1/faults/crash', payload: { process: 'table_manager' } })
  await expectProblem(t, res, 404, 'not_found')
  t.equal((await app.inject({ url: '/v1/processes' })).json().tree.children[1].restarts, 0, 'nothing crashed')
})

t.test('a_crash_is_202_with_the_crashed_pids', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const manager = app.tables.node.whereis('table_manager')!
  const handler = app.tables.node.whereis('table_handler:users')!
  const exits = [app.tables.node.whenExited(manager), app.tables.node.whenExited(handler)]
  const res = await app.inject({ method: 'POST', url: '/v1/faults/crash', payload: [{ process: 'table_manager' }, { process: 'table_handler', table: 'users' }] })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { crashed: [manager, handler] })
  await Promise.all(exits)
  t.pass('both exited')
})

t.test('crashing_a_process_that_does_not_exist_is_404_process_not_found', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/v1/tables', payload: { name: 'users' } })
  const handler = app.tables.node.whereis('table_handler:users')
  const res = await app.inject({ method: 'POST', url: '/v1/faults/crash', payload: [{ process: 'table_handler', table: 'users' }, { process: 'table_handler', table: 'nope' }] })
  await expectProblem(t, res, 404, 'process_not_found')
  t.equal(app.tables.node.whereis('table_handler:users'), handler, 'a refused batch crashes nobody')
})

t.test('a_bad_crash_target_is_400_validation_failed', async t => {
  const app = await build(t)
  for (const payload of [{}, { process: 'root' }, { process: 'table_handler' }, { process: 'table_handler', table: '../x' }, []]) {
    await expectProblem(t, await app.inject({ method: 'POST', url: '/v1/faults/crash', payload }), 400, 'validation_failed')
  }
})
