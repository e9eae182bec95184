/**
 * A damaged catalog is never served silently: real LevelDB directories,
 * damaged the way disks and people damage them (a log overwritten,
 * truncated or deleted, a table file overwritten, records edited on disk).
 * Each is refused in one line naming the damage and `--repair`; the
 * repair accepts what remains, and the directory then opens normally.
 */
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import t, { type Test } from 'tap'
import { Catalog, DataDirError, type TableRecord } from '../../src/tables/catalog.js'
import { exitOf, run } from '../cli.js'
import { tempDir } from '../helpers.js'

const CREATED = '2024-01-01T00:00:00.000Z'
const record = (name: string, type: TableRecord['type'] = 'set'): TableRecord => ({ name, type, created: CREATED })
const NAMES = Array.from({ length: 20 }, (_, i) => `table-${String(i).padStart(2, '0')}`)

/** A catalog holding `names`, written one put at a time (one log record each), then closed. */
async function catalogOf (dir: string, names: string[]): Promise<void> {
  const catalog = await Catalog.open(dir)
  for (const name of names) await catalog.put(record(name))
  await catalog.close()
}

/** Opens and closes LevelDB once: its log is recovered into a table file (.ldb). */
async function compact (dir: string): Promise<void> {
  await (await Catalog.open(dir)).close()
}

async function filesEnding (dir: string, suffix: string): Promise<string[]> {
  return (await readdir(dir)).filter(file => file.endsWith(suffix)).map(file => join(dir, file))
}

async function onlyFile (t: Test, dir: string, suffix: string): Promise<string> {
  const files = await filesEnding(dir, suffix)
  t.equal(files.length, 1, `one ${suffix} file`)
  return files[0]
}

/** The DataDirError of a refused open, checked to be one line naming the directory. */
async function refusal (t: Test, dir: string): Promise<DataDirError> {
  const error = await Catalog.open(dir).then(async catalog => {
    await catalog.close()
    throw new Error('the damaged catalog opened')
  }, (error: unknown) => error)
  t.type(error, DataDirError)
  const message = (error as Error).message
  t.notMatch(message, /\n/, 'one line')
  t.ok(message.startsWith(`cannot open data directory ${dir}: `), message)
  return error as DataDirError
}

/** Opens with `repair`, and returns the names kept and the lines reported. */
async function repair (dir: string): Promise<{ names: string[]; lines: string[] }> {
  const lines: string[] = []
  const catalog = await Catalog.open(dir, { repair: true, report: line => lines.push(line) })
  const names = catalog.all().map(r => r.name)
  await catalog.close()
  return { names, lines }
}

async function namesAfterOpen (dir: string): Promise<string[]> {
  const catalog = await Catalog.open(dir)
  const names = catalog.all().map(r => r.name)
  await catalog.close()
  return names
}

interface RawRecords { put (key: string, value: string): Promise<void>; del (key: string): Promise<void> }

/** A raw LevelDB handle on the `catalog` sublevel, as a person editing the data directory would use. */
async function onDisk (dir: string, edit: (records: RawRecords) => Promise<void>): Promise<void> {
  const db = new Level<string, string>(dir)
  await db.open()
  try {
    await edit(db.sublevel('catalog'))
  } finally {
    await db.close()
  }
}

t.test('a_new_data_dir_opens_empty_and_an_intact_one_reopens_whole', async t => {
  const dir = await tempDir(t)
  t.same(await namesAfterOpen(dir), [])
  const catalog = await Catalog.open(dir)
  for (const name of ['a', 'b', 'c']) await catalog.put(record(name))
  await catalog.put(record('b', 'bag'))
  await catalog.rename('c', { ...record('d'), renamedFrom: 'c' })
  await catalog.del('a')
  await catalog.close()
  for (let open = 0; open < 3; open++) t.same(await namesAfterOpen(dir), ['b', 'd'], `open ${open}`)
  const reopened = await Catalog.open(dir)
  t.same(reopened.get('b'), record('b', 'bag'))
  t.same(reopened.get('d'), { ...record('d'), renamedFrom: 'c' })
  await reopened.close()
})

t.test('a_damaged_log_is_refused_until_repaired', async t => {
  const dir = await tempDir(t)
  await catalogOf(dir, NAMES)
  const log = await onlyFile(t, dir, '.log')
  const bytes = await readFile(log)
  bytes[Math.floor(bytes.length / 2)] ^= 0xff
  await writeFile(log, bytes)
  const error = await refusal(t, dir)
  t.match(error.message, /LevelDB log \d+\.log is damaged at byte \d+ \(checksum mismatch\)/)
  t.match(error.message, /--repair/)
  t.match((await refusal(t, dir)).message, /is damaged/, 'a refusal leaves the evidence: the next start refuses too')
  const { names, lines } = await repair(dir)
  t.ok(names.length > 0 && names.length < NAMES.length, `LevelDB lost records for real: ${names.length} of ${NAMES.length} kept`)
  t.same(names, NAMES.slice(0, names.length), 'the records before the damage')
  t.match(lines.at(-1), `holds ${names.length} table records`)
  t.same(await namesAfterOpen(dir), names, 'then opens without --repair')
})

