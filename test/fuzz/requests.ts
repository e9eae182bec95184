/**
 * Ill-formed requests for every route, by construction refused: each case
 * breaks the table segment, the key segment, the media type, the JSON, or
 * the body's shape or values in a way the contract says is a 4xx, and
 * changes nothing (a valid body is only ever sent with a broken part
 * elsewhere). Grouped as the fuzz suite runs them.
 */
import fc from 'fast-check'
import { compileMatchSpec } from '../../src/ets/match-spec.js'
import type { Term } from '../../src/ets/term.js'
import {
  badKeySegment, badTableName, badTableSegment, deepJson, missingKey, missingTableName, notJson, notJsonContentType,
  PROTO_NAMES, type Request, SEEDED_KEYS, TABLE_NAMES, TABLES, unknownQuery, wrongType,
} from './support.js'

export interface Case { route: string; request: Request }

/** A body as JSON text with why it is wrong. */
interface Bad { text: string; why: string }

const JSON_HEADERS = { 'content-type': 'application/json' }
const json = (value: unknown): string => JSON.stringify(value)
const bad = (why: string) => (value: unknown): Bad => ({ text: json(value), why })
const raw = (why: string) => (text: string): Bad => ({ text, why })

const anyTable = fc.constantFrom(...TABLE_NAMES)
const bagTable = fc.constantFrom(TABLES.bag, TABLES.duplicate_bag)
const hashTable = fc.constantFrom(TABLES.set, TABLES.bag, TABLES.duplicate_bag)
const seededKey = fc.constantFrom(...SEEDED_KEYS)
const encodeKey = (key: string): string => encodeURIComponent(key)

/** A JSON object member holding text nested past the depth limit. */
const deepMember = (name: string, extra = ''): fc.Arbitrary<Bad> =>
  deepJson.map(deep => ({ text: `{${extra}"${name}":${deep}}`, why: `${name} nested too deep` }))

/** Bad bodies any JSON route refuses: the top level is not an object, or not JSON, or empty, or poisoned. */
function anyBadBody (template: unknown, nullIsValid: boolean): fc.Arbitrary<Bad> {
  const tops = ['1', '"x"', 'true', '[]', '[{}]', '-0', '1e400', ...(nullIsValid ? [] : ['null'])]
  const text = json(template)
  const poison = (member: string): string =>
    !text.startsWith('{') || text === '{}' ? `{${member}}` : text.replace(/^\{/, `{${member},`)
  return fc.oneof(
    fc.constantFrom(...tops).map(raw('top level not an object')),
    notJson.map(raw('not JSON')),
    fc.constant({ text: '', why: 'empty body with a JSON media type' }),
    fc.constantFrom('"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}', '" __proto__":1,"__proto__":[]')
      .map(member => ({ text: poison(member), why: 'poisoned member' }))
  )
}

interface BodyRoute {
  route: string
  method: 'POST' | 'PUT'
  /** The URL for a table segment (already encoded). */
  path: (table: string) => string
  /** The tables it may be sent to with a bad body. */
  tables?: fc.Arbitrary<string>
  /** A well-formed body: only ever sent with a broken table segment or media type. */
  valid: unknown
  /** Bodies that route must refuse on those tables. */
  invalid: fc.Arbitrary<Bad>
  /** `null` is a valid body (routes without arguments). */
  nullIsValid?: boolean
}

const HUGE = json({ value: 'x'.repeat(1_100_000) })

/** Every way to break a route that takes a body. */
function bodyCases (spec: BodyRoute): fc.Arbitrary<Case> {
  const tables = spec.tables ?? anyTable
  const request = (table: string, query: string, payload: string | undefined, why: string, headers?: Record<string, string>): Case => ({
    route: spec.route,
    request: { method: spec.method, url: spec.path(table) + query, payload, headers: headers ?? JSON_HEADERS, why },
  })
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(tables, unknownQuery, spec.invalid).map(([t, q, b]) => request(t, q, b.text, b.why)) },
    { weight: 3, arbitrary: fc.tuple(tables, unknownQuery, anyBadBody(spec.valid, spec.nullIsValid === true)).map(([t, q, b]) => request(t, q, b.text, b.why)) },
    {
      weight: 2,
      arbitrary: fc.tuple(tables, notJsonContentType).map(([t, type]) =>
        request(t, '', json(spec.valid), `media type ${type}`, { 'content-type': type })),
    },
    { weight: 1, arbitrary: tables.map(t => request(t, '', json(spec.valid), 'no media type', {})) },
    {
      weight: 2,
      arbitrary: fc.tuple(badTableSegment, unknownQuery).map(([{ segment, why }, q]) => request(segment, q, json(spec.valid), why)),
    },
    { weight: 1, arbitrary: tables.map(t => request(t, '', HUGE, 'body over 1 MiB')) }
  )
}

