/**
 * The contract: what turns the routes' zod schemas into an OpenAPI document
 * SDK generators can trust (openapi.yaml, /openapi.json). Three places:
 *
 * - `completeRouteSchema` (an onRoute hook): what every route answers
 *   whatever it does — 401 and `security` where the token applies, 408 for
 *   a request that does not arrive in time, 413/415 where a body is read,
 *   500 — added to the route's own schema, so that tests validate them too.
 * - `contractTransform` (per route, for @fastify/swagger): zod to JSON
 *   Schema, noting which bodies are optional.
 * - `contractTransformObject` (the whole document): servers, the bearer
 *   scheme, optional request bodies, descriptions for success answers, and
 *   no `default` in request schemas (openapi-typescript's defaults make a
 *   member with a default required, which is the opposite of what it means
 *   in a request: the default is put in the description instead), and
 *   per-status problems open to Problem's members.
 */
import type { SwaggerOptions } from '@fastify/swagger'
import type { RouteOptions } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { OPEN_ROUTES } from '../src/auth.js'
import { version } from '../src/version.js'
import { problemResponses } from './problem.js'

export const SECURITY_SCHEME = 'bearerAuth'

type Transform = typeof jsonSchemaTransform
type TransformObject = typeof jsonSchemaTransformObject
type Document = ReturnType<TransformObject> & Record<string, any>

/** The parts of the document that do not come from routes. */
export const OPENAPI_BASE: NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>['openapi']> = {
  openapi: '3.1.0',
  info: {
    title: 'Heirloom',
    version,
    description: 'An HTTP/JSON table server that never loses its tables: ETS tables owned by supervised handlers, with a LevelDB catalog.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: 'http://127.0.0.1:4000', description: 'A local server with the default --host and --port' }],
  components: {
    securitySchemes: {
      [SECURITY_SCHEME]: {
        type: 'http' as const,
        scheme: 'bearer',
        description: 'The server\'s --token (TOKEN). Required by every route but /healthz and /readyz when the server has a token; ' +
          'a server listening on a non-loopback address refuses to start without one (unless --insecure).',
      },
    },
  },
}

const hasBody = (method: RouteOptions['method']): boolean =>
  [method].flat().some(m => m === 'POST' || m === 'PUT' || m === 'PATCH')

/**
 * Completes a route's schema with the answers every route may give. Runs
 * for every route added after it (an onRoute hook); routes without a schema
 * or hidden from the document are left alone.
 */
export function completeRouteSchema (route: RouteOptions): void {
  const schema = route.schema as (Record<string, any> & { response?: Record<string, unknown> }) | undefined
  if (schema === undefined || schema.hide === true || schema.response === undefined) return
  const open = OPEN_ROUTES.has(route.url)
  const statuses = [408]
  if (!open) statuses.push(401, 500)
  if (hasBody(route.method)) statuses.push(400, 413, 415)
  const missing = statuses.filter(status => schema.response![status] === undefined)
  route.schema = {
    ...schema,
    security: schema.security ?? (open ? [] : [{ [SECURITY_SCHEME]: [] }]),
    response: { ...schema.response, ...problemResponses(...missing) },
  }
}

/** `METHOD url` of the routes whose body may be left out. */
const optionalBodies = new Set<string>()

export const contractTransform: Transform = input => {
  const body = input.schema?.body as z.ZodType | undefined
  if (body !== undefined && typeof body.safeParse === 'function' && body.safeParse(undefined).success) {
    optionalBodies.add(`${String(input.route.method).toLowerCase()} ${input.url.replace(/:(\w+)/g, '{$1}')}`)
  }
  return jsonSchemaTransform(input)
}

const STATUS_TEXT: Record<string, string> = {
  200: 'Success',
  201: 'Created',
  202: 'Accepted',
  204: 'Done; no body',
}

export const contractTransformObject: TransformObject = input => {
  const document = jsonSchemaTransformObject(input) as Document
  for (const [url, item] of Object.entries<Record<string, any>>((document.paths ?? {}) as Record<string, Record<string, any>>)) {
    for (const [method, operation] of Object.entries<Record<string, any>>(item)) {
      if (optionalBodies.has(`${method} ${url}`) && operation.requestBody !== undefined) operation.requestBody.required = false
      for (const [status, response] of Object.entries<Record<string, any>>(operation.responses ?? {})) {
        if (response.description === 'Default Response') response.description = STATUS_TEXT[status] ?? 'Success'
      }
      for (const media of Object.values<Record<string, any>>(operation.requestBody?.content ?? {})) moveDefaults(media.schema)
    }
  }
  for (const [name, schema] of Object.entries<Record<string, any>>(document.components?.schemas ?? {})) {
    if (name.endsWith('Input')) moveDefaults(schema)
    // Problem404 is allOf [Problem, {status, code}]: zod closes the second
    // part, which would refuse Problem's own members; only Problem is closed.
    if (/^Problem\d+(Input)?$/.test(name)) for (const part of schema.allOf ?? []) delete part.additionalProperties
  }
  return document
}

/** Replaces every `default` in a request schema by a sentence in its description. */
function moveDefaults (schema: unknown): void {
  if (typeof schema !== 'object' || schema === null) return
  if (Array.isArray(schema)) {
    for (const item of schema) moveDefaults(item)
    return
  }
  const node = schema as Record<string, unknown>
  if ('default' in node && typeof node.type === 'string') {
    const sentence = `Default: ${JSON.stringify(node.default)}.`
    node.description = typeof node.description === 'string' ? `${node.description}. ${sentence}` : sentence
    delete node.default
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'default') moveDefaults(value)
  }
}
