/**
 * openapi.yaml passes @redocly/cli's recommended rules with no error and no
 * warning (redocly.yaml may turn a rule off, with a comment saying why).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const REDOCLY = fileURLToPath(new URL('../../node_modules/.bin/redocly', import.meta.url))

interface Problem { ruleId: string; severity: string; message: string; location?: Array<{ pointer?: string }> }

t.test('redocly lint --extends=recommended: no errors, no warnings', async t => {
  const child = spawn(REDOCLY, ['lint', '--extends=recommended', '--format=json', 'openapi.yaml'], {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', chunk => { stdout += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: Problem[] }
  const problems = report.problems.map(p => `${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer ?? '?'}: ${p.message}`)
  t.same(problems, [], 'no problems')
  t.same(report.totals, { ...report.totals, errors: 0, warnings: 0 })
  t.equal(code, 0, 'redocly exits 0')
})
