/** The command line when its port cannot be had: one line and exit 2, like the other start-up failures. */
import { once } from 'node:events'
import { createServer } from 'node:net'
import t from 'tap'
import { exitOf, run } from './cli.js'
import { build, tempDir } from './helpers.js'

t.test('a_port_in_use_is_one_line_and_exit_2_after_a_clean_close', async t => {
  const holder = createServer()
  holder.listen(0, '127.0.0.1')
  await once(holder, 'listening')
  t.teardown(() => { holder.close() })
  const port = (holder.address() as { port: number }).port
  const dataDir = await tempDir(t)
  const child = run(['--port', String(port), '--data-dir', dataDir])
  let stdout = ''
  child.stdout!.on('data', chunk => { stdout += chunk })
  const { code, stderr } = await exitOf(child)
  t.equal(stderr, `heirloom: port ${port} on 127.0.0.1 is in use\n`, 'one line, no stack trace')
  t.equal(code, 2)
  // The tree was stopped on purpose: its exit is no crash to report (nor an exit 1 racing the 2).
  t.notMatch(stdout, /root supervisor exited/)
  // The catalog was closed and is whole.
  const app = await build(t, { dataDir })
  t.same(await app.tables.list(), [])
})
