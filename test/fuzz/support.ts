/**
 * What the fuzz suites share: seeded tables of every type, a snapshot of
 * everything a refused request must leave as it was, the one check of a
 * refusal (a 4xx RFC 9457 problem), a tally of violations grouped by kind,
 * and arbitraries for the ill-formed parts of a request.
 */
import fc from 'fast-check'
import type { Test } from 'tap'
import { errors } from '../../src/errors.js'
import type { App } from '../../src/server.js'

export const TABLES = { set: 'fz_set', ordered_set: 'fz_ordered', bag: 'fz_bag', duplicate_bag: 'fz_dbag' } as const
export const TABLE_NAMES = Object.values(TABLES)
export const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'] as const

/**
 * Keys of every JSON type, and values with no number anywhere in them, so
 * that no update_counter on a stored object can succeed.
 */
export const SEEDED_KEYS: unknown[] = [
  'ada', 'grace', 'ünïcødé', '😀', '', '__proto__', 'constructor', 'prototype',
  1, -2.5, 0, true, false, null, [1, 'a'], [], { a: 'b' }, { constructor: 'x' }, ['nested', ['deeper', { k: 'v' }]],
]
const seededValues = (i: number): unknown[] => [`v${i}`, { name: `n${i}`, tags: ['a', 'b'] }, [`x${i}`, null]]

export async function seedTables (app: App): Promise<void> {
  for (const [type, name] of Object.entries(TABLES)) {
    const created = await app.inject({ method: 'POST', url: '/v1/tables', payload: { name, type } })
    if (created.statusCode !== 201) throw new Error(`create ${name}: ${created.body}`)
    const objects = SEEDED_KEYS.flatMap((key, i) => {
      const values = type.endsWith('bag') ? seededValues(i) : [seededValues(i)[i % 3]]
      return type === 'duplicate_bag' ? [...values, values[0]].map(value => ({ key, value })) : values.map(value => ({ key, value }))
    })
    const inserted = await app.inject({ method: 'POST', url: `/v1/tables/${name}/insert`, payload: { objects } })
    if (inserted.statusCode !== 204) throw new Error(`insert ${name}: ${inserted.body}`)
  }
}

/**
 * Every table's info (without the pids) and every object, as the API shows
 * them. Hash tables leave the order of keys unspecified (a rolled-back batch
 * may move a key), so their objects are compared key by key; the values of
 * a key keep their insertion order, and an ordered_set its whole order.
 */
export async function snapshot (app: App): Promise<unknown> {
  const list = (await app.inject({ url: '/v1/tables' })).json() as { tables: Array<Record<string, unknown>> }
  const tables = list.tables.map(({ name, type, size, memory, restarts, created }) => ({ name, type, size, memory, restarts, created }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
  const objects: Record<string, unknown> = {}
  for (const { name, type } of tables) {
    const dump = (await app.inject({ url: `/v1/tables/${name as string}/dump` })).body
    objects[name as string] = type === 'ordered_set' ? dump : byKey(dump)
  }
  return { tables, objects }
}

function byKey (ndjson: string): Array<[string, unknown[]]> {
  const keys = new Map<string, unknown[]>()
  for (const line of ndjson.split('\n').filter(Boolean)) {
    const { key, value } = JSON.parse(line) as { key: unknown; value: unknown }
    const name = JSON.stringify(key)
    keys.set(name, [...(keys.get(name) ?? []), value])
  }
  return [...keys].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
}

/** The server answers, is ready, and no prototype was polluted. */
export async function expectHealthy (t: Test, app: App): Promise<void> {
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, '/healthz answers 200')
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, '/readyz answers 200')
  const plain = {} as Record<string, unknown>
  t.same(Object.keys(Object.prototype), [], 'Object.prototype has no new members')
  t.equal(plain.admin, undefined, 'no prototype pollution')
}

// ── one request and the check of its answer ────────────────────────────

export interface Request {
  method: string
  url: string
  headers?: Record<string, string>
  payload?: string | Buffer
  /** What makes the request ill-formed, for the report. */
  why: string
}

export interface Answer { statusCode: number; headers: Record<string, unknown>; body: string }

const HANG_MS = 5000

