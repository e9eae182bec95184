// Erlang terms on the TypeScript side of the differential test: writing
// them as Erlang source text (what the driver reads), parsing what the
// driver prints with ~w, the JSON ↔ Erlang mapping of the issue, and one
// canonical text both sides are compared in.
import type { Term } from '../../src/ets/term.js'

export type ETerm =
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'atom'; v: string }
  | { t: 'bin'; v: Uint8Array }
  | { t: 'list'; v: ETerm[] }
  | { t: 'tuple'; v: ETerm[] }
  | { t: 'map'; v: Array<[ETerm, ETerm]> }

export const atom = (v: string): ETerm => ({ t: 'atom', v })
export const tuple = (...v: ETerm[]): ETerm => ({ t: 'tuple', v })
export const list = (v: ETerm[]): ETerm => ({ t: 'list', v })
export const int = (v: number): ETerm => ({ t: 'int', v: BigInt(v) })

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * JSON → Erlang as the issue maps them: string ↔ binary, integer ↔ integer,
 * other number ↔ float, true/false/null ↔ atoms, array ↔ list, object ↔ map.
 * JSON cannot tell 1 from 1.0: an integral number is an integer here.
 */
export function fromJson (x: Term): ETerm {
  switch (typeof x) {
    case 'number': return Number.isInteger(x) ? { t: 'int', v: BigInt(x) } : { t: 'float', v: x }
    case 'string': return { t: 'bin', v: utf8.encode(x) }
    case 'boolean': return atom(String(x))
  }
  if (x === null) return atom('null')
  if (Array.isArray(x)) return list(x.map(fromJson))
  return { t: 'map', v: Object.keys(x).map(name => [fromJson(name), fromJson(x[name])]) }
}

/** An object `{key, value}` is the tuple `{Key, Value}`. */
export const fromObject = (o: { key: Term; value: Term }): ETerm => tuple(fromJson(o.key), fromJson(o.value))

/** Erlang source text, as file:consult and io:read read it. Binaries as bytes: no escaping to get wrong. */
export function toSource (e: ETerm): string {
  switch (e.t) {
    case 'int': return e.v.toString()
    case 'float': return floatSource(e.v)
    case 'atom': return `'${e.v.replace(/[\\']/g, c => '\\' + c)}'`
    case 'bin': return `<<${[...e.v].join(',')}>>`
    case 'list': return `[${e.v.map(toSource).join(',')}]`
    case 'tuple': return `{${e.v.map(toSource).join(',')}}`
    case 'map': return `#{${e.v.map(([k, v]) => `${toSource(k)}=>${toSource(v)}`).join(',')}}`
  }
}

// Erlang wants digits on both sides of the point: 1e-7 is written 1.0e-7.
function floatSource (n: number): string {
  if (!Number.isFinite(n)) throw new Error(`${n} has no Erlang float`)
  const [mantissa, exponent] = String(n).split('e')
  const withPoint = mantissa.includes('.') ? mantissa : `${mantissa}.0`
  return exponent === undefined ? withPoint : `${withPoint}e${exponent}`
}

/**
 * The text both sides are compared in. A 2-tuple prints as the object
 * `{"key":K,"value":V}`, the way Heirloom answers an ETS object, so a
 * select result `'$_'` (a tuple) equals Heirloom's object; maps print with
 * their members sorted. Integers and floats stay apart: an integral float
 * prints with `.0` (JSON would lose it, so it shows as a difference).
 */
export function canonical (e: ETerm): string {
  switch (e.t) {
    case 'int': return e.v.toString()
    case 'float': return Number.isInteger(e.v) ? `${e.v}.0` : String(e.v)
    case 'atom': return e.v === 'true' || e.v === 'false' || e.v === 'null' ? e.v : `'${e.v}'`
    case 'bin': return binText(e.v)
    case 'list': return `[${e.v.map(canonical).join(',')}]`
    case 'tuple':
      if (e.v.length === 2 && !isError(e)) return mapText([[JSON.stringify('key'), canonical(e.v[0])], [JSON.stringify('value'), canonical(e.v[1])]])
      return `{${e.v.map(canonical).join(',')}}`
    case 'map': return mapText(e.v.map(([k, v]) => [canonical(k), canonical(v)]))
  }
}

