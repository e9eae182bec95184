/**
 * What one object read or write costs below HTTP: the table service's
 * calls timed in a loop in one process, next to a plain Map and the ETS
 * table alone, so that the layers between (admission, the handler's
 * mailbox, the call's promise and timer) show as differences. No sockets,
 * so the figures hold up on a busy machine better than bench/load.ts's;
 * still, compare them within one run.
 *
 *   npx tsc -p bench/tsconfig.serve.json && node bench/.build/bench/calls.js [--ops N] [--rounds N] [--concurrency N]
 *
 * compiled as production runs (`npx tsx bench/calls.ts` works too, but every
 * closure then also pays esbuild's __name, which production does not).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { withDefaults } from '../src/config.js'
import { createTable } from '../src/ets/table.js'
import type { Term } from '../src/ets/term.js'
import { TableService } from '../src/tables/service.js'
import { BENCH_TABLE, benchKey, benchValue } from './workload.js'

interface Case {
  name: string
  /** Runs `ops` operations; resolves when all are done. */
  run(ops: number): Promise<void> | void
}

const KEYS = 1000

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      ops: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '50' },
    },
  })
  const ops = Number(values.ops)
  const rounds = Number(values.rounds)
  const concurrency = Number(values.concurrency)
  const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-calls-'))
  const service = await TableService.start(withDefaults({ dataDir }))
  try {
    await service.create(BENCH_TABLE, 'set')
    const keys = Array.from({ length: KEYS }, (_, i) => benchKey(i))
    // A fresh value per write, as a parsed request body would be.
    const value = (i: number): Term => benchValue(i) as Term
    const insert = (i: number): Promise<unknown> => service.write(BENCH_TABLE, 'insert', { key: keys[i % KEYS], value: value(i) })
    for (let i = 0; i < KEYS; i++) await insert(i)

    const map = new Map<string, Term[]>()
    const table = createTable('set')
    const node = service.node
    const echo = await node.start(() => ({ handleCall: (request: unknown) => request }))
    /** `concurrency` operations in flight at a time, as that many connections would keep them. */
    const inFlight = async (n: number, op: (i: number) => Promise<unknown>): Promise<void> => {
      for (let i = 0; i < n; i += concurrency) {
        const wave: Array<Promise<unknown>> = []
        for (let j = i; j < Math.min(n, i + concurrency); j++) wave.push(op(j))
        await Promise.all(wave)
      }
    }
    const cases: Case[] = [
      { name: 'Map.set', run: n => { for (let i = 0; i < n; i++) map.set(keys[i % KEYS], [value(i)]) } },
      { name: 'Table.insert (ETS engine)', run: n => { for (let i = 0; i < n; i++) table.insert([{ key: keys[i % KEYS], value: value(i) }]) } },
      { name: 'Map.get', run: n => { for (let i = 0; i < n; i++) map.get(keys[i % KEYS])?.slice() } },
      { name: `service.read lookup ×${concurrency}`, run: n => inFlight(n, i => service.read(BENCH_TABLE, 'lookup', { key: keys[i % KEYS] })) },
      { name: `await Promise.resolve ×${concurrency}`, run: n => inFlight(n, async i => await Promise.resolve(i)) },
      { name: `node.call echo, no timer ×${concurrency}`, run: n => inFlight(n, i => node.call(echo, i, { timeout: Infinity })) },
      { name: `node.call echo, 5 s timer ×${concurrency}`, run: n => inFlight(n, i => node.call(echo, i, { timeout: 5000 })) },
      { name: `service.write insert ×${concurrency}`, run: n => inFlight(n, insert) },
      { name: 'service.write insert ×1', run: async n => { for (let i = 0; i < n; i++) await insert(i) } },
    ]
    const timings = new Map<Case, number[]>(cases.map(c => [c, []]))
    for (const c of cases) await c.run(Math.min(ops, 20_000)) // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const c of cases) {
        const start = process.hrtime.bigint()
        await c.run(ops)
        timings.get(c)!.push(Number(process.hrtime.bigint() - start) / ops)
      }
    }
    const width = Math.max(...cases.map(c => c.name.length))
    process.stdout.write(`${ops} operations per case, median of ${rounds} rounds; ns per operation\n`)
    for (const c of cases) {
      const sorted = timings.get(c)!.sort((a, b) => a - b)
      process.stdout.write(`  ${c.name.padEnd(width)}  ${sorted[Math.floor(sorted.length / 2)].toFixed(0).padStart(7)} ns\n`)
    }
  } finally {
    await service.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/calls: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