/** Routes without a body: only the table (and key) segments can be wrong. */
function segmentCases (route: string, method: string, path: (table: string) => string): fc.Arbitrary<Case> {
  return fc.tuple(badTableSegment, unknownQuery, fc.boolean()).map(([{ segment, why }, query, withBody]) => ({
    route,
    request: {
      method,
      url: path(segment) + query,
      // A body where none is expected changes nothing: still refused for the table.
      ...(withBody ? { payload: '{"key":"ada"}', headers: JSON_HEADERS } : {}),
      why: withBody ? `${why}, with a body` : why,
    },
  }))
}

// ── tables ─────────────────────────────────────────────────────────────

const badType = fc.oneof(fc.constantFrom('heap', 'SET', '', 'set ', 'Bag', 'duplicate-bag', 'ordered set'), wrongType.string)
const existing = fc.constantFrom(...TABLE_NAMES)

const createTable = bodyCases({
  route: 'POST /v1/tables',
  method: 'POST',
  path: () => '/v1/tables',
  tables: fc.constant(''),
  valid: { name: TABLES.set },
  invalid: fc.oneof(
    fc.constant({}).map(bad('no name')),
    fc.constantFrom({ type: 'set' }, { Name: 'x' }, { names: ['x'] }).map(bad('no name')),
    wrongType.string.map(name => bad('name not a string')({ name })),
    badTableName.map(name => bad('bad name')({ name })),
    fc.tuple(existing, fc.constantFrom(undefined, 'set', 'bag')).map(([name, type]) => bad('name taken')({ name, type })),
    fc.tuple(fc.stringMatching(/^[a-z]{1,10}$/), badType).map(([name, type]) => bad('bad type')({ name: `nx_${name}`, type })),
    deepMember('name')
  ),
})

const renameTable = bodyCases({
  route: 'POST /v1/tables/{table}/rename',
  method: 'POST',
  path: table => `/v1/tables/${table}/rename`,
  valid: { name: 'nx_renamed' },
  invalid: fc.oneof(
    fc.constant({}).map(bad('no name')),
    wrongType.string.map(name => bad('name not a string')({ name })),
    badTableName.map(name => bad('bad new name')({ name })),
    existing.map(name => bad('new name taken')({ name }))
  ),
})

export const tableCases = fc.oneof(
  createTable,
  renameTable,
  segmentCases('GET /v1/tables/{table}', 'GET', table => `/v1/tables/${table}`),
  segmentCases('DELETE /v1/tables/{table}', 'DELETE', table => `/v1/tables/${table}`),
  segmentCases('GET /v1/tables/{table}/dump', 'GET', table => `/v1/tables/${table}/dump`)
)

// ── objects by path key ────────────────────────────────────────────────

const pathKey = fc.oneof(seededKey.filter((k): k is string => typeof k === 'string'), missingKey)

