/** Shared by the durable-table tests: a table's contents in a comparable form, and starting services over one data directory. */
import type { Test } from 'tap'
import type { TableType } from '../../src/ets/table.js'
import { termKey } from '../../src/ets/term.js'
import type { TableService } from '../../src/tables/service.js'
import { startService } from '../helpers.js'
import type { ServiceOptions } from '../../src/tables/service.js'

/**
 * Each key's values in order. An ordered_set's keys in table order; a hash
 * table's sorted by their encoding, since its key order is unspecified in
 * ETS and a reload (or an undone delete) may change it.
 */
export function contents (service: TableService, name: string, type: TableType): Array<[string, unknown[]]> {
  const keys = new Map<string, unknown[]>()
  for (const { key, value } of service.objects(name)) {
    const k = termKey(key)
    const values = keys.get(k)
    if (values === undefined) keys.set(k, [value])
    else values.push(value)
  }
  const entries = [...keys]
  return type === 'ordered_set' ? entries : entries.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
}

/** A service over `dataDir`, with durable-table reports collected instead of printed. */
export async function durableService (t: Test, dataDir: string, options: Partial<ServiceOptions> = {}): Promise<{ service: TableService; reports: string[] }> {
  const reports: string[] = []
  const service = await startService(t, { dataDir, ...options, storage: { report: line => { reports.push(line) }, ...options.storage } })
  return { service, reports }
}

/** Resolves once every durable table has loaded (start-up returns before the loads are done). */
export async function loaded (service: TableService): Promise<void> {
  for (const record of service.catalog.all()) await service.storage.of(record.name)?.whenLoaded()
}
