// Runs the static checks (npm run typecheck, npm run lint), then the tap suite, and
// ends with the plain line "N passed, N failed" that CI counts: each static check
// counts as one test, so a type or lint error is a failure in that line too.
// Extra arguments go to tap (for example a single test file); with them only those
// files run, without the static checks.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const files = process.argv.slice(2)
const checks = files.length ? [] : ['typecheck', 'lint']

let checksPassed = 0
const checksFailed = []
for (const name of checks) {
  process.stdout.write(`# npm run ${name}\n`)
  const code = await new Promise(resolve => {
    spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'inherit', 'inherit'] })
      .on('error', () => resolve(1))
      .on('close', resolve)
  })
  if (code === 0) {
    checksPassed++
    process.stdout.write(`# npm run ${name}: ok\n`)
  } else {
    checksFailed.push(`npm run ${name}`)
    process.stdout.write(`# npm run ${name}: FAILED (exit ${code})\n`)
  }
}

const tap = spawn('npx', ['tap', '--reporter=tap', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let summary = null
createInterface({ input: tap.stdout }).on('line', line => {
  process.stdout.write(line + '\n')
  const m = /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(line)
  if (m) summary = { total: +m[1], pass: +(m[2] ?? 0), fail: +(m[3] ?? 0) }
})
tap.on('close', code => {
  const tapFailed = summary ? summary.total - summary.pass : 1
  const tapPassed = summary ? summary.pass : 0
  const ok = code === 0 && summary && tapFailed === 0 && tapPassed > 0 && checksFailed.length === 0
  if (checksFailed.length) {
    process.stdout.write(`# failed before the tap run: ${checksFailed.join(', ')} (see its output above)\n`)
  }
  process.stdout.write(`${checksPassed + tapPassed} passed, ${checksFailed.length + tapFailed} failed\n`)
  process.exit(ok ? 0 : 1)
})