const putObject = fc.oneof(
  fc.tuple(pathKey, fc.option(fc.constantFrom('return=representation', 'return=minimal', 'garbage;;', '\u00ff'), { nil: undefined }))
    .chain(([key, prefer]) => bodyCases({
      route: 'PUT /v1/tables/{table}/objects/{key}',
      method: 'PUT',
      path: table => `/v1/tables/${table}/objects/${encodeKey(key)}`,
      valid: { value: 'new' },
      invalid: fc.oneof(
        fc.constant({}).map(bad('no value')),
        fc.constantFrom({ val: 1 }, { Value: 1 }, { values: [1] }, { key, v: 2 }).map(bad('no value')),
        deepMember('value')
      ),
    }).map(c => prefer === undefined ? c : { ...c, request: { ...c.request, headers: { ...c.request.headers, prefer } } })),
  fc.tuple(anyTable, badKeySegment).map(([table, { segment, why }]) => ({
    route: 'PUT /v1/tables/{table}/objects/{key}',
    request: { method: 'PUT', url: `/v1/tables/${table}/objects/${segment}`, payload: '{"value":1}', headers: JSON_HEADERS, why },
  }))
)

const keySegmentCases = (method: string): fc.Arbitrary<Case> => {
  const route = `${method} /v1/tables/{table}/objects/{key}`
  return fc.oneof(
    fc.tuple(badTableSegment, pathKey).map(([{ segment, why }, key]) => ({
      route, request: { method, url: `/v1/tables/${segment}/objects/${encodeKey(key)}`, why },
    })),
    fc.tuple(anyTable, badKeySegment).map(([table, { segment, why }]) => ({
      route, request: { method, url: `/v1/tables/${table}/objects/${segment}`, why },
    }))
  )
}

export const objectCases = fc.oneof(
  { weight: 3, arbitrary: putObject },
  { weight: 2, arbitrary: keySegmentCases('GET') },
  {
    weight: 1,
    arbitrary: fc.tuple(anyTable, missingKey, unknownQuery).map(([table, key, query]) => ({
      route: 'GET /v1/tables/{table}/objects/{key}',
      request: { method: 'GET', url: `/v1/tables/${table}/objects/${encodeKey(key)}${query}`, why: 'no such key' },
    })),
  },
  { weight: 2, arbitrary: keySegmentCases('DELETE') }
)

// ── operations ─────────────────────────────────────────────────────────

const op = (name: string, spec: Omit<BodyRoute, 'route' | 'method' | 'path'>): fc.Arbitrary<Case> =>
  bodyCases({ route: `POST /v1/tables/{table}/${name}`, method: 'POST', path: table => `/v1/tables/${table}/${name}`, ...spec })

