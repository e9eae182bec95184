/**
 * The catalog: one LevelDB record per table (name, type, creation time), in
 * the `catalog` sublevel of the data directory. It is what lets a restarted
 * manager, or a restarted server, rebuild every table and its handler.
 *
 * Operations run one at a time, in the order they were asked for: a
 * manager's `put` issued just before it was killed lands before its
 * successor's `load` reads the catalog, so the successor sees it.
 * An in-memory mirror answers reads without touching the disk.
 *
 * A damaged catalog is never served. LevelDB recovers a damaged, truncated
 * or missing log by dropping what it cannot read, and says so only in its
 * own `LOG` file; so `open` refuses, in one line naming the damage:
 * - a LevelDB log that is damaged, truncated or missing, or a missing
 *   `CURRENT` file, checked *before* LevelDB opens (opening would recover
 *   the log and delete it, and the evidence with it);
 * - a recovery LevelDB reports in `LOG` anyway (a refusal that sticks: the
 *   log is gone by then, so the finding is kept in the `meta` sublevel);
 * - a record that is malformed (not JSON, not a table record, a name that
 *   is not a table name or differs from its key);
 * - records that do not match the integrity record (their count and
 *   digest, written in the same atomic batch as every change).
 * `open(dir, { repair: true })` accepts what remains instead (the
 * `--repair` flag).
 */
import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import type { AbstractBatchOperation, AbstractLevel, AbstractSublevel } from 'abstract-level'
import { z } from 'zod'
import { checkLevelDbFiles, clip, DataDirError, levelDbProblems, levelMessage, openLevelDb, recoveryReport, REPAIR_HINT, repairLevelDb, synced } from './data-dir.js'
import { TableName, TableTypeSchema } from './schemas.js'

export { DataDirError } from './data-dir.js'

/**
 * A catalog record. The optional fields are those of the next phase
 * (DESIGN §6, pinned): records written by a newer Heirloom still read.
 */
export const TableRecordSchema = z.object({
  name: TableName,
  type: TableTypeSchema,
  /** ISO 8601 time of creation. */
  created: z.iso.datetime(),
  /**
   * Set by a rename: the table's name before it. A manager that crashed
   * between writing this record and renaming the table in memory finds the
   * table under its old name and finishes the rename.
   */
  renamedFrom: TableName.optional(),
  /** Absent: `memory` (records of v0.1). See storage.ts. */
  durability: z.enum(['memory', 'disk', 'relaxed']).optional(),
  /** Where a durable table's objects live (storage.ts): immutable, so a rename moves no data. */
  storageId: z.string().regex(/^[a-z0-9]{1,64}$/).optional(),
})

export type TableRecord = z.infer<typeof TableRecordSchema>

export interface OpenOptions {
  /**
   * Accept what is on disk: LevelDB's repair (it keeps what it can read),
   * malformed records dropped, the integrity record rewritten. Default false.
   */
  repair?: boolean
  /** Where repair reports each record it drops, one line each. Default: stderr. */
  report?: (line: string) => void
}

export type Db = AbstractLevel<string | Buffer | Uint8Array, string, string>
export type Sublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, string, string>
type BatchOp = AbstractBatchOperation<Db, string, string>

/** A mirrored record and its JSON as stored (the integrity digest covers the stored bytes). */
interface Entry { record: TableRecord; json: string }

/** A record that is not a valid table record, and why. */
interface Malformed { key: string; problem: string }

/** Keys of the `meta` sublevel. */
const INTEGRITY = 'integrity'
const DAMAGE = 'damage'

export class Catalog {
  private mirror = new Map<string, Entry>()
  private integrity = Integrity.EMPTY
  private tail: Promise<unknown> = Promise.resolve()
  private readonly records: Sublevel
  private readonly meta: Sublevel

  private constructor (private readonly dir: string, private readonly db: Db) {
    this.records = db.sublevel('catalog')
    this.meta = db.sublevel('meta')
  }