/** Injects the request, or answers status 0 when it does not settle within HANG_MS. */
export async function send (app: App, request: Request): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<Answer>(resolve => { timer = setTimeout(() => resolve({ statusCode: 0, headers: {}, body: 'hung' }), HANG_MS) })
  const { method, url, headers, payload } = request
  try {
    return await Promise.race([app.inject({ method: method as 'GET', url, headers, payload }), hung])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Why the answer is not a 4xx problem (undefined when it is): status,
 * content type, and the members `type`, `title`, `status`, `code` of RFC
 * 9457 with the code from the catalogue and the status it is catalogued with.
 */
export function notAProblem (answer: Answer, allowed: (status: number) => boolean = s => s >= 400 && s < 500): string | undefined {
  const { statusCode: status, headers, body } = answer
  if (status === 0) return 'hung'
  if (!allowed(status)) return `status ${status}${status >= 400 ? ` ${codeOf(body)}` : ''}`
  if (status < 400) return undefined
  const contentType = String(headers['content-type'] ?? '')
  if (!/^application\/problem\+json\b/.test(contentType)) return `${status} as ${contentType || 'no content type'} (${codeOf(body)})`
  let problem: Record<string, unknown>
  try {
    problem = JSON.parse(body) as Record<string, unknown>
  } catch {
    return `${status} problem body is not JSON`
  }
  const code = problem.code as keyof typeof errors
  if (typeof problem.type !== 'string' || typeof problem.title !== 'string') return `${status} problem without type or title`
  if (problem.status !== status) return `${status} problem says status ${String(problem.status)}`
  if (typeof code !== 'string' || !Object.hasOwn(errors, code)) return `${status} problem code ${String(code)} not catalogued`
  if (errors[code].status !== status) return `${status} ${code} is catalogued as ${errors[code].status}`
  return undefined
}

function codeOf (body: string): string {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>
    return String(parsed.code ?? parsed.error ?? '?')
  } catch {
    return body.slice(0, 40)
  }
}

/**
 * Cases run and violations found, grouped by kind (the same fault usually
 * shows on many routes), each kind with the routes it showed on and its
 * shortest example, so that it reads as a reproduction.
 */
export class Tally {
  cases = 0
  readonly statuses = new Map<string, number>()
  readonly violations = new Map<string, { count: number; routes: Set<string>; example: string }>()

  note (route: string, request: Request, answer: Answer, problem: string | undefined): void {
    this.cases++
    const status = `${answer.statusCode}`
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    if (problem === undefined) return
    const example = `${request.method} ${request.url.slice(0, 160)}${request.url.length > 160 ? '…' : ''}` +
      ` [${request.why}] ${request.headers ? JSON.stringify(request.headers) : ''}` +
      ` body=${printable(request.payload)} → ${answer.statusCode} ${answer.body.slice(0, 200)}`
    const seen = this.violations.get(problem)
    if (!seen) this.violations.set(problem, { count: 1, routes: new Set([route]), example })
    else {
      seen.count++
      seen.routes.add(route)
      if (example.length < seen.example.length) seen.example = example
    }
  }

  report (): string[] {
    return [...this.violations].map(([kind, { count, routes, example }]) =>
      `${kind} ×${count} on ${routes.size} route(s) (${[...routes].slice(0, 4).join('; ')}${routes.size > 4 ? '; …' : ''}) e.g. ${example}`)
  }
}

function printable (payload: string | Buffer | undefined): string {
  if (payload === undefined) return 'none'
  const text = Buffer.isBuffer(payload) ? `<bytes ${payload.subarray(0, 60).toString('hex')}>` : JSON.stringify(payload)
  return text.length > 200 ? `${text.slice(0, 200)}…(${payload.length} bytes)` : text
}

// ── arbitraries ────────────────────────────────────────────────────────

export const deepArray = (depth: number, leaf = '1'): string => '['.repeat(depth) + leaf + ']'.repeat(depth)
export const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

/** JSON text nested far past the engine's limit (512): arrays, objects, mixed. */
export const deepJson = fc.oneof(
  fc.integer({ min: 513, max: 10_000 }).map(depth => deepArray(depth)),
  fc.constant(deepArray(10_000)),
  fc.integer({ min: 600, max: 10_000 }).map(deepObject),
  fc.integer({ min: 300, max: 3000 }).map(depth => '[{"a":'.repeat(depth) + 'null' + '}]'.repeat(depth))
)