/** Any JSON object without the members named. */
const objectWithout = (...names: string[]): fc.Arbitrary<Bad> =>
  fc.dictionary(fc.string({ maxLength: 6 }).filter(n => !names.includes(n) && !PROTO_NAMES.includes(n as never)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
    .map(bad(`no ${names.join(' or ')}`))

const keyBody = (name: string, extra: fc.Arbitrary<Bad>[] = [], members = ['key']): fc.Arbitrary<Case> =>
  op(name, { valid: { key: 'ada' }, invalid: fc.oneof(objectWithout(...members), deepMember('key'), ...extra) })

const tooMany = (n: number, item: unknown): unknown[] => Array.from({ length: n }, () => item)

const badObjects = fc.oneof(
  objectWithout('key', 'objects'),
  objectWithout('value', 'objects'),
  fc.constant({ key: 'k' }).map(bad('no value')),
  wrongType.array.map(objects => bad('objects not a list')({ objects })),
  fc.constantFrom([1], [null], ['x'], [[1, 2]], [{ key: 1 }], [{ value: 1 }], [{ key: 'ok', value: 1 }, { key: 2 }])
    .map(objects => bad('a bad object in the list')({ objects })),
  deepJson.map(deep => ({ text: `{"key":"k","value":${deep}}`, why: 'value nested too deep' })),
  deepJson.map(deep => ({ text: `{"objects":[{"key":"ok","value":1},{"key":${deep},"value":1}]}`, why: 'a key nested too deep, after a good object' })),
  fc.constant(bad('10,001 objects')({ objects: tooMany(10_001, { key: 'k', value: 1 }) }))
)

const nonNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant([1]), fc.constant({ n: 1 }))

const counterBody = fc.oneof(
  objectWithout('key'),
  fc.constant({ key: 'ada' }).map(bad('no ops')),
  fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), fc.constant([{ incr: 'x' }]),
    fc.constant({ incr: 1, bogus: 1 }), fc.constant(tooMany(101, { incr: 1 })), fc.constant({ incr: 1, threshold: 'x' }))
    .map(ops => bad('bad ops')({ key: 'ada', ops })),
  // The engine's refusals: the value is not a number, a float step, no object and no default, a default that is no counter.
  fc.tuple(seededKey, fc.constantFrom(1, -1, { incr: 2 }, [{ incr: 1 }, { incr: 1, threshold: 3, setValue: 0 }]))
    .map(([key, ops]) => bad('stored value is not a number')({ key, ops })),
  fc.tuple(missingKey, fc.constantFrom(1.5, { incr: 0.1 }, -0.5)).map(([key, ops]) => bad('float step')({ key, ops, default: { key, value: 0 } })),
  missingKey.map(key => bad('no object and no default')({ key, ops: 1 })),
  fc.tuple(missingKey, nonNumber).map(([key, value]) => bad('default value not a number')({ key, ops: 1, default: { key, value } })),
  fc.tuple(missingKey, wrongType.object).map(([key, d]) => bad('default not an object')({ key, ops: 1, default: d })),
  missingKey.map(key => bad('default without value')({ key, ops: 1, default: { key } }))
)

const mergePatchBody = fc.oneof(
  objectWithout('key'),
  objectWithout('patch'),
  fc.tuple(missingKey, fc.jsonValue({ maxDepth: 2 })).map(([key, patch]) => bad('no such key')({ key, patch })),
  fc.tuple(seededKey, deepJson).map(([key, deep]) => ({ text: `{"key":${json(key)},"patch":${deep}}`, why: 'patch nested too deep' }))
)

/** Specs the compiler refuses, handpicked and random (the compiler itself is the oracle). */
const badSpec: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    [1], [null], ['_'], [[]], [{}], [{ head: '_' }], [{ result: 1 }], [{ head: '_', result: 1, extra: 1 }],
    [{ head: '$_', result: 1 }], [{ head: '$$', result: 1 }], [{ head: '_', guards: 'x', result: 1 }],
    [{ head: '_', guards: [['no_such_function', '$1']], result: 1 }], [{ head: '_', guards: [['==', '$1']], result: 1 }],
    [{ head: '_', result: '$1' }], [{ head: '_', guards: [[]], result: 1 }], [{ head: '_', guards: [{}], result: 1 }],
    [{ head: '_', result: true }, 7]
  ).filter(doesNotCompile),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 4 }).filter(doesNotCompile),
  fc.record({ head: fc.jsonValue({ maxDepth: 2 }), guards: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 }), result: fc.jsonValue({ maxDepth: 2 }) })
    .map(clause => [clause]).filter(doesNotCompile)
)

function doesNotCompile (spec: unknown): boolean {
  try {
    compileMatchSpec(spec as Term)
    return false
  } catch {
    return true
  }
}

const specBody = fc.oneof(
  objectWithout('spec'),
  wrongType.array.map(spec => bad('spec not a list')({ spec })),
  fc.constant(bad('empty spec')({ spec: [] })),
  fc.constant(bad('101 clauses')({ spec: tooMany(101, { head: '_', result: true }) })),
  badSpec.map(spec => bad('spec does not compile')({ spec }))
)

const ALL = [{ head: '_', result: true }]
const badLimit = fc.oneof(fc.constantFrom(0, -1, 1.5, 10_001, 1e300), wrongType.number)
/** Strings that decode to no JSON: not base64url, or base64url of text that is not JSON. */
const badCursor = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20, unit: fc.constantFrom('!', '*', '(', ')', '~', ' ', '.', '$') }),
  notJson.map(text => Buffer.from(text).toString('base64url')),
  fc.constant('')
)

