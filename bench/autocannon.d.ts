/**
 * The part of autocannon 9's API the load benchmark uses. autocannon ships no
 * types and @types/autocannon is not a dependency, so this stays small and
 * covers only what bench/load.ts calls.
 */
declare module 'autocannon' {
  export interface Request {
    method?: string
    /** Honoured inside `requests`; a top-level `path` is ignored (put it in `url`). */
    path?: string
    headers?: Record<string, string>
    body?: string
  }

  export interface Options extends Request {
    url: string
    connections?: number
    pipelining?: number
    /** Seconds. */
    duration?: number
    /** Seconds before a request counts as a timeout. */
    timeout?: number
    requests?: Request[]
    /** Requests per second offered over all connections (default: as fast as answered). */
    overallRate?: number
    /** A run before the measured one whose results are discarded. */
    warmup?: { duration?: number; connections?: number }
  }

  export interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    total: number
    p50: number
    p90: number
    p99: number
  }

  export interface Result {
    url: string
    requests: Histogram
    latency: Histogram
    throughput: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    statusCodeStats: Record<string, { count: number }>
  }

  export default function autocannon (options: Options): Promise<Result>
}
