/** The API reference and the spec, served offline, behind the token like the rest. */
import { readFile } from 'node:fs/promises'
import t from 'tap'
import YAML from 'yaml'
import { OPENAPI_PATH } from '../../scripts/openapi.js'
import { listen } from '../helpers.js'

t.test('docs_and_the_spec_are_served_from_the_package (no network)', async t => {
  const { url } = await listen(t)
  const page = await fetch(`${url}/docs`)
  t.equal(page.status, 200)
  const html = await page.text()
  t.match(html, /swagger-ui/)
  t.notMatch(html, /(src|href)="https?:\/\//, 'no asset from another host')
  for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
    const answer = await fetch(`${url}/docs/static/${asset}`)
    t.equal(answer.status, 200, asset)
    await answer.arrayBuffer()
  }
  const json = await (await fetch(`${url}/openapi.json`)).json() as { openapi: string; paths: Record<string, unknown> }
  t.equal(json.openapi, '3.1.0')
  t.ok(json.paths['/v1/tables'])
  const yamlAnswer = await fetch(`${url}/openapi.yaml`)
  t.match(yamlAnswer.headers.get('content-type') ?? '', /yaml/)
  t.same(YAML.parse(await yamlAnswer.text()), json, 'the YAML is the same document')
})

t.test('the_served_document_is_openapi_yaml_and_without_faults_it_has_no_faults_routes', async t => {
  const file = YAML.parse(await readFile(OPENAPI_PATH, 'utf8')) as { paths: Record<string, unknown> }
  const { url } = await listen(t, { faults: true })
  for (const path of ['/openapi.json', '/openapi.yaml', '/docs/json', '/docs/yaml']) {
    const answer = await fetch(`${url}${path}`)
    t.equal(answer.status, 200, path)
    t.same(YAML.parse(await answer.text()), file, `${path} is the document of openapi.yaml`)
  }
  const plain = await listen(t, { faults: false })
  const served = await (await fetch(`${plain.url}/openapi.json`)).json() as { paths: Record<string, unknown> }
  const faults = Object.keys(file.paths).filter(path => path.startsWith('/v1/faults'))
  t.ok(faults.length > 0, 'openapi.yaml has the faults routes')
  t.same(Object.keys(served.paths), Object.keys(file.paths).filter(path => !faults.includes(path)), 'the same routes but faults, in the same order')
})

t.test('with_a_token_docs_and_spec_need_it_and_health_stays_open', async t => {
  const { url } = await listen(t, { token: 'tok' })
  for (const path of ['/docs', '/docs/static/swagger-ui-bundle.js', '/openapi.json', '/openapi.yaml', '/metrics']) {
    t.equal((await fetch(`${url}${path}`)).status, 401, path)
    const authorised = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer tok' } })
    t.equal(authorised.status, 200, `${path} with the token`)
    await authorised.arrayBuffer()
  }
  t.equal((await fetch(`${url}/healthz`)).status, 200)
  t.equal((await fetch(`${url}/readyz`)).status, 200)
})
