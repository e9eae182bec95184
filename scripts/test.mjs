// Runs the static checks (npm run typecheck, npm run lint), then the tap suite, and
// ends with the plain line "N passed, N failed" that CI counts: each static check
// counts as one test, so a type or lint error is a failure in that line too.
// Extra arguments go to tap (for example a single test file); with them only those
// files run, without the static checks. Without them the suite runs in two tap
// runs: everything but test/hostile, then test/hostile alone, one file at a time.
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

/**
 * One tap run; resolves with its counts (a run that printed no summary
 * counts as one failure) and whether it exited 0.
 */
function runTap (args) {
  return new Promise(resolve => {
    const tap = spawn('npx', ['tap', '--reporter=tap', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let summary = null
    createInterface({ input: tap.stdout }).on('line', line => {
      process.stdout.write(line + '\n')
      const m = /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(line)
      if (m) summary = { total: +m[1], pass: +(m[2] ?? 0) }
    })
    tap.on('close', code => resolve({
      passed: summary ? summary.pass : 0,
      failed: summary ? summary.total - summary.pass : 1,
      ok: code === 0 && summary !== null,
    }))
  })
}

// The hostile suite measures latency while one request attacks the server:
// it runs last and alone (one file at a time), so that the rest of the
// suite's load is not what it measures.
const HOSTILE = 'test/hostile/*.test.ts'
const runs = files.length
  ? [files]
  : [[`--exclude=${HOSTILE}`], ['--jobs=1', HOSTILE]]
let passed = checksPassed
let failed = checksFailed.length
let ok = checksFailed.length === 0
for (const args of runs) {
  const run = await runTap(args)
  passed += run.passed
  failed += run.failed
  ok &&= run.ok && run.failed === 0
}
if (checksFailed.length) {
  process.stdout.write(`# failed before the tap run: ${checksFailed.join(', ')} (see its output above)\n`)
}
process.stdout.write(`${passed} passed, ${failed} failed\n`)
process.exit(ok && passed > 0 ? 0 : 1)
