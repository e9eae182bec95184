/** What bench/serve.ts pre-fills and bench/load.ts asks for: one place for both. */
export const BENCH_TABLE = 'bench'

export const benchKey = (i: number): string => `k${i}`

export const benchValue = (i: number): unknown => ({ n: i, tags: ['bench', 'load'] })