t.test('a_truncated_log_is_refused_until_repaired', async t => {
  const dir = await tempDir(t)
  await catalogOf(dir, NAMES)
  const log = await onlyFile(t, dir, '.log')
  await truncate(log, (await readFile(log)).length - 5) // inside the last record, whatever its size
  t.match((await refusal(t, dir)).message, /LevelDB log \d+\.log is truncated .*--repair/)
  t.same((await repair(dir)).names, NAMES.slice(0, -1), 'the last table is lost')
  t.same(await namesAfterOpen(dir), NAMES.slice(0, -1))
})

t.test('a_deleted_log_is_refused_until_repaired', async t => {
  const dir = await tempDir(t)
  await catalogOf(dir, NAMES.slice(0, 5))
  await compact(dir) // the first five now live in a table file
  await catalogOf(dir, NAMES.slice(5))
  await rm(await onlyFile(t, dir, '.log'))
  t.match((await refusal(t, dir)).message, /LevelDB log \(\*\.log\) is missing.*--repair/)
  t.same((await repair(dir)).names, NAMES.slice(0, 5), 'the tables created since the last start are lost')
  t.same(await namesAfterOpen(dir), NAMES.slice(0, 5))
})

t.test('a_deleted_current_file_is_refused', async t => {
  // Without CURRENT, LevelDB would start an empty database beside the old files.
  const dir = await tempDir(t)
  await catalogOf(dir, NAMES)
  await rm(join(dir, 'CURRENT'))
  t.match((await refusal(t, dir)).message, /CURRENT file is missing/)
  t.same((await repair(dir)).names, NAMES, 'LevelDB\'s repair rebuilds it from the files')
})

t.test('a_damaged_table_file_is_refused_until_repaired', async t => {
  const dir = await tempDir(t)
  const names = Array.from({ length: 200 }, (_, i) => `table-${String(i).padStart(3, '0')}`)
  await catalogOf(dir, names) // several 4 KiB blocks
  await compact(dir)
  const table = await onlyFile(t, dir, '.ldb')
  // The first block holds catalog records (`!catalog!` sorts before `!meta!`).
  await writeFile(table, (await readFile(table)).fill(0x58, 32, 96))
  t.match((await refusal(t, dir)).message, /LevelDB cannot read the catalog \(Corruption: .*\); start with --repair/)
  const { names: kept, lines } = await repair(dir)
  t.ok(kept.length > 0 && kept.length < names.length, `${kept.length} kept`)
  t.match(lines.at(-1), `holds ${kept.length} table records (the integrity record counted ${names.length})`)
  t.same(await namesAfterOpen(dir), kept)
})

t.test('a_log_record_leveldb_cannot_apply_is_refused_and_stays_refused', async t => {
  // A record with a valid checksum but too short to be a write batch: only
  // LevelDB's recovery sees it, drops it, and says so in its LOG file.
  const dir = await tempDir(t)
  await catalogOf(dir, NAMES)
  const log = await onlyFile(t, dir, '.log')
  const payload = Buffer.from([1, 2, 3, 4, 5])
  const header = Buffer.alloc(7)
  header.writeUInt32LE(maskedCrc32c(Buffer.concat([Buffer.from([1]), payload])), 0)
  header.writeUInt16LE(payload.length, 4)
  header[6] = 1 // FULL
  await writeFile(log, Buffer.concat([await readFile(log), header, payload]))
  t.match((await refusal(t, dir)).message, /LevelDB dropped part of its log on recovery \(.*\d+\.log: dropping 5 bytes; Corruption: log record too small\)/)
  t.match((await refusal(t, dir)).message, /log record too small/, 'LevelDB deleted that log; the refusal was remembered')
  t.same((await repair(dir)).names, NAMES)
  t.same(await namesAfterOpen(dir), NAMES)
})

t.test('records_changed_outside_heirloom_do_not_match_the_integrity_record', async t => {
  const dir = await tempDir(t)
  await catalogOf(dir, NAMES)
  await onDisk(dir, records => records.del(NAMES[3]))
  t.match((await refusal(t, dir)).message, /catalog damaged: 19 table records on disk, 20 expected .*--repair/)
  await onDisk(dir, records => records.put(NAMES[3], JSON.stringify(record(NAMES[3], 'bag'))))
  t.match((await refusal(t, dir)).message, /catalog damaged: its 20 table records differ from those last written/)
  const { names, lines } = await repair(dir)
  t.same(names, NAMES)
  t.same(lines, [`repair: the catalog in ${dir} holds 20 table records`])
  const catalog = await Catalog.open(dir)
  t.equal(catalog.get(NAMES[3])?.type, 'bag', 'what was on disk, accepted')
  await catalog.close()
})

