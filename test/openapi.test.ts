/** openapi.yaml is generated, valid, in step with the schemas and the error catalogue. */
import SwaggerParser from '@apidevtools/swagger-parser'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import YAML from 'yaml'
import { OPENAPI_PATH, renderOpenapi } from '../scripts/openapi.js'
import { ENGINE_ERRORS, errors } from '../src/errors.js'
import { version } from '../src/version.js'

t.test('openapi_yaml_matches_the_zod_schemas (run `npm run openapi` when this fails)', async t => {
  const checkedIn = await readFile(OPENAPI_PATH, 'utf8')
  t.equal(checkedIn, await renderOpenapi())
})

t.test('openapi_yaml_is_a_valid_openapi_3_1_document', async t => {
  const api = await SwaggerParser.validate(OPENAPI_PATH) as { openapi: string }
  t.equal(api.openapi, '3.1.0')
})

t.test('every_error_code_is_documented_and_none_is_stale', async t => {
  const doc = YAML.parse(await readFile(OPENAPI_PATH, 'utf8'))
  const documented: string[] = doc.components.schemas.Problem.properties.code.enum
  t.same([...documented].sort(), Object.keys(errors).sort())
})

t.test('version_matches_package_json', async t => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  t.equal(version, pkg.version)
})

t.test('every_error_code_is_raised_somewhere (no dead codes in the catalogue)', async t => {
  const { readdir } = await import('node:fs/promises')
  const root = new URL('../', import.meta.url)
  let source = ''
  for (const dir of ['src', 'src/tables', 'routes']) {
    for (const file of await readdir(new URL(dir, root))) {
      if (file.endsWith('.ts') && file !== 'errors.ts') source += await readFile(new URL(`${dir}/${file}`, root), 'utf8')
    }
  }
  // The engine's errors are raised under the codes the catalogue maps them to.
  const engine = new Set<string>(Object.values(ENGINE_ERRORS))
  for (const code of Object.keys(errors)) {
    if (engine.has(code)) t.pass(`${code} is raised by the engine`)
    else t.match(source, `'${code}'`, `${code} is used`)
  }
})
