// The README's curl walkthrough, run command by command against a real
// listening server, each answer checked against the output the README shows.
import { existsSync, readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { listen, tempDir } from '../helpers.js'
import { haveCurl, type Runner, runCurl } from './curl.js'
import { differences, expectedStatus, parseDocumented } from './documented.js'
import { type Step, walkthrough } from './readme.js'

const README = new URL('../../README.md', import.meta.url)

/** Pipes that only reformat JSON leave the documented output comparable. */
const REFORMATS = /^jq(\s+-[CSMc])*(\s+'?\.'?)?$/

async function run (t: Test, steps: Step[], source: string, runner: Runner = haveCurl ? 'curl' : 'fetch'): Promise<void> {
  const dataDir = await tempDir(t)
  let server = await listen(t, { dataDir })
  t.comment(`running the commands with ${runner}`)
  for (const [i, step] of steps.entries()) {
    const where = `${source}:${step.line}`
    if (step.startsServer) {
      if (steps.slice(0, i).some(s => !s.startsServer)) {
        await server.app.close()
        server = await listen(t, { dataDir })
        t.comment(`${where}: ${step.command}: restarted the server on the same data directory`)
      }
      continue
    }
    const result = await runCurl(step.argv, new URL(server.url).host, runner)
    const documented = step.output === undefined ? { headers: {} } : parseDocumented(step.output)
    const status = expectedStatus(documented)
    if (status === '2xx') t.ok(result.status >= 200 && result.status < 300, `${where} ${step.command} → ${result.status} ${result.body}`)
    else t.equal(result.status, status, `${where} ${step.command} → ${status}`)
    if (step.pipe !== undefined && !REFORMATS.test(step.pipe)) {
      t.comment(`${where}: output piped to \`${step.pipe}\`, not compared`)
    } else {
      t.same(differences(result, documented), [], `${where} answers what the README shows`)
    }
  }
}

t.test('the_readme_walkthrough_runs_as_documented', async t => {
  t.ok(existsSync(README), 'README.md exists')
  if (!existsSync(README)) return
  const steps = walkthrough(readFileSync(README, 'utf8'))
  t.ok(steps.length > 0, 'README.md has curl commands in fenced blocks')
  await run(t, steps, 'README.md')
})

// The reader and the runner, on a walkthrough written in every style a README may use.
const SAMPLE = `# Sample

\`\`\`sh
curl -s -X POST localhost:4000/v1/tables \\
  -H 'content-type: application/json' \\
  -d '{"name":"users","type":"bag"}'
\`\`\`

\`\`\`json
{"name": "users", "type": "bag", "size": 0, "owner": "<0.4.0>", "created": "2024-01-01T00:00:00.000Z"}
\`\`\`

\`\`\`console
$ curl -s -X PUT http://localhost:4000/v1/tables/users/objects/ada -H "content-type: application/json" -d "{\\"value\\": {\\"born\\": 1815}}"
$ curl -i localhost:4000/v1/tables/users/objects/ada
HTTP/1.1 200 OK
content-type: application/json; charset=utf-8

{"key": "ada", "values": [{"born": 1815}]}
$ curl -s localhost:4000/v1/tables/nope | jq .
{
  "type": "urn:heirloom:table_not_found",
  "status": 404,
  "code": "table_not_found"
}
\`\`\`

\`\`\`bash
curl -s -X POST localhost:4000/v1/faults/crash -H 'content-type: application/json' -d '{"process":"table_handler","table":"users"}'
# → {"crashed": ["<0.4.0>"]}
curl -s localhost:4000/v1/processes | jq '.tree.children[0].children[0].pid'
\`\`\`

Restart it:

\`\`\`sh
npm start -- --faults
\`\`\`

\`\`\`sh
$ curl -s localhost:4000/v1/tables/users
{"name": "users", "size": 0, "restarts": 0}
\`\`\`
`

t.test('the_reader_finds_commands_continuations_and_their_output', async t => {
  const steps = walkthrough(SAMPLE)
  t.same(steps.map(s => s.line), [4, 14, 15, 20, 29, 31, 37, 41])
  t.same(steps.map(s => s.startsServer ?? false), [false, false, false, false, false, false, true, false])
  t.same(steps[0].argv, ['curl', '-s', '-X', 'POST', 'localhost:4000/v1/tables', '-H', 'content-type: application/json', '-d', '{"name":"users","type":"bag"}'])
  t.match(steps[0].output, /^\{"name": "users"/, 'an output block of its own')
  t.same(steps[1].argv.at(-1), '{"value": {"born": 1815}}', 'double quotes and escapes')
  t.equal(steps[1].output, undefined, 'a command with no output shown')
  t.match(steps[2].output, /^HTTP\/1.1 200 OK\n/, 'output after a prompt')
  t.equal(steps[3].pipe, 'jq .')
  t.equal(steps[4].output, '{"crashed": ["<0.4.0>"]}', 'output in a comment')
  t.equal(steps[5].pipe, "jq '.tree.children[0].children[0].pid'")
})

t.test('the_runner_passes_a_sample_walkthrough_with_curl_and_with_fetch', async t => {
  if (haveCurl) await t.test('curl', t => run(t, walkthrough(SAMPLE), 'sample', 'curl'))
  await t.test('fetch', t => run(t, walkthrough(SAMPLE), 'sample', 'fetch'))
})

t.test('a_walkthrough_that_disagrees_with_the_server_is_caught', async t => {
  const wrong = SAMPLE.replace('"size": 0', '"size": 7').replace('"status": 404', '"status": 410')
  const steps = walkthrough(wrong)
  const { url } = await listen(t)
  const first = await runCurl(steps[0].argv, new URL(url).host)
  t.same(differences(first, parseDocumented(steps[0].output!)), ['$.size: shown 7, got 0'])
  t.equal(expectedStatus(parseDocumented(steps[3].output!)), 410, 'a problem body sets the status')
})
