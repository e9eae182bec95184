/**
 * Checks an HTTP answer against openapi.yaml, independently of the zod
 * schemas it was generated from: the path and method are documented, the
 * status is one the operation lists, the media type is the documented one
 * and the body matches its JSON Schema (Ajv, draft 2020-12, with formats).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsNs from 'ajv-formats'
import YAML from 'yaml'

const addFormats = addFormatsNs as unknown as typeof addFormatsNs.default

export const OPENAPI_FILE = fileURLToPath(new URL('../../openapi.yaml', import.meta.url))

type Json = Record<string, any>

export class SpecChecker {
  readonly document: Json = YAML.parse(readFileSync(OPENAPI_FILE, 'utf8'))
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true })
  private readonly compiled = new Map<string, ValidateFunction>()
  private readonly routes: Array<{ template: string; pattern: RegExp }>
  /** `METHOD template` of every operation an answer was checked for. */
  readonly seen = new Set<string>()

  constructor () {
    addFormats(this.ajv)
    this.ajv.addSchema({ $id: 'openapi', components: this.document.components })
    this.routes = Object.keys(this.document.paths).map(template => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
  }

  /** Every `METHOD template` the document describes. */
  operations (): string[] {
    return Object.entries<Json>(this.document.paths).flatMap(([template, item]) =>
      Object.keys(item).map(method => `${method.toUpperCase()} ${template}`))
  }

  /** Throws, naming what differs, when the answer is not one the document allows. */
  check (method: string, path: string, status: number, contentType: string | null, body: string): void {
    const route = this.routes.find(r => r.pattern.test(path) && this.document.paths[r.template][method.toLowerCase()] !== undefined)
    if (route === undefined) throw new Error(`${method} ${path} is not in openapi.yaml`)
    const where = `${method} ${route.template} → ${status}`
    this.seen.add(`${method} ${route.template}`)
    const response = this.document.paths[route.template][method.toLowerCase()].responses[String(status)]
    if (response === undefined) throw new Error(`${where}: status not documented`)
    if (response.content === undefined) {
      if (body !== '') throw new Error(`${where}: a body where none is documented`)
      return
    }
    const media = (contentType ?? '').split(';')[0].trim()
    const documented = response.content[media]
    if (documented === undefined) throw new Error(`${where}: media type ${media} not documented (${Object.keys(response.content).join(', ')})`)
    const validate = this.validator(`${where} ${media}`, documented.schema)
    const values = media === 'application/x-ndjson'
      ? body.split('\n').filter(line => line !== '').map(line => JSON.parse(line))
      : media.startsWith('text/') ? [body] : [JSON.parse(body)]
    for (const value of values) {
      if (!validate(value)) throw new Error(`${where}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 300)}`)
    }
  }

  private validator (key: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(key)
    if (validate === undefined) {
      // Refs in the document point at #/components: rebase them on the registered document.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'))
      validate = this.ajv.compile(rebased)
      this.compiled.set(key, validate)
    }
    return validate
  }
}

/** A fetch that checks every answer against the document before handing it on. */
export function checkingFetch (checker: SpecChecker): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const response = await fetch(request)
    const body = await response.clone().text()
    checker.check(request.method, new URL(request.url).pathname, response.status, response.headers.get('content-type'), body)
    return response
  }
}
