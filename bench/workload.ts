/** What bench/serve.ts pre-fills and bench/load.ts and bench/pair.ts ask for: one place for all. */
import type { Request } from 'autocannon'

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

/** How many distinct keys the requests of a connection cycle through. */
const KEYS_PER_CYCLE = 64

/** How many distinct batch bodies (each with keys of its own) the connections cycle through. */
const BATCH_BODIES = 4

/** The operations the benchmarks time, by id, each with the status a success answers. */
export const OPERATIONS = {
  get: { label: 'GET object', expect: 200 },
  put: { label: 'PUT object', expect: 204 },
  'put-repr': { label: 'PUT return=repr', expect: 200 },
  batch: { label: `POST insert ×${BATCH_SIZE}`, expect: 204 },
} as const

export type Operation = keyof typeof OPERATIONS

/**
 * The requests autocannon cycles through for `op`, on a table pre-filled
 * with `keys` keys: single objects over KEYS_PER_CYCLE of those keys spread
 * across them, batches over BATCH_BODIES bodies.
 */
export function operationRequests (op: Operation, keys: number): Request[] {
  const objectPath = (key: string): string => `/v1/tables/${BENCH_TABLE}/objects/${encodeURIComponent(key)}`
  const put = (headers: Record<string, string>) => (key: string, i: number): Request => ({
    method: 'PUT',
    path: objectPath(key),
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ value: benchValue(i) }),
  })
  switch (op) {
    case 'get': return objectRequests(keys, key => ({ method: 'GET', path: objectPath(key) }))
    case 'put': return objectRequests(keys, put({}))
    case 'put-repr': return objectRequests(keys, put({ prefer: 'return=representation' }))
    case 'batch': return Array.from({ length: BATCH_BODIES }, (_, batch) => ({
      method: 'POST',
      path: `/v1/tables/${BENCH_TABLE}/insert`,
      headers: { 'content-type': 'application/json' },
      body: batchBody(batch),
    }))
  }
}

/** Requests over KEYS_PER_CYCLE keys spread across the pre-filled ones. */
function objectRequests (keys: number, request: (key: string, i: number) => Request): Request[] {
  const count = Math.min(keys, KEYS_PER_CYCLE)
  return Array.from({ length: count }, (_, n) => {
    const i = Math.floor(n * keys / count)
    return request(benchKey(i), i)
  })
}