const batchOps = fc.oneof(
  wrongType.array.map(ops => bad('ops not a list')({ ops })),
  fc.constant(bad('no ops')({ ops: [] })),
  fc.constant(bad('1,001 ops')({ ops: tooMany(1001, { op: 'delete', key: 'nx' }) })),
  fc.constantFrom<unknown>({ op: 'nope' }, { op: 'insert' }, { op: 'delete' }, { op: 'update_counter', key: 'k' }, { op: 'select_delete', spec: [1] },
    { op: 'insert', objects: [{ key: 'k' }] }, {}, 1, null)
    .map(bad1 => bad('a bad op')({ ops: [{ op: 'insert', objects: [{ key: 'nx:batch', value: 1 }] }, bad1] })),
  // Good operations, then one the engine refuses: the whole batch is undone.
  fc.tuple(seededKey, fc.constantFrom<unknown[]>(
    [{ op: 'insert', objects: [{ key: 'nx:batch', value: 1 }] }],
    [{ op: 'delete_all_objects' }],
    [{ op: 'select_delete', spec: ALL }],
    [{ op: 'delete', key: 'ada' }, { op: 'insert', objects: [{ key: 'ada', value: 'changed' }] }],
    [{ op: 'take', key: 'grace' }]
  )).map(([key, good]) => bad('good ops then a refused update_counter')({ ops: [...good, { op: 'update_counter', key, ops: 1 }] }))
)

const writeCases = fc.oneof(
  op('insert', { valid: { key: 'nx:new', value: 1 }, invalid: badObjects }),
  op('insert_new', { valid: { key: 'nx:new', value: 1 }, invalid: badObjects }),
  keyBody('delete'),
  keyBody('take'),
  op('delete_object', { valid: { key: 'ada', value: 'v0' }, invalid: fc.oneof(objectWithout('key'), objectWithout('value'), deepMember('key', '"value":1,')) }),
  op('delete_all_objects', { valid: {}, nullIsValid: true, invalid: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }).map(bad('arguments where none are taken')) }),
  op('update_counter', { valid: { key: 'nx:c', ops: 1, default: { key: 'nx:c', value: 0 } }, invalid: counterBody }),
  op('update_counter', { tables: bagTable, valid: { key: 'nx:c', ops: 1, default: { key: 'nx:c', value: 0 } }, invalid: fc.constant(bad('a bag has no counters')({ key: 'nx:c', ops: 1, default: { key: 'nx:c', value: 0 } })) }),
  op('merge_patch', { valid: { key: 'ada', patch: { a: 1 } }, invalid: mergePatchBody }),
  op('merge_patch', { tables: bagTable, valid: { key: 'ada', patch: { a: 1 } }, invalid: seededKey.map(key => bad('a bag has no merge_patch')({ key, patch: { a: 1 } })) }),
  op('select_delete', { valid: { spec: ALL }, invalid: specBody }),
  op('select_replace', { valid: { spec: [{ head: '$1', result: '$1' }] }, invalid: specBody }),
  op('batch', { valid: { ops: [{ op: 'delete_all_objects' }] }, invalid: batchOps })
)

