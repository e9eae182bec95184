// Runs the tap suite and ends with the plain line "N passed, N failed" that CI counts.
// Extra arguments go to tap (for example a single test file).
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const tap = spawn('npx', ['tap', '--reporter=tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let summary = null
createInterface({ input: tap.stdout }).on('line', line => {
  process.stdout.write(line + '\n')
  const m = /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(line)
  if (m) summary = { total: +m[1], pass: +(m[2] ?? 0), fail: +(m[3] ?? 0) }
})
tap.on('close', code => {
  const failed = summary ? summary.total - summary.pass : 1
  const passed = summary ? summary.pass : 0
  process.stdout.write(`${passed} passed, ${failed} failed\n`)
  process.exit(code === 0 && summary && failed === 0 && passed > 0 ? 0 : 1)
})