/** Text that is not JSON at all (or not one JSON value). */
export const notJson = fc.oneof(
  fc.constantFrom('{', '{"a":', 'nul', "{'name':'x'}", '{"a":1,}', 'NaN', '[1,]', '{"a":1}}', '\u0000', '{"a":1} x',
    'undefined', '{"a":01}', '"\\x"', '{"a":"\u0001"}', '{"a" 1}', '[', ']', '{}{}', 'tru', '-', '1e', '"unterminated'),
  fc.string({ maxLength: 40 }).filter(s => s.trim() !== '' && !parses(s))
)

function parses (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Content types that are not JSON, each with a payload (an empty body has no media type to refuse). */
export const notJsonContentType = fc.constantFrom(
  'text/plain', 'application/xml', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/octet-stream', 'application/jsonx', 'application/json-patch+json', 'text/json', 'image/png', 'application/x-ndjson'
)

/** Query strings no route knows; never changing a refusal into an acceptance. */
export const unknownQuery = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?__proto__=1', '?constructor[prototype][admin]=1', '?a[b]=c&a[b]=d', '?limit=5&cursor=zz', '?x', '?=', '?&&', '?%FF=1'),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 })
    .map(query => '?' + new URLSearchParams(query).toString())
)

/** Table names the schema refuses: in a path, encoded. */
export const badTableName = fc.oneof(
  fc.constantFrom('-x', '.hidden', 'a b', 'a/b', 'tab\u0000le', 'ta%ble', 'ümlaut', '😀', 'a:b', 'a\nb', '..', '.', '-', 'x'.repeat(129)),
  fc.string({ minLength: 129, maxLength: 400, unit: fc.constantFrom('a', 'b', '_', '9') }),
  fc.string({ minLength: 1, maxLength: 20 }).filter(s => !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(s)),
  fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' }).filter(s => !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(s))
)

/** Names the schema accepts but no table has (the proto-like ones included: the catalog must not find them on Object.prototype). */
export const missingTableName = fc.oneof(
  fc.constantFrom(...PROTO_NAMES),
  fc.stringMatching(/^[a-z0-9_]{1,20}$/).map(s => `nx_${s}`),
  fc.constant('n'.repeat(128))
)

/** A table path segment that must be refused: 400 (bad name) or 404 (no such table). */
export const badTableSegment = fc.oneof(
  badTableName.map(name => ({ segment: encodeURIComponent(name), why: `bad table name ${JSON.stringify(name.slice(0, 40))}` })),
  missingTableName.map(name => ({ segment: encodeURIComponent(name), why: `no table ${name}` })),
  fc.constantFrom('%FF', '%E0%A4', '%C3', '%', '%zz', 'a%2Fb').map(segment => ({ segment, why: `bad escape ${segment}` }))
)

/** Path keys that must be refused: too long (over 1024), or badly escaped. */
export const badKeySegment = fc.oneof(
  fc.integer({ min: 1025, max: 4000 }).map(n => ({ segment: 'k'.repeat(n), why: `key of ${n} chars` })),
  fc.integer({ min: 1025, max: 1500 }).map(n => ({ segment: encodeURIComponent('😀'.repeat(n)), why: `key of ${n} emoji` })),
  fc.constantFrom('%FF', '%E0%A4', '%C3%28', '%ED%A0%80', '%', '%zz').map(segment => ({ segment, why: `bad escape ${segment}` }))
)

/** Keys surely absent from every table (for reads that must answer 404). */
export const missingKey = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ maxLength: 10, unit: 'grapheme' }), fc.constantFrom(...PROTO_NAMES))
  .map(s => `nx:${s}`)

/** JSON values of every type but the one named. */
export const wrongType = {
  string: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 })),
  number: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({ n: 1 })),
  boolean: fc.oneof(fc.string({ minLength: 1 }), fc.integer(), fc.constant(null), fc.constant([]), fc.constant({})),
  array: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 })),
  object: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
}