const readCases = fc.oneof(
  keyBody('lookup', [
    wrongType.array.map(keys => bad('keys not a list')({ keys })),
    deepJson.map(deep => ({ text: `{"keys":["ada",${deep}]}`, why: 'a key nested too deep' })),
    fc.constant(bad('10,001 keys')({ keys: tooMany(10_001, 'k') })),
  ], ['key', 'keys']),
  keyBody('member'),
  keyBody('next'),
  keyBody('prev'),
  // On a hash table next/prev need a key that is present (on an ordered_set any key is a position).
  ...(['next', 'prev'] as const).map(name => op(name, {
    tables: hashTable, valid: { key: 'ada' }, invalid: missingKey.map(key => bad(`${name} of an absent key`)({ key })),
  })),
  op('first', { valid: {}, nullIsValid: true, invalid: objectWithout().filter(b => b.text !== '{}') }),
  op('last', { valid: null, nullIsValid: true, invalid: fc.constant(bad('arguments where none are taken')({ reverse: true })) }),
  op('page', {
    valid: { limit: 5 },
    invalid: fc.oneof(
      badLimit.map(limit => bad('bad limit')({ limit })),
      wrongType.boolean.map(reverse => bad('reverse not a boolean')({ reverse })),
      wrongType.string.map(cursor => bad('cursor not a string')({ cursor })),
      badCursor.map(cursor => bad('cursor not one the server gave')({ cursor })),
      deepMember('from', '"limit":2,'),
      deepMember('to')
    ),
  }),
  op('page', { tables: hashTable, valid: { limit: 5 }, invalid: fc.constantFrom({ from: 'a' }, { to: 1 }, { from: 1, to: 'z' }).map(bad('a range on a hash table')) }),
  op('select', {
    valid: { spec: ALL },
    invalid: fc.oneof(
      specBody,
      badLimit.map(limit => bad('bad limit')({ spec: ALL, limit })),
      wrongType.string.map(continuation => bad('continuation not a string')({ spec: ALL, continuation })),
      badCursor.map(continuation => bad('continuation not one the server gave')({ spec: ALL, limit: 1, continuation }))
    ),
  }),
  op('select_count', { valid: { spec: ALL }, invalid: specBody })
)

export const operationCases = { writes: writeCases, reads: readCases }

// ── processes, faults, unknown routes ──────────────────────────────────

const crashTarget = fc.oneof(
  fc.constantFrom<unknown>({}, { process: 'nope' }, { process: 'table_handler' }, { process: 'root' },
    { process: 'table_sup' }, { table: TABLES.set }, { process: ['table_manager'] }),
  badTableName.map(table => ({ process: 'table_handler', table }))
)
const faultCases = bodyCases({
  route: 'POST /v1/faults/crash',
  method: 'POST',
  path: () => '/v1/faults/crash',
  tables: fc.constant(''),
  valid: { process: 'table_handler', table: 'nx_missing' },
  invalid: fc.oneof(
    crashTarget.map(bad('bad target')),
    fc.constant(bad('no targets')([])),
    fc.constant(bad('101 targets')(tooMany(101, { process: 'table_manager' }))),
    crashTarget.map(target => bad('a bad target after a good one')([{ process: 'table_manager' }, target])),
    missingTableName.map(table => bad('no handler of that table')({ process: 'table_handler', table })),
    missingTableName.map(table => bad('good targets, then one with no process')([{ process: 'table_manager' }, { process: 'table_handler', table: TABLES.set }, { process: 'table_handler', table }]))
  ),
})

const segment = fc.oneof(fc.stringMatching(/^[a-z_]{1,12}$/), fc.constantFrom(...PROTO_NAMES, 'v2', '..', '.', '%2e%2e', 'tables', 'objects'))
// "." and ".." are dot segments: clients remove them (/v1/./tables is /v1/tables), so they name no unknown route.
const pathSegment = segment.filter(part => part !== '.' && part !== '..')
const unknownRoutes = fc.oneof(
  fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.array(pathSegment, { minLength: 1, maxLength: 5 }))
    .filter(([, parts]) => !['healthz', 'readyz'].includes(parts[0]) && parts[0] !== 'v1')
    .map(([method, parts]) => ({ method, url: `/${parts.map(encodeURIComponent).join('/')}`, why: 'no such route' })),
  fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.array(pathSegment, { minLength: 1, maxLength: 3 }))
    .filter(([, parts]) => !['tables', 'processes', 'faults'].includes(parts[0]))
    .map(([method, parts]) => ({ method, url: `/v1/${parts.map(encodeURIComponent).join('/')}`, why: 'no such route' })),
  fc.constantFrom(
    ['PATCH', '/v1/tables'], ['PUT', '/v1/tables'], ['DELETE', '/v1/tables'], ['PUT', `/v1/tables/${TABLES.set}`],
    ['POST', `/v1/tables/${TABLES.set}/objects/ada`], ['GET', `/v1/tables/${TABLES.set}/insert`], ['GET', `/v1/tables/${TABLES.set}/objects`],
    ['POST', `/v1/tables/${TABLES.set}/no_such_operation`], ['POST', '/v1/processes'], ['GET', '/v1/faults/crash'], ['POST', '/healthz'],
    ['DELETE', '/readyz'], ['GET', '/v1/tables//objects/k'], ['POST', `/v1/tables/${TABLES.set}/insert/extra`]
  ).map(([method, url]) => ({ method, url, why: 'wrong method or path' }))
).map(request => ({ route: 'unknown route', request }))

