// Heirloom's side of the differential test: each operation over HTTP
// (`/v1/tables/{table}/…`) against a real listening server, its answer
// turned into the term ETS would return, so both print alike.
import http from 'node:http'
import type { TableType } from '../../src/ets/table.js'
import type { Term } from '../../src/ets/term.js'
import { atom, type ETerm, fromJson, int, list, tuple } from './erlang-term.js'
import type { Op } from './operations.js'

/** What both sides answer for a badarg, and for a match spec that does not compile (ETS says badarg too). */
export const BADARG: ETerm = tuple(atom('$error'), atom('badarg'))
const END_OF_TABLE = atom('$end_of_table')

interface Answer { status: number; body: any; text: string }

/** Thrown for an answer that is neither a result nor badarg; becomes the outcome `{'$error', {http, Status, Text}}`. */
class UnexpectedAnswer extends Error {
  constructor (readonly answer: Answer) {
    super(`HTTP ${answer.status}: ${answer.text.slice(0, 500)}`)
  }
}

let tables = 0

/** One fresh Heirloom table of the given type; `drop` removes it. */
export class HeirloomTable {
  private constructor (private readonly base: string, private readonly path: string) {}

  static async create (base: string, type: TableType): Promise<HeirloomTable> {
    const name = `differential_${type}_${process.pid}_${++tables}`
    const created = await request(base, 'POST', '/v1/tables', { name, type })
    if (created.status !== 201) throw new UnexpectedAnswer(created)
    return new HeirloomTable(base, `/v1/tables/${name}`)
  }

  async drop (): Promise<void> {
    const dropped = await request(this.base, 'DELETE', this.path)
    if (dropped.status !== 204) throw new UnexpectedAnswer(dropped)
  }

  /** The operation's outcome as ETS would print it; badarg and bad_match_spec as BADARG. */
  async run (op: Op): Promise<ETerm> {
    try {
      return await this.outcome(op)
    } catch (error) {
      if (!(error instanceof UnexpectedAnswer)) throw error
      const { status, body, text } = error.answer
      if (status === 400 && (body?.code === 'badarg' || body?.code === 'bad_match_spec')) return BADARG
      return tuple(atom('$error'), tuple(atom('http'), int(status), fromJson(text)))
    }
  }

  private async outcome (op: Op): Promise<ETerm> {
    switch (op.op) {
      case 'insert':
        await this.post(op.op, { objects: op.objects }, 204)
        return atom('true')
      case 'insert_new':
        return atom(String((await this.post(op.op, { objects: op.objects })).inserted))
      case 'lookup':
      case 'take':
        return objectsOf((await this.post(op.op, { key: op.key })).values.map((value: Term) => ({ key: op.key, value })))
      case 'member':
        return atom(String((await this.post(op.op, { key: op.key })).member))
      case 'delete':
        await this.post(op.op, { key: op.key }, 204)
        return atom('true')
      case 'delete_object':
        await this.post(op.op, op.object, 204)
        return atom('true')
      case 'delete_all_objects':
        await this.post(op.op, undefined, 204)
        return atom('true')
      case 'update_counter': {
        const { values } = await this.post(op.op, { key: op.key, ops: op.ops, default: op.default })
        return Array.isArray(op.ops) ? list(values.map(int)) : int(values[0])
      }
      case 'first': case 'last':
        return keyOrEnd(await this.post(op.op))
      case 'next': case 'prev':
        return keyOrEnd(await this.post(op.op, { key: op.key }))
      case 'walk_next': return list(await this.walk('first', 'next'))
      case 'walk_prev': return list(await this.walk('last', 'prev'))
      case 'select': case 'select_reverse':
        if (op.limit === undefined) return list((await this.post(op.op, { spec: op.spec })).results.map(fromJson))
        return list(await this.chunks(op.op, { spec: op.spec, limit: op.limit }))
      case 'match': case 'match_object':
        if (op.limit === undefined) return list((await this.post(op.op, { pattern: op.pattern })).results.map(fromJson))
        return list(await this.chunks(op.op, { pattern: op.pattern, limit: op.limit }))
      case 'match_delete':
        await this.post(op.op, { pattern: op.pattern }, 204)
        return atom('true')
      case 'lookup_element': {
        const answer = await this.post(op.op, { key: op.key })
        return 'values' in answer ? list(answer.values.map(fromJson)) : fromJson(answer.value)
      }
      case 'update_element': return atom(String((await this.post(op.op, { key: op.key, elements: op.elements })).updated))
      case 'select_count': return int((await this.post(op.op, { spec: op.spec })).count)
      case 'select_delete': return int((await this.post(op.op, { spec: op.spec })).deleted)
      case 'select_replace': return int((await this.post(op.op, { spec: op.spec })).replaced)
      case 'dump': return objectsOf(await this.dump())
    }
  }

  private async walk (start: 'first' | 'last', step: 'next' | 'prev'): Promise<ETerm[]> {
    const keys: ETerm[] = []
    let at = await this.post(start)
    while (at.end !== true) {
      keys.push(fromJson(at.key))
      at = await this.post(step, { key: at.key })
    }
    return keys
  }

  // Every chunk, following continuations, as the driver gathers ETS's.
  private async chunks (operation: string, args: Record<string, unknown>): Promise<ETerm[]> {
    const chunks: ETerm[] = []
    let continuation: string | undefined
    do {
      const chunk = await this.post(operation, { ...args, continuation })
      chunks.push(list(chunk.results.map(fromJson)))
      continuation = chunk.continuation
    } while (continuation !== undefined)
    return chunks
  }

  private async dump (): Promise<Array<{ key: Term; value: Term }>> {
    const answer = await request(this.base, 'GET', `${this.path}/dump`)
    if (answer.status !== 200) throw new UnexpectedAnswer(answer)
    return answer.text.split('\n').filter(line => line !== '').map(line => JSON.parse(line))
  }

  private async post (operation: string, body?: unknown, status = 200): Promise<any> {
    const answer = await request(this.base, 'POST', `${this.path}/${operation}`, body)
    if (answer.status !== status) throw new UnexpectedAnswer(answer)
    return answer.body
  }
}

const objectsOf = (objects: Array<{ key: Term; value: Term }>): ETerm =>
  list(objects.map(o => tuple(fromJson(o.key), fromJson(o.value))))

const keyOrEnd = (answer: { key?: Term; end?: true }): ETerm =>
  answer.end === true ? END_OF_TABLE : fromJson(answer.key as Term)

// node:http with keep-alive: several times faster per request than fetch here.
const agent = new http.Agent({ keepAlive: true })

function request (base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const headers: Record<string, string | number> = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, agent, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const json = /[/+]json/.test(res.headers['content-type'] ?? '') && text !== ''
        let parsed: unknown
        try {
          parsed = json ? JSON.parse(text) : undefined
        } catch {
          parsed = undefined
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}
