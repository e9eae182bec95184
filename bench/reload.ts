/**
 * The reload figure of bench/durable.ts, in a child process of its own and
 * compiled by tsc as the servers are (production runs tsc's output; under
 * tsx every function made costs a `__name` call more): fills a `disk` table
 * of N small objects in a fresh data directory, stops the service, starts
 * it again and times the load; sends `{ reload }` over IPC and exits.
 *
 *   forked by bench/durable.ts: reload.js <objects> <data dir>
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { withDefaults } from '../src/config.js'
import { TableService } from '../src/tables/service.js'

export interface Reload { loadSeconds: number; startSeconds: number; bytesPerObject: number }

async function diskBytes (dir: string): Promise<number> {
  let bytes = 0
  for (const file of await readdir(dir)) bytes += (await stat(join(dir, file))).size
  return bytes
}

async function reload (objects: number, dataDir: string): Promise<Reload> {
  const settings = withDefaults({ dataDir })
  const first = await TableService.start(settings)
  await first.create('big', 'set', 'disk')
  const chunk = 10_000
  for (let from = 0; from < objects; from += chunk) {
    const batch = Array.from({ length: Math.min(chunk, objects - from) }, (_, i) => ({ key: `user:${from + i}`, value: { n: from + i, ok: true } }))
    await first.write('big', 'insert', { objects: batch })
  }
  await first.stop()
  const bytesPerObject = await diskBytes(dataDir) / objects
  const started = performance.now()
  const second = await TableService.start(settings)
  const startSeconds = (performance.now() - started) / 1000
  await second.storage.of('big')!.whenLoaded()
  const loadSeconds = (performance.now() - started) / 1000
  const size = second.node.tables.get('big')!.table.size
  await second.stop()
  if (size !== objects) throw new Error(`${size} of ${objects} objects came back`)
  return { loadSeconds, startSeconds, bytesPerObject }
}

if (process.send === undefined) throw new Error('bench/reload.ts is started by bench/durable.ts (it needs an IPC channel)')
const result = await reload(Number(process.argv[2]), process.argv[3])
process.send({ reload: result }, undefined, {}, () => process.exit(0))
