/**
 * The deep differential check: many more random operations than the test
 * runs, Heirloom over HTTP against real ETS (`escript`), every table type
 * side by side. Keeps going after a difference (each is shrunk and printed)
 * until the operations are spent, then prints the operations run and the
 * differences found; exits 1 when there is any.
 *
 *   npx tsx scripts/differential.ts --ops 100000 [--length 50] [--seed N] [--types set,bag]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { TABLE_TYPES, type TableType } from '../src/ets/table.js'
import { withDefaults } from '../src/config.js'
import { buildServer } from '../src/server.js'
import { agreesWithEts, type Tally } from '../test/differential/differential.js'
import { EtsDriver } from '../test/differential/ets-driver.js'

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '100000' },
    length: { type: 'string', default: '50' },
    seed: { type: 'string' },
    types: { type: 'string', default: TABLE_TYPES.join(',') },
  },
})
const totalOps = Number(args.ops)
const length = Number(args.length)
const firstSeed = args.seed === undefined ? Date.now() % 2 ** 31 : Number(args.seed)
const types = args.types.split(',') as TableType[]
const RUNS_PER_BATCH = 20

interface Found { type: TableType; seed: number; message: string }

/** Batches of sequences on one type until its share of operations is spent; one seed per batch. */
async function check (url: string, type: TableType, budget: number, found: Found[]): Promise<number> {
  const driver = new EtsDriver()
  let ops = 0
  try {
    for (let batch = 0; ops < budget; batch++) {
      const seed = (firstSeed + batch * 7919) % 2 ** 31
      const runs = Math.min(RUNS_PER_BATCH, Math.ceil((budget - ops) / length))
      const tally: Tally = { ops: 0, shrinking: false }
      const details = await fc.check(agreesWithEts(driver, url, type, length, tally), { numRuns: runs, seed })
      ops += tally.ops
      if (details.failed) {
        const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
        found.push({ type, seed, message })
        process.stdout.write(`\n[${type}] difference (seed ${seed}, path ${details.counterexamplePath}):\n${message}\n`)
      }
      process.stdout.write(`[${type}] ${ops} operations\n`)
    }
  } finally {
    await driver.close()
  }
  return ops
}

async function main (): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-differential-'))
  const app = await buildServer(withDefaults({ dataDir }))
  const started = Date.now()
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    const url = `http://127.0.0.1:${address.port}`
    process.stdout.write(`Heirloom at ${url}; ${totalOps} operations over ${types.join(', ')}; first seed ${firstSeed}\n`)
    const found: Found[] = []
    const perType = await Promise.all(types.map(type => check(url, type, Math.ceil(totalOps / types.length), found)))
    const ran = perType.reduce((a, b) => a + b, 0)
    process.stdout.write(`\n${ran} operations run (${types.map((t, i) => `${t} ${perType[i]}`).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
    process.stdout.write(`${found.length} differences found\n`)
    for (const f of found) process.stdout.write(`- ${f.message.split('\n')[0]} (seed ${f.seed})\n`)
    return found.length === 0 ? 0 : 1
  } finally {
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

process.exitCode = await main()
