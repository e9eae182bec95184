/** What bench/serve.ts pre-fills and bench/load.ts asks for: one place for both. */
export const BENCH_TABLE = 'bench'

export const benchKey = (i: number): string => `k${i}`

export const benchValue = (i: number): unknown => ({ n: i, tags: ['bench', 'load'] })

/** Objects in one batch-insert request (`POST …/insert`). */
export const BATCH_SIZE = 1000

/**
 * The body of the `batch`-th batch insert: BATCH_SIZE small objects with
 * keys of their own, `{"objects": [{key, value}…]}`.
 */
export const batchBody = (batch: number): string => JSON.stringify({
  objects: Array.from({ length: BATCH_SIZE }, (_, n) => {
    const i = batch * BATCH_SIZE + n
    return { key: benchKey(i), value: benchValue(i) }
  }),
})