export const otherCases = fc.oneof(faultCases, unknownRoutes)

// ── hostile classes (issue 8) ──────────────────────────────────────────
//
// Requests that are well-formed but aim at the server's limits: a key named
// many times, result templates that repeat "$_" or a variable, guards
// deep and wide, select_replace that grows values, values around the value
// limit. Each may be refused (a 4xx problem) or answered; an answer must be
// bounded and correct, judged against the tables as their dump shows them.

/** The limits the hostile cases run against: small, so that cases straddle them cheaply. */
export const HOSTILE_LIMITS = { maxResponseBytes: 32 * 1024, maxValueBytes: 2048, maxSpecTerms: 2000 }

/** What the tables hold, from their dump: per table, the values of each key (by its JSON) and the object count. */
export type Reference = Map<string, { size: number; values: Map<string, unknown[]> }>

export interface HostileCase extends Case {
  /** Why a 2xx answer is wrong (undefined when it is right). */
  judge: (answer: unknown, bytes: number, reference: Reference) => string | undefined
  /** Undoes a write the server accepted, so that the tables stay as they were. */
  undo?: Request
}

const post = (name: string, table: string, body: unknown, why: string): Request =>
  ({ method: 'POST', url: `/v1/tables/${table}/${name}`, headers: JSON_HEADERS, payload: json(body), why })
const bounded = (bytes: number): string | undefined =>
  bytes > HOSTILE_LIMITS.maxResponseBytes + 1024 ? `a 2xx of ${bytes} bytes, past max-response-bytes` : undefined
const same = (a: unknown, b: unknown): boolean => json(a) === json(b)

const repeatedKeys = fc.tuple(anyTable, seededKey, fc.integer({ min: 1, max: 10_000 })).map(([table, key, n]): HostileCase => ({
  route: 'POST /v1/tables/{table}/lookup',
  request: post('lookup', table, { keys: tooMany(n, key) }, `one key named ${n} times`),
  judge: (answer, bytes, reference) => {
    const { results } = answer as { results: Array<{ key: unknown; values: unknown[] }> }
    const values = reference.get(table)?.values.get(json(key)) ?? []
    if (results.length !== n) return `${results.length} results for ${n} keys`
    if (!results.every(r => same(r.key, key) && same(r.values, values))) return 'a result is not the key and its values'
    return bounded(bytes)
  },
}))

