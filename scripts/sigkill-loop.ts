/**
 * The SIGKILL loop at length (test/durable/sigkill-loop.ts): `tsx
 * scripts/sigkill-loop.ts [cycles=500] [seed]`. Prints a line per cycle and
 * a summary; exits 1 on the first lost or invented write.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seeded, sigkillLoop } from '../test/durable/sigkill-loop.js'

const cycles = Number(process.argv[2] ?? 500)
const seed = Number(process.argv[3] ?? Date.now() % 1e9)
const dataDir = await mkdtemp(join(tmpdir(), 'heirloom-sigkill-'))
const started = performance.now()
try {
  const result = await sigkillLoop({ dataDir, cycles, random: seeded(seed), main: process.env.HEIRLOOM_MAIN, progress: line => { process.stdout.write(`${line}\n`) } })
  const seconds = Math.round((performance.now() - started) / 1000)
  process.stdout.write(`${JSON.stringify({ seed, seconds, ...result })}\n`)
  if (result.failures.length > 0) process.exitCode = 1
} finally {
  await rm(dataDir, { recursive: true, force: true })
}
