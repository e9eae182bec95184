/**
 * The catalog: one LevelDB record per table (name, type, creation time), in
 * the `catalog` sublevel of the data directory. It is what lets a restarted
 * manager, or a restarted server, rebuild every table and its handler.
 *
 * Operations run one at a time, in the order they were asked for: a
 * manager's `put` issued just before it was killed lands before its
 * successor's `load` reads the catalog, so the successor sees it.
 * An in-memory mirror answers reads without touching the disk.
 */
import { mkdir } from 'node:fs/promises'
import { Level } from 'level'
import type { TableType } from '../ets/table.js'

export interface TableRecord {
  name: string
  type: TableType
  /** ISO 8601 time of creation. */
  created: string
  /**
   * Set by a rename: the table's name before it. A manager that crashed
   * between writing this record and renaming the table in memory finds the
   * table under its old name and finishes the rename.
   */
  renamedFrom?: string
}

/** A data directory that cannot be opened; the message is one line, naming it. */
export class DataDirError extends Error {
  constructor (readonly dir: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot open data directory ${dir}: ${reason}`, options)
    this.name = 'DataDirError'
  }
}

/** The part of the catalog sublevel used here. */
interface Records {
  iterator(): AsyncIterable<[string, TableRecord]>
  put(key: string, value: TableRecord): Promise<void>
  del(key: string): Promise<void>
  batch(ops: Array<{ type: 'del'; key: string } | { type: 'put'; key: string; value: TableRecord }>): Promise<void>
}

export class Catalog {
  private mirror = new Map<string, TableRecord>()
  private tail: Promise<unknown> = Promise.resolve()

  private constructor (private readonly db: Level<string, unknown>, private readonly records: Records) {}

  static async open (dir: string): Promise<Catalog> {
    try {
      await mkdir(dir, { recursive: true })
    } catch (error) {
      throw new DataDirError(dir, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error })
    }
    const db = new Level<string, unknown>(dir)
    try {
      await db.open()
    } catch (error) {
      throw new DataDirError(dir, openFailure(error), { cause: error })
    }
    const records = db.sublevel<string, TableRecord>('catalog', { valueEncoding: 'json' }) as unknown as Records
    const catalog = new Catalog(db, records)
    await catalog.load()
    return catalog
  }

  /** Rereads every record from disk into the mirror, and returns them. */
  load (): Promise<TableRecord[]> {
    return this.serial(async () => {
      // Swapped in whole: readers never see a half-read catalog.
      const mirror = new Map<string, TableRecord>()
      for await (const [name, record] of this.records.iterator()) mirror.set(name, record)
      this.mirror = mirror
      return [...mirror.values()]
    })
  }

  get (name: string): TableRecord | undefined { return this.mirror.get(name) }
  has (name: string): boolean { return this.mirror.has(name) }
  all (): TableRecord[] { return [...this.mirror.values()] }
  get size (): number { return this.mirror.size }

  put (record: TableRecord): Promise<void> {
    return this.serial(async () => {
      await this.records.put(record.name, record)
      this.mirror.set(record.name, record)
    })
  }

  del (name: string): Promise<void> {
    return this.serial(async () => {
      await this.records.del(name)
      this.mirror.delete(name)
    })
  }

  /** Replaces the record of `from` by `record` in one atomic LevelDB batch. */
  rename (from: string, record: TableRecord): Promise<void> {
    return this.serial(async () => {
      await this.records.batch([{ type: 'del', key: from }, { type: 'put', key: record.name, value: record }])
      this.mirror.delete(from)
      this.mirror.set(record.name, record)
    })
  }

  close (): Promise<void> {
    return this.serial(() => this.db.close())
  }

  private serial<T> (op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op)
    this.tail = run.catch(() => undefined)
    return run
  }
}

function openFailure (error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code === 'LEVEL_LOCKED') return 'it is locked by another process (is another Heirloom server running on it?)'
  const message = cause?.message ?? (error as Error).message
  return message.split('\n')[0]
}
