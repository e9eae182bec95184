/**
 * A generated client, used as a user would: types from openapi.yaml by
 * openapi-typescript (its defaults), the calls through openapi-fetch,
 * type-checked by tsc, run against a real server on 127.0.0.1 with every
 * answer checked against openapi.yaml (not against the zod schemas: the
 * server runs with its production serializer).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { listen } from '../helpers.js'
import { checkingFetch, SpecChecker } from './spec.js'
import { everyOperation, heirloomClient, readmeWalkthrough } from './walkthrough.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string): string => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url))

/** Operations the walkthrough does not call yet, each with the reason. */
const NOT_CALLED: Record<string, string> = {
  'GET /v1/changes': 'a stream: its own tests (routes/changes.ts) read it',
  'GET /v1/tables/{table}/changes': 'a stream: its own tests (routes/changes.ts) read it',
}

async function run (command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += chunk })
  child.stderr.on('data', chunk => { stderr += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

t.test('api_d_ts_is_what_openapi_typescript_generates_from_openapi_yaml (run `npm run openapi` when this fails)', async t => {
  const generated = await run(bin('openapi-typescript'), ['openapi.yaml'])
  t.equal(generated.code, 0, generated.stderr)
  t.equal(await readFile(new URL('./api.d.ts', import.meta.url), 'utf8'), generated.stdout)
})

t.test('the_walkthrough_type_checks_against_the_generated_types', async t => {
  const checked = await run(bin('tsc'), ['-p', 'test/contract/tsconfig.json'])
  t.equal(checked.code, 0, checked.stdout + checked.stderr)
})

t.test('the_readme_walkthrough_and_every_operation_through_openapi_fetch_answer_as_documented', async t => {
  const { url } = await listen(t, { faults: true, validateResponses: false })
  const checker = new SpecChecker()
  const client = heirloomClient(url, { fetch: checkingFetch(checker) })
  await readmeWalkthrough(client)
  await everyOperation(client)
  const missing = checker.operations().filter(op => !checker.seen.has(op) && NOT_CALLED[op] === undefined)
  t.same(missing, [], 'every documented operation was called and checked')
})

t.test('with_a_token_every_route_but_health_answers_401_as_documented', async t => {
  const { url } = await listen(t, { faults: true, validateResponses: false, token: 's3cret' })
  const checker = new SpecChecker()
  const anonymous = heirloomClient(url, { fetch: checkingFetch(checker) })
  equal401((await anonymous.GET('/v1/tables')).error)
  equal401((await anonymous.POST('/v1/tables/{table}/first', { params: { path: { table: 'x' } } })).error)
  t.equal((await anonymous.GET('/healthz')).response.status, 200)
  const authorised = heirloomClient(url, { token: 's3cret', fetch: checkingFetch(checker) })
  t.equal((await authorised.GET('/v1/tables')).response.status, 200)

  function equal401 (error: { code?: string } | undefined): void {
    t.equal(error?.code, 'unauthorized')
  }
})

t.test('a_checker_rejects_an_answer_the_document_does_not_allow', async t => {
  const checker = new SpecChecker()
  t.throws(() => checker.check('GET', '/v1/tables/x', 200, 'application/json', '{"name":"x"}'), /must have required property/)
  t.throws(() => checker.check('GET', '/v1/tables/x', 418, 'application/json', '{}'), /status not documented/)
  t.throws(() => checker.check('GET', '/v1/nowhere', 200, 'application/json', '{}'), /not in openapi.yaml/)
  t.throws(() => checker.check('GET', '/v1/tables', 401, 'application/problem+json',
    '{"type":"urn:heirloom:not_found","title":"t","status":401,"code":"not_found"}'), /code/)
})
