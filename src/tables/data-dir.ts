/**
 * The data directory as files: opening its LevelDB with a one-line error,
 * LevelDB's own repair, and the checks made before opening, since opening
 * deletes the evidence: a damaged, truncated or missing log (read here
 * record by record, with LevelDB's CRC-32C), a missing CURRENT, and the
 * recovery report LevelDB writes to its LOG. Every refusal is a one-line
 * `DataDirError` naming the damage and `--repair`.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AbstractLevel } from 'abstract-level'
import { Level } from 'level'

type Db = AbstractLevel<string | Buffer | Uint8Array, string, string>

/** A data directory that cannot be opened; the message is one line, naming it. */
export class DataDirError extends Error {
  constructor (readonly dir: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot open data directory ${dir}: ${reason}`, options)
    this.name = 'DataDirError'
  }
}

export const REPAIR_HINT = 'start with --repair to accept what remains'

/** JSON.stringify keeps it on one line; this keeps it short. */
/**
 * classic-level's `sync` write option (LevelDB's WriteOptions.sync: the log
 * is fsync'd before the write returns), which abstract-level's types leave out.
 */
export function synced (sync: boolean): object {
  return { sync }
}

export function clip (text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}

export async function openLevelDb (dir: string): Promise<Db> {
  const db = new Level<string, string>(dir)
  try {
    await db.open()
  } catch (error) {
    throw new DataDirError(dir, openFailure(error), { cause: error })
  }
  return db
}

/** In Node, `level` is classic-level, which has RepairDB; `level`'s types (browsers too) leave it out. */
interface ClassicLevelStatics { repair (location: string): Promise<void> }

/**
 * LevelDB's repair (RepairDB: it rebuilds the database from every log and
 * table it can read). RepairDB takes no lock, so the database is opened
 * first: a directory another server holds is refused, not repaired under it.
 */
export async function repairLevelDb (dir: string): Promise<void> {
  const db = new Level<string, string>(dir)
  try {
    await db.open()
    await db.close()
  } catch (error) {
    if (levelCode(error) === 'LEVEL_LOCKED') throw new DataDirError(dir, openFailure(error), { cause: error })
    // Anything else is what the repair is for.
  }
  try {
    await (Level as unknown as ClassicLevelStatics).repair(dir)
  } catch (error) {
    throw new DataDirError(dir, `LevelDB's repair failed (${levelMessage(error)})`, { cause: error })
  }
}

/**
 * Refuses a directory whose LevelDB files would lose records when opened:
 * LevelDB opens over each of these silently. O(size of the logs).
 */
export async function checkLevelDbFiles (dir: string): Promise<void> {
  const [problem] = await levelDbProblems(dir)
  if (problem !== undefined) throw new DataDirError(dir, `${problem}; ${REPAIR_HINT}`)
}

/**
 * What LevelDB would lose, silently, opening (or repairing) `dir`: a line
 * each, none for a sound directory. A `--repair` start reports them, since
 * LevelDB's repair does not. O(size of the logs).
 */
export async function levelDbProblems (dir: string): Promise<string[]> {
  let files: string[]
  try {
    files = await readdir(dir)
  } catch (error) {
    throw new DataDirError(dir, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error })
  }
  if (!files.includes('CURRENT')) {
    // LevelDB would start a new, empty database beside the old files.
    return files.some(file => /^(\d+\.(log|ldb|sst)|MANIFEST-\d+)$/.test(file)) ? ['its LevelDB CURRENT file is missing'] : []
  }
  const logs = files.filter(file => /^\d+\.log$/.test(file)).sort()
  // LevelDB keeps a log from its first open on, even an empty one.
  if (logs.length === 0) return ['its LevelDB log (*.log) is missing, and with it the catalog changes since LevelDB last compacted it']
  const problems: string[] = []
  for (const log of logs) {
    const problem = logProblem(await readFile(join(dir, log)))
    if (problem !== undefined) problems.push(`its LevelDB log ${log} ${problem}, and LevelDB would drop records from there on`)
  }
  return problems
}

/**
 * What is wrong with a LevelDB log (leveldb doc/log_format.md): 32 KiB
 * blocks of records, each `crc32c (masked) | length (2) | type (1) | data`,
 * a record split over blocks as FIRST, MIDDLE…, LAST. LevelDB's reader
 * skips a bad record (and the rest of its block) and takes a cut-off last
 * record for a crash: both lose acknowledged writes without an error.
 */
function logProblem (log: Buffer): string | undefined {
  const BLOCK = 32768
  const HEADER = 7
  const [FULL, FIRST, MIDDLE, LAST] = [1, 2, 3, 4]
  let inRecord = false
  let offset = 0
  while (offset < log.length) {
    const left = BLOCK - offset % BLOCK
    if (left < HEADER) { // the zero trailer of a block
      offset += left
      continue
    }
    const end = offset + HEADER + (log.length - offset >= HEADER ? log.readUInt16LE(offset + 4) : 0)
    if (end - offset > left) return `is damaged at byte ${offset} (bad record length)`
    if (log.length - offset < HEADER || end > log.length) return `is truncated (it ends inside the record at byte ${offset})`
    if (log.readUInt32LE(offset) !== maskedCrc32c(log.subarray(offset + 6, end))) return `is damaged at byte ${offset} (checksum mismatch)`
    const type = log[offset + 6]
    if (type < FULL || type > LAST || (type === FULL || type === FIRST) === inRecord) return `is damaged at byte ${offset} (record type ${type} out of place)`
    inRecord = type === FIRST || type === MIDDLE
    offset = end
  }
  return inRecord ? 'is truncated (its last record is incomplete)' : undefined
}

const CRC32C_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  for (let bit = 0; bit < 8; bit++) n = n & 1 ? (n >>> 1) ^ 0x82f63b78 : n >>> 1 // Castagnoli, reflected
  return n
})

/** LevelDB's checksum: CRC-32C, rotated and offset so a CRC of CRCs is not mistaken for one. */
function maskedCrc32c (bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8)
  crc = (crc ^ 0xffffffff) >>> 0
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

/** The first line of LevelDB's `LOG` (rewritten at each open) saying it dropped or ignored data. */
export async function recoveryReport (dir: string): Promise<string | undefined> {
  const log = await readFile(join(dir, 'LOG'), 'utf8').catch(() => '')
  const line = log.split('\n').find(entry => /Corruption|dropping|ignoring error/i.test(entry))
  // Without LevelDB's timestamp, thread id and the directory.
  return line === undefined ? undefined : clip(line.split(' ').slice(2).join(' ').replace(/\S*\/(?=\d+\.log)/g, ''), 200)
}

export function levelCode (error: unknown): string | undefined {
  return (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code
}

export function levelMessage (error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause
  return (cause?.message ?? (error as Error).message).split('\n')[0]
}

export function openFailure (error: unknown): string {
  const code = levelCode(error)
  if (code === 'LEVEL_LOCKED') return 'it is locked by another process (is another Heirloom server running on it?)'
  if (code === 'LEVEL_CORRUPTION') return `LevelDB reports corruption (${levelMessage(error)}); ${REPAIR_HINT}`
  return levelMessage(error)
}