  /**
   * Opens (creating it if new) the catalog in `dir`, refusing a damaged one
   * with a DataDirError (see the top of this file). A directory of v0.1,
   * with records but no integrity record, is accepted and sealed. O(n).
   */
  static async open (dir: string, options: OpenOptions = {}): Promise<Catalog> {
    try {
      await mkdir(dir, { recursive: true })
    } catch (error) {
      throw new DataDirError(dir, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error })
    }
    const report = options.report ?? (line => process.stderr.write(`${line}\n`))
    if (options.repair) {
      // LevelDB's repair drops a cut or corrupt log record without a word: say what goes.
      for (const problem of await levelDbProblems(dir)) report(`repair: ${problem}: dropped`)
      await repairLevelDb(dir)
    } else await checkLevelDbFiles(dir)
    const catalog = new Catalog(dir, await openLevelDb(dir))
    try {
      if (options.repair) await catalog.repair(report)
      else await catalog.checkRecovery()
      await catalog.load()
    } catch (error) {
      await catalog.db.close()
      throw error
    }
    return catalog
  }

  /**
   * A catalog over a database that is already open: an in-memory one
   * (memory-level) for the API document, which needs no disk, and for tests
   * whose disk must fail on cue. O(n).
   */
  static async over (db: Db, name = 'an in-memory database'): Promise<Catalog> {
    const catalog = new Catalog(name, db)
    await catalog.load()
    return catalog
  }

  /**
   * Rereads every record from disk into the mirror, and returns them. A
   * malformed record or a mismatch with the integrity record is a
   * DataDirError. O(n).
   */
  load (): Promise<TableRecord[]> {
    return this.serial(async () => {
      const { entries, malformed } = await this.read()
      if (malformed.length > 0) throw new DataDirError(this.dir, `${describe(malformed[0])}; start with --repair to drop it`)
      const found = Integrity.of(entries)
      const expected = await this.storedIntegrity()
      if (expected === undefined) await this.meta.put(INTEGRITY, found.encode()) // new, or written by v0.1
      else if (!expected.equals(found)) throw new DataDirError(this.dir, mismatch(found, expected))
      // Swapped in whole: readers never see a half-read catalog.
      this.mirror = entries
      this.integrity = found
      return this.all()
    })
  }

  /** O(1). */
  get (name: string): TableRecord | undefined { return this.mirror.get(name)?.record }
  /** O(1). */
  has (name: string): boolean { return this.mirror.has(name) }
  /** O(n). */
  all (): TableRecord[] { return [...this.mirror.values()].map(entry => entry.record) }
  get size (): number { return this.mirror.size }
  /** The LevelDB the catalog lives in: durable tables' objects live there too (storage.ts). */
  get database (): Db { return this.db }

  /** Writes a record (validated: the catalog never writes what it would refuse to read). O(1). */
  put (record: TableRecord): Promise<void> {
    return this.serial(() => this.change([], record))
  }

  /** Deletes the record, and applies `also` in the same atomic batch (a durable table's revision). O(1). */
  del (name: string, also: BatchOp[] = []): Promise<void> {
    return this.serial(() => this.change([name], undefined, also))
  }

  /** Replaces the record of `from` by `record` in one atomic LevelDB batch. O(1). */
  rename (from: string, record: TableRecord): Promise<void> {
    return this.serial(() => this.change([from], record))
  }

  close (): Promise<void> {
    return this.serial(() => this.db.close())
  }

  /** Deletes `dels`, then puts `record`, with the integrity record and `also`, in one batch; then the mirror. */
  private async change (dels: string[], record?: TableRecord, also: BatchOp[] = []): Promise<void> {
    let integrity = this.integrity
    const ops: BatchOp[] = [...also]
    for (const name of dels) {
      const entry = this.mirror.get(name)
      if (entry !== undefined) integrity = integrity.toggle(name, entry.json, -1)
      ops.push({ type: 'del', sublevel: this.records, key: name })
    }
    let entry: Entry | undefined
    if (record !== undefined) {
      const parsed = TableRecordSchema.safeParse(record, { reportInput: true })
      if (!parsed.success) throw new Error(`table record ${JSON.stringify(record.name)} is invalid (${problemOf(parsed.error)})`)
      entry = { record: parsed.data, json: JSON.stringify(parsed.data) }
      const old = dels.includes(record.name) ? undefined : this.mirror.get(record.name)
      if (old !== undefined) integrity = integrity.toggle(record.name, old.json, -1)
      integrity = integrity.toggle(record.name, entry.json, +1)
      ops.push({ type: 'put', sublevel: this.records, key: record.name, value: entry.json })
    }
    ops.push({ type: 'put', sublevel: this.meta, key: INTEGRITY, value: integrity.encode() })
    // Synced (LevelDB's log fsync'd, about 0.4 ms here): a create, drop or rename is answered
    // once it would survive an OS crash too, or a disk table's synced objects could outlive
    // the record that names them (and be swept as an orphan's).
    await this.db.batch(ops, synced(true))
    for (const name of dels) this.mirror.delete(name)
    if (entry !== undefined) this.mirror.set(entry.record.name, entry)
    this.integrity = integrity
  }

  /** Every record on disk, the well-formed ones apart from the malformed ones. */
  private async read (): Promise<{ entries: Map<string, Entry>; malformed: Malformed[] }> {
    const entries = new Map<string, Entry>()
    const malformed: Malformed[] = []
    try {
      for await (const [key, json] of this.records.iterator()) {
        const parsed = parseRecord(key, json)
        if ('problem' in parsed) malformed.push({ key, problem: parsed.problem })
        else entries.set(key, { record: parsed.record, json })
      }
    } catch (error) {
      throw this.unreadable(error)
    }
    return { entries, malformed }
  }

  private async metaGet (key: string): Promise<string | undefined> {
    try {
      return await this.meta.get(key)
    } catch (error) {
      throw this.unreadable(error)
    }
  }

  private unreadable (error: unknown): DataDirError {
    return new DataDirError(this.dir, `LevelDB cannot read the catalog (${levelMessage(error)}); ${REPAIR_HINT}`, { cause: error })
  }

  private async storedIntegrity (): Promise<Integrity | undefined> {
    const stored = await this.metaGet(INTEGRITY)
    if (stored === undefined) return undefined
    const integrity = Integrity.decode(stored)
    if (integrity === undefined) throw new DataDirError(this.dir, `the catalog's integrity record is malformed; ${REPAIR_HINT}`)
    return integrity
  }

  /**
   * LevelDB's own report of this open: a log it recovered by dropping
   * records. By now LevelDB has deleted that log, so the finding is kept
   * and every later start refuses too, until a repair.
   */
  private async checkRecovery (): Promise<void> {
    const found = await recoveryReport(this.dir)
    // Best effort: refusing this start matters more than remembering why.
    if (found !== undefined) await this.meta.put(DAMAGE, found).catch(() => undefined)
    const damage = found ?? await this.metaGet(DAMAGE)
    if (damage !== undefined) throw new DataDirError(this.dir, `LevelDB dropped part of its log on recovery (${damage}); ${REPAIR_HINT}`)
  }

  /** Drops malformed records (a line each) and seals what remains. */
  private async repair (report: (line: string) => void): Promise<void> {
    const { entries, malformed } = await this.read()
    for (const record of malformed) report(`repair: dropped ${describe(record)}`)
    const found = Integrity.of(entries)
    const expected = Integrity.decode(await this.metaGet(INTEGRITY) ?? '')
    await this.db.batch([
      ...malformed.map(({ key }) => ({ type: 'del' as const, sublevel: this.records, key })),
      { type: 'put', sublevel: this.meta, key: INTEGRITY, value: found.encode() },
      { type: 'del', sublevel: this.meta, key: DAMAGE },
    ], synced(true))
    const lost = expected !== undefined && expected.records !== found.records
      ? ` (the integrity record counted ${expected.records})`
      : ''
    report(`repair: the catalog in ${this.dir} holds ${found.records} table records${lost}`)
  }

  private serial<T> (op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op)
    this.tail = run.catch(() => undefined)
    return run
  }
}

