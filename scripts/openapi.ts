/**
 * Generates openapi.yaml from the zod schemas of the routes (never edit it
 * by hand), then the TypeScript types a user's generator makes of it
 * (openapi-typescript, its defaults: test/contract/api.d.ts, which the
 * generated-client test compiles against). `npm run openapi` writes both;
 * test/openapi.test.ts and test/contract/client.test.ts fail on drift.
 */
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { MemoryLevel } from 'memory-level'
import YAML from 'yaml'
import { apiDocument } from '../routes/docs.js'
import { withDefaults } from '../src/config.js'
import { buildServer } from '../src/server.js'
import { Catalog } from '../src/tables/catalog.js'

export const OPENAPI_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url))
const CLIENT_TYPES_PATH = fileURLToPath(new URL('../test/contract/api.d.ts', import.meta.url))
const OPENAPI_TYPESCRIPT = fileURLToPath(new URL('../node_modules/.bin/openapi-typescript', import.meta.url))

/** The API document as YAML text, with every optional route (faults) included. No data directory is opened. */
export async function renderOpenapi (): Promise<string> {
  const catalog = await Catalog.over(new MemoryLevel<string, string>())
  const app = await buildServer(withDefaults({ catalog, faults: true }))
  try {
    return '# Generated from the zod schemas by `npm run openapi`. Do not edit.\n' + YAML.stringify(apiDocument(app))
  } finally {
    await app.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(OPENAPI_PATH, await renderOpenapi())
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`)
  execFileSync(OPENAPI_TYPESCRIPT, [OPENAPI_PATH, '-o', CLIENT_TYPES_PATH], { stdio: 'ignore' })
  process.stdout.write(`wrote ${CLIENT_TYPES_PATH}\n`)
}