t.test('a_v0_1_data_dir_without_integrity_record_is_accepted_and_sealed', async t => {
  const dir = await tempDir(t)
  await onDisk(dir, async records => {
    for (const name of NAMES.slice(0, 3)) await records.put(name, JSON.stringify(record(name)))
  })
  t.same(await namesAfterOpen(dir), NAMES.slice(0, 3))
  await onDisk(dir, records => records.del(NAMES[0]))
  t.match((await refusal(t, dir)).message, /2 table records on disk, 3 expected/, 'sealed at that first open')
})

const MALFORMED: Array<{ kind: string; key: string; value: string; problem: RegExp }> = [
  {
    kind: 'an_unknown_type',
    key: 'users',
    value: JSON.stringify({ name: 'users', type: 'sett', created: CREATED }),
    problem: /catalog record "users" is malformed \(type "sett": Invalid option: expected one of "set"\|"ordered_set"\|"bag"\|"duplicate_bag"\)/,
  },
  {
    kind: 'a_value_that_is_not_json',
    key: 'users',
    value: '{"name":"users","type":"se',
    problem: /catalog record "users" is malformed \(its value is not JSON\)/,
  },
  {
    kind: 'a_key_that_differs_from_its_name',
    key: 'users',
    value: JSON.stringify(record('admins')),
    problem: /catalog record "users" is malformed \(its name "admins" differs from its key\)/,
  },
  {
    kind: 'a_name_that_is_not_a_table_name',
    key: '../users\n',
    value: JSON.stringify(record('../users\n')),
    problem: /catalog record "\.\.\/users\\n" is malformed \(name "\.\.\/users\\n": a table name is 1 to 128/,
  },
]

for (const { kind, key, value, problem } of MALFORMED) {
  t.test(`a_record_with_${kind}_is_refused_naming_it_and_repair_drops_it`, async t => {
    const dir = await tempDir(t)
    await catalogOf(dir, NAMES.slice(0, 3))
    await onDisk(dir, records => records.put(key, value))
    const error = await refusal(t, dir)
    t.match(error.message, problem)
    t.match(error.message, /; start with --repair to drop it$/)
    const { names, lines } = await repair(dir)
    t.same(names, NAMES.slice(0, 3), 'the others kept')
    t.equal(lines.length, 2)
    t.match(lines[0], problem)
    t.match(lines[0], /^repair: dropped /)
    t.same(await namesAfterOpen(dir), NAMES.slice(0, 3))
  })
}

t.test('the_catalog_never_writes_a_record_it_would_refuse', async t => {
  const dir = await tempDir(t)
  const catalog = await Catalog.open(dir)
  await t.rejects(catalog.put(record('no/slashes')), /table record "no\/slashes" is invalid \(name "no\/slashes": a table name is 1 to 128/)
  await t.rejects(catalog.put({ ...record('x'), type: 'sett' as TableRecord['type'] }), /type "sett"/)
  await catalog.put(record('fine'))
  await catalog.close()
  t.same(await namesAfterOpen(dir), ['fine'])
})

t.test('repair_refuses_a_data_dir_another_server_holds', async t => {
  // LevelDB's repair takes no lock: run under a live server, it would rebuild the files beneath it.
  const dir = await tempDir(t)
  const live = await Catalog.open(dir)
  await live.put(record('kept'))
  await t.rejects(Catalog.open(dir, { repair: true, report: () => undefined }), /locked by another process/)
  await live.put(record('still-writable'))
  await live.close()
  t.same(await namesAfterOpen(dir), ['kept', 'still-writable'])
})

t.test('the_server_refuses_a_damaged_catalog_in_one_line_with_exit_2', async t => {
  const dataDir = await tempDir(t)
  await catalogOf(dataDir, NAMES)
  const log = await onlyFile(t, dataDir, '.log')
  await truncate(log, (await readFile(log)).length - 5)
  const { code, stderr } = await exitOf(run(['--port', '0', '--data-dir', dataDir]))
  t.equal(code, 2)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
  t.match(stderr, /^heirloom: cannot open data directory .*\.log is truncated .*--repair/)
})

/** CRC-32C bit by bit (the catalog uses a table): LevelDB's masked form. */
function maskedCrc32c (bytes: Uint8Array): number {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1))
  }
  crc = ~crc >>> 0
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}
