/**
 * Log capture: every crash, restart, transfer to an heir, holding-pen stay
 * and hand-back is one structured pino line naming the process, its pid,
 * the table and the reason; no line per request unless --access-log asks.
 */
import { Writable } from 'node:stream'
import t from 'tap'
import { until } from './http/client.js'
import { listen } from './helpers.js'

interface Line { level: number; msg: string; event?: string; process?: string; pid?: number; processPid?: string; table?: string; reason?: string; inherited?: boolean; [k: string]: unknown }

const WARN = 40
const ERROR = 50

function capture (): { stream: Writable; lines: Line[] } {
  const lines: Line[] = []
  let rest = ''
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      const text = rest + chunk.toString()
      const parts = text.split('\n')
      rest = parts.pop()!
      for (const part of parts) {
        if (part === '') continue
        // JSON.parse keeps the last of two members of one name: count them in the text.
        if ((part.match(/"pid":/g) ?? []).length > 1) throw new Error(`two pid members in ${part}`)
        lines.push(JSON.parse(part) as Line)
      }
      done()
    },
  })
  return { stream, lines }
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

t.test('a_handler_crash_logs_the_crash_the_inheritance_the_restart_and_the_hand_back', async t => {
  const { stream, lines } = capture()
  const { url } = await listen(t, { faults: true, logger: { level: 'info', stream } })
  await fetch(`${url}/v1/tables`, json({ name: 'users' }))
  const handler = (await (await fetch(`${url}/v1/tables/users`)).json() as { owner: string }).owner
  lines.length = 0
  await fetch(`${url}/v1/faults/crash`, json({ process: 'table_handler', table: 'users' }))
  const restarted = await until('the restart line', async () => lines.find(l => l.event === 'child_restarted'))

  const crash = lines.find(l => l.event === 'exited')
  t.match(crash, { level: WARN, process: 'table_handler:users', processPid: handler, pid: process.pid, table: 'users', reason: 'Error: fault injected' })
  t.match(lines.find(l => l.event === 'table_transferred' && l.inherited === true), { level: WARN, table: 'users', from: handler, process: 'table_manager' })
  t.match(restarted, { level: 30, process: 'table_handler:users', table: 'users', supervisor: 'table_sup', restarts: 1 })
  t.match(lines.find(l => l.event === 'table_transferred' && l.inherited === false), { table: 'users', fromProcess: 'table_manager', process: 'table_handler:users' })
  t.equal(lines.filter(l => l.msg === 'request' || l.msg === 'incoming request').length, 0, 'no access log by default')
})

t.test('a_manager_crash_is_an_error_and_tables_parked_in_the_holding_pen_are_logged', async t => {
  const { stream, lines } = capture()
  const { url } = await listen(t, { faults: true, logger: { level: 'info', stream } })
  await fetch(`${url}/v1/tables`, json({ name: 'orders' }))
  lines.length = 0
  // Both in one tick: the handler's heir is dead, so its table waits in the holding pen.
  await fetch(`${url}/v1/faults/crash`, json([{ process: 'table_manager' }, { process: 'table_handler', table: 'orders' }]))
  await until('both restarts', async () => lines.filter(l => l.event === 'child_restarted').length >= 2 ? true : undefined)
  await until('the table handed back', async () =>
    lines.find(l => l.event === 'table_transferred' && l.table === 'orders' && l.process === 'table_handler:orders'))
  t.match(lines.find(l => l.event === 'exited' && l.process === 'table_manager'), { level: ERROR, table: undefined, reason: 'Error: fault injected' })
  t.match(lines.find(l => l.event === 'table_held'), { level: WARN, table: 'orders', heir: 'table_manager' })
  t.equal(lines.filter(l => l.event === 'table_lost').length, 0)
})

t.test('a_drop_or_a_rename_logs_no_inheritance_warning', async t => {
  const { stream, lines } = capture()
  const { url } = await listen(t, { logger: { level: 'debug', stream } })
  await fetch(`${url}/v1/tables`, json({ name: 'a' }))
  await fetch(`${url}/v1/tables`, json({ name: 'b' }))
  lines.length = 0
  t.equal((await fetch(`${url}/v1/tables/a`, { method: 'DELETE' })).status, 204)
  t.equal((await fetch(`${url}/v1/tables/b/rename`, json({ name: 'c' }))).status, 200)
  const given = lines.filter(l => l.event === 'table_transferred' && l.inherited === true)
  t.ok(given.length >= 2, 'each stopped handler\'s table went to its heir')
  t.same(given.map(l => l.level), given.map(() => 20), 'at debug: no crash')
  t.equal(lines.filter(l => l.level >= WARN).length, 0, 'no warning, no error')
})

t.test('access_log_writes_one_line_per_request_at_the_chosen_level', async t => {
  const { stream, lines } = capture()
  const { url } = await listen(t, { accessLog: 'debug', logger: { level: 'debug', stream } })
  await fetch(`${url}/v1/tables`)
  await fetch(`${url}/nowhere`)
  const access = lines.filter(l => l.msg === 'request')
  t.match(access, [
    { level: 20, method: 'GET', url: '/v1/tables', route: '/v1/tables', status: 200 },
    { level: 20, method: 'GET', url: '/nowhere', status: 404 },
  ])
})
