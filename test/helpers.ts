/**
 * The test helpers every suite shares: a temp data directory removed after
 * the test, the app built with `inject()`, a real server listening on
 * 127.0.0.1, and the table service alone.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { withDefaults } from '../src/config.js'
import type { Table } from '../src/ets/table.js'
import type { Term } from '../src/ets/term.js'
import type { Next, StreamReader } from '../src/tables/changes.js'
import { type App, buildServer, type ServerOptions } from '../src/server.js'
import { type ServiceOptions, TableService } from '../src/tables/service.js'

export type TestOptions = Partial<ServerOptions>

/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'heirloom-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** The app, ready for `app.inject()`, with a temp data dir and faults on; closed after the test. */
export async function build (t: Test, options: TestOptions = {}): Promise<App> {
  const app = await buildServer(withDefaults({ dataDir: options.dataDir ?? await tempDir(t), faults: true, validateResponses: true, ...options }))
  t.teardown(() => app.close())
  return app
}

/** A real server listening on 127.0.0.1 (on `port`, or an ephemeral one); its base URL. Closed after the test. */
export async function listen (t: Test, options: TestOptions = {}, port = 0): Promise<{ app: App; url: string }> {
  const app = await build(t, options)
  await app.listen({ port, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, url: `http://127.0.0.1:${address.port}` }
}

/** The table service alone (no HTTP), stopped after the test. */
export async function startService (t: Test, options: Partial<ServiceOptions> = {}): Promise<TableService> {
  const service = await TableService.start(withDefaults({ dataDir: options.dataDir ?? await tempDir(t), ...options }))
  t.teardown(() => service.stop())
  return service
}

/** The values stored under one key (the lookup read's `values`). */
export async function valuesOf (service: TableService, table: string, key: Term): Promise<Term[]> {
  const result = await service.read(table, 'lookup', { key })
  if (!('values' in result)) throw new Error('a lookup of one key answered with results')
  return result.values as Term[]
}

/** The engine table itself, for checks the service does not offer (checkValid, memory). */
export function engineTable (service: TableService, table: string): Table {
  const entry = service.node.tables.get(table)
  if (!entry) throw new Error(`no table ${table} in the registry`)
  return entry.table
}

/** Everything a change-stream reader has now: the id (revision) of each event, then its end if any. */
export function drain (reader: StreamReader): Array<number | object> {
  const out: Array<number | object> = []
  for (let next: Next = reader.next(); next !== undefined; next = reader.next()) {
    out.push('event' in next ? next.event.id : next.end)
  }
  return out
}