/** A result template repeating "$_" or the bound variables `n` times; each result is then n copies of one thing. */
const repeatedResults = fc.tuple(anyTable, fc.integer({ min: 1, max: 3000 }), fc.boolean(), fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }))
  .map(([table, n, whole, limit]): HostileCase => {
    const spec = [whole ? { head: '_', result: tooMany(n, '$_') } : { head: { key: '$1', value: '$2' }, result: tooMany(n, ['$1', '$2']) }]
    return {
      route: 'POST /v1/tables/{table}/select',
      request: post('select', table, { spec, ...(limit === undefined ? {} : { limit }) }, `a result repeating ${whole ? '"$_"' : 'the variables'} ${n} times`),
      judge: (answer, bytes, reference) => {
        const { results, continuation } = answer as { results: unknown[][]; continuation?: string }
        const { size, values } = reference.get(table)!
        if (results.length > (limit ?? size)) return `${results.length} results, more than asked`
        if (limit === undefined && (results.length !== size || continuation !== undefined)) return 'without a limit, not every object'
        for (const result of results) {
          const first = result[0] as { key: unknown; value: unknown } | [unknown, unknown]
          const [key, value] = Array.isArray(first) ? first : [first.key, first.value]
          if (result.length !== n || !result.every(r => same(r, first))) return 'a result is not n copies of one thing'
          if (!(values.get(json(key)) ?? []).some(v => same(v, value))) return 'a result names an object the table does not hold'
        }
        return bounded(bytes)
      },
    }
  })

/** Guards that are always true, `width` of them under one andalso, or one nested `depth` deep: every object counts. */
const alwaysTrue = fc.oneof(
  fc.integer({ min: 1, max: 3000 }).map(width => ({ guard: ['andalso', ...tooMany(width, ['==', 1, 1])], why: `${width} guards wide` })),
  fc.integer({ min: 1, max: 600 }).map(depth => {
    let guard: unknown = ['==', 1, 1]
    for (let i = 0; i < depth; i++) guard = ['not', ['not', guard]]
    return { guard, why: `guards ${2 * depth} deep` }
  })
)
const heavyGuards = fc.tuple(anyTable, alwaysTrue).map(([table, { guard, why }]): HostileCase => ({
  route: 'POST /v1/tables/{table}/select_count',
  request: post('select_count', table, { spec: [{ head: '_', guards: [guard], result: true }] }, why),
  judge: (answer, _bytes, reference) => {
    const { count } = answer as { count: number }
    return count === reference.get(table)!.size ? undefined : `count ${count}, not the table's ${reference.get(table)!.size}`
  },
}))

/** select_replace whose result repeats the value `n` times: past max-value-bytes for the smallest seeded value (4 bytes of JSON). */
const growth = fc.tuple(anyTable, fc.integer({ min: HOSTILE_LIMITS.maxValueBytes / 4, max: 20_000 })).map(([table, n]): HostileCase => ({
  route: 'POST /v1/tables/{table}/select_replace',
  request: post('select_replace', table, { spec: [{ head: { key: '$1', value: '$2' }, result: { key: '$1', value: tooMany(n, '$2') } }] }, `each value repeated ${n} times`),
  judge: () => 'a select_replace that makes every value pass max-value-bytes was accepted',
}))

/** A value whose JSON is within a few bytes of max-value-bytes either way (some characters take two bytes). */
const nearTheLimit = fc.tuple(anyTable, fc.integer({ min: -40, max: 40 }), fc.integer({ min: 0, max: 20 }), fc.constantFrom('insert', 'put'))
  .map(([table, off, wide, how]): HostileCase => {
    const value = 'é'.repeat(wide) + 'x'.repeat(HOSTILE_LIMITS.maxValueBytes + off - 2 - 2 * wide)
    const bytes = Buffer.byteLength(json(value))
    const key = `nx:big:${off}:${wide}`
    const request: Request = how === 'put'
      ? { method: 'PUT', url: `/v1/tables/${table}/objects/${encodeKey(key)}`, headers: JSON_HEADERS, payload: json({ value }), why: `a value of ${bytes} bytes (${how})` }
      : post('insert', table, { key, value }, `a value of ${bytes} bytes (${how})`)
    return {
      route: how === 'put' ? 'PUT /v1/tables/{table}/objects/{key}' : 'POST /v1/tables/{table}/insert',
      request,
      judge: () => bytes > HOSTILE_LIMITS.maxValueBytes ? `a value of ${bytes} bytes, past max-value-bytes, was stored` : undefined,
      undo: post('delete', table, { key }, 'undo'),
    }
  })

export const hostileCases = fc.oneof(repeatedKeys, repeatedResults, heavyGuards, growth, nearTheLimit)
