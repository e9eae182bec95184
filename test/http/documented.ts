/**
 * Compares an HTTP answer with the output a README shows for it. Pids and
 * timestamps differ from run to run, so a documented pid matches any pid and
 * a documented ISO time any ISO time; a documented object may leave members
 * out; everything else must be equal.
 */
import type { HttpResult } from './curl.js'

const PID = /^<0\.\d+\.0>$/
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

export interface Documented { status?: number; headers: Record<string, string>; body?: string }

/** Splits shown output into a status line and headers (when shown, as with `curl -i`) and the body. */
export function parseDocumented (output: string): Documented {
  const lines = output.split('\n')
  const statusLine = /^HTTP\/[\d.]+ (\d{3})/.exec(lines[0])
  if (!statusLine) return { headers: {}, body: output.trim() }
  const headers: Record<string, string> = {}
  let i = 1
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const at = lines[i].indexOf(':')
    if (at > 0) headers[lines[i].slice(0, at).trim().toLowerCase()] = lines[i].slice(at + 1).trim()
  }
  const body = lines.slice(i).join('\n').trim()
  return { status: Number(statusLine[1]), headers, body: body === '' ? undefined : body }
}

/** The status the README implies: shown, or a problem body's, or else some 2xx. */
export function expectedStatus (documented: Documented): number | '2xx' {
  if (documented.status !== undefined) return documented.status
  const shown = tryJson(documented.body)
  if (shown && typeof shown === 'object' && typeof shown.status === 'number' && typeof shown.code === 'string') return shown.status
  return '2xx'
}

/** Where the answer differs from what the README shows (empty: it matches). */
export function differences (actual: HttpResult, documented: Documented): string[] {
  const found: string[] = []
  for (const [name, value] of Object.entries(documented.headers)) {
    if (['date', 'content-length', 'connection', 'keep-alive'].includes(name)) continue
    if (actual.headers[name] !== value) found.push(`header ${name}: shown ${value}, got ${actual.headers[name]}`)
  }
  if (documented.body === undefined) return found
  const shown = tryJson(documented.body)
  if (shown === undefined) {
    const squash = (s: string): string => s.replace(/\s+/g, ' ').trim()
    if (squash(actual.body) !== squash(documented.body)) found.push(`body: shown ${documented.body}, got ${actual.body}`)
    return found
  }
  const got = tryJson(actual.body)
  if (got === undefined) return [...found, `body: shown JSON, got ${actual.body}`]
  like(got, shown, '$', found)
  return found
}

function like (actual: any, shown: any, path: string, found: string[]): void {
  if (typeof shown === 'string' && (PID.test(shown) || ISO_TIME.test(shown))) {
    const pattern = PID.test(shown) ? PID : ISO_TIME
    if (typeof actual !== 'string' || !pattern.test(actual)) found.push(`${path}: shown ${shown}, got ${JSON.stringify(actual)}`)
  } else if (Array.isArray(shown)) {
    if (!Array.isArray(actual) || actual.length !== shown.length) {
      found.push(`${path}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`)
    } else shown.forEach((item, i) => like(actual[i], item, `${path}[${i}]`, found))
  } else if (shown !== null && typeof shown === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      found.push(`${path}: shown an object, got ${JSON.stringify(actual)}`)
    } else for (const key of Object.keys(shown)) like(actual[key], shown[key], `${path}.${key}`, found)
  } else if (actual !== shown) {
    found.push(`${path}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`)
  }
}

function tryJson (text: string | undefined): any {
  if (text === undefined) return undefined
  try { return JSON.parse(text) } catch { return undefined }
}