/** The record stored under `key`, or what is wrong with it. */
function parseRecord (key: string, json: string): { record: TableRecord } | { problem: string } {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return { problem: 'its value is not JSON' }
  }
  const parsed = TableRecordSchema.safeParse(value, { reportInput: true })
  if (!parsed.success) return { problem: problemOf(parsed.error) }
  if (parsed.data.name !== key) return { problem: `its name ${JSON.stringify(parsed.data.name)} differs from its key` }
  return { record: parsed.data }
}

/** The first issue, on one line: `type "sett": Invalid option: …`. */
function problemOf (error: z.ZodError): string {
  const issue = error.issues[0]
  const input = 'input' in issue && issue.input !== undefined ? ` ${clip(JSON.stringify(issue.input))}` : ''
  return `${issue.path.join('.') || 'value'}${input}: ${issue.message}`.replace(/\s+/g, ' ')
}

function describe ({ key, problem }: Malformed): string {
  return `catalog record ${clip(JSON.stringify(key))} is malformed (${problem})`
}

function mismatch (found: Integrity, expected: Integrity): string {
  const what = found.records === expected.records
    ? `its ${found.records} table records differ from those last written`
    : `${found.records} table records on disk, ${expected.records} expected`
  return `catalog damaged: ${what} (lost by LevelDB or changed outside Heirloom); ${REPAIR_HINT}`
}

/**
 * The count and digest of the catalog's records, kept beside them in the
 * `meta` sublevel and written in the same batch as every change, so a
 * record lost or edited outside the catalog shows at the next open. The
 * digest is the XOR of sha256(key NUL value) over the records: independent
 * of order, and updated in O(1) per change where a digest of the sorted
 * records would cost O(n) per create.
 */
class Integrity {
  static readonly EMPTY = new Integrity(0, Buffer.alloc(32))

  private constructor (readonly records: number, private readonly digest: Buffer) {}

  static of (entries: Map<string, Entry>): Integrity {
    let integrity = Integrity.EMPTY
    for (const [key, { json }] of entries) integrity = integrity.toggle(key, json, +1)
    return integrity
  }

  /** The stored form, or undefined for a malformed one. */
  static decode (stored: string): Integrity | undefined {
    const parsed = StoredIntegrity.safeParse(safeJson(stored))
    return parsed.success ? new Integrity(parsed.data.records, Buffer.from(parsed.data.digest, 'hex')) : undefined
  }

  /** Adds (+1) or removes (-1) a record: XOR is its own inverse. */
  toggle (key: string, json: string, sign: 1 | -1): Integrity {
    const hash = createHash('sha256').update(key).update('\0').update(json).digest()
    const digest = Buffer.alloc(32)
    for (let i = 0; i < 32; i++) digest[i] = this.digest[i] ^ hash[i]
    return new Integrity(this.records + sign, digest)
  }

  equals (other: Integrity): boolean {
    return this.records === other.records && this.digest.equals(other.digest)
  }

  encode (): string {
    return JSON.stringify({ records: this.records, digest: this.digest.toString('hex') })
  }
}

const StoredIntegrity = z.object({ records: z.number().int().nonnegative(), digest: z.string().regex(/^[0-9a-f]{64}$/) })

function safeJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// ── LevelDB's files ─────────────────────────────────────────────────────