/** The driver's `{'$error', Reason}`, which is no ETS object. */
export const isError = (e: ETerm): boolean => e.t === 'tuple' && e.v[0]?.t === 'atom' && e.v[0].v === '$error'

function binText (bytes: Uint8Array): string {
  try {
    return JSON.stringify(fromUtf8.decode(bytes))
  } catch {
    return `<<${[...bytes].join(',')}>>`
  }
}

function mapText (members: Array<[string, string]>): string {
  members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `#{${members.map(([k, v]) => `${k}:${v}`).join(',')}}`
}

/** Parses one term as printed by io:format("~w"). */
export function parseTerm (text: string): ETerm {
  const parser = new Parser(text)
  const term = parser.term()
  parser.end()
  return term
}

class Parser {
  private i = 0
  constructor (private readonly s: string) {}

  end (): void {
    if (this.i !== this.s.length) this.fail('trailing text')
  }

  term (): ETerm {
    const c = this.s[this.i]
    if (c === '[') return list(this.sequence('[', ']'))
    if (c === '{') return { t: 'tuple', v: this.sequence('{', '}') }
    if (c === '#') return this.map()
    if (c === '<') return this.binary()
    if (c === "'") return atom(this.quotedAtom())
    if (c === '-' || (c >= '0' && c <= '9')) return this.number()
    const m = /^[a-z][A-Za-z0-9_@]*/.exec(this.s.slice(this.i))
    if (m === null) this.fail('a term')
    this.i += m[0].length
    return atom(m[0])
  }

  private sequence (open: string, close: string): ETerm[] {
    this.expect(open)
    const items: ETerm[] = []
    if (this.s[this.i] === close) {
      this.i++
      return items
    }
    for (;;) {
      items.push(this.term())
      if (this.s[this.i] === ',') this.i++
      else break
    }
    this.expect(close)
    return items
  }

  private map (): ETerm {
    this.expect('#')
    this.expect('{')
    const members: Array<[ETerm, ETerm]> = []
    while (this.s[this.i] !== '}') {
      if (members.length > 0) this.expect(',')
      const k = this.term()
      this.expect(' => ')
      members.push([k, this.term()])
    }
    this.i++
    return { t: 'map', v: members }
  }

  private binary (): ETerm {
    this.expect('<<')
    const end = this.s.indexOf('>>', this.i)
    if (end < 0) this.fail('>>')
    const body = this.s.slice(this.i, end)
    this.i = end + 2
    return { t: 'bin', v: Uint8Array.from(body === '' ? [] : body.split(',').map(Number)) }
  }

  private quotedAtom (): string {
    this.expect("'")
    let out = ''
    while (this.s[this.i] !== "'") {
      if (this.i >= this.s.length) this.fail("'")
      if (this.s[this.i] === '\\') this.i++
      out += this.s[this.i++]
    }
    this.i++
    return out
  }

  private number (): ETerm {
    const m = /^-?\d+(\.\d+(e[-+]?\d+)?)?/.exec(this.s.slice(this.i))
    if (m === null) this.fail('a number')
    this.i += m[0].length
    return m[1] === undefined ? { t: 'int', v: BigInt(m[0]) } : { t: 'float', v: Number(m[0]) }
  }

  private expect (token: string): void {
    if (!this.s.startsWith(token, this.i)) this.fail(JSON.stringify(token))
    this.i += token.length
  }

  private fail (what: string): never {
    throw new Error(`cannot parse Erlang term: expected ${what} at ${this.i} in ${this.s.slice(0, 200)}`)
  }
}
