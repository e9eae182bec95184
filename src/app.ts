/**
 * The Heirloom app, as a Fastify plugin over a started table service
 * (fastify/demo's shape): body parsing, auth, problem details, the API
 * document and the routes. It opens nothing and listens nowhere; start-up
 * (server.ts) gives it a service, and main.ts listens.
 */
import swagger from '@fastify/swagger'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod'
import secureJson from 'secure-json-parse'
import { dashboardRoutes } from '../routes/dashboard.js'
import { faultRoutes, poisonRoutes } from '../routes/faults.js'
import { docsRoutes } from '../routes/docs.js'
import { healthRoutes } from '../routes/health.js'
import { loadRoutes } from '../routes/load.js'
import { completeRouteSchema, contractTransform, contractTransformObject, OPENAPI_BASE } from '../routes/contract.js'
import { objectRoutes } from '../routes/objects.js'
import { operationRoutes } from '../routes/operations.js'
import { problem, PROBLEM_CONTENT_TYPE } from '../routes/problem.js'
import { changeRoutes } from '../routes/changes.js'
import { processRoutes } from '../routes/processes.js'
import { tableRoutes } from '../routes/tables.js'
import { bearerAuth } from './auth.js'
import { type Config, flagOf } from './config.js'
import { registerCors } from './cors.js'
import { EndOfTurn } from './end-of-turn.js'
import { EtsError } from './ets/errors.js'
import { type ErrorCode, HeirloomError } from './errors.js'
import { accessLog, type AccessLogLevel, logNodeEvents } from './logs.js'
import { metricsPlugin } from './metrics.js'
import { nestsDeeper } from './nesting.js'
import { boundOf, fastPathOf } from './tables/schemas.js'
import type { TableService } from './tables/service.js'

export type AppSettings = Pick<Config, 'faults' | 'maxDepth' | 'token' | 'corsOrigins' | 'heartbeat' | 'maxStreams' | 'accessLog' | 'maxValueBytes' | 'maxKeyBytes'>

export interface AppOptions extends AppSettings {
  tables: TableService
  /**
   * Check every response against its zod schema before sending it. The
   * tests turn it on, so that a response drifting from openapi.yaml fails
   * them; in production responses are built from typed code and go out as
   * plain JSON.stringify, which keeps reads about as fast as writes.
   */
  validateResponses?: boolean
}

declare module 'fastify' {
  interface FastifyInstance { tables: TableService }
}

const heirloom: FastifyPluginAsync<AppOptions> = async (app, options) => {
  // JSON only: a text/plain body is 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonParser(options.maxDepth))
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(options.validateResponses === true ? serializerCompiler : () => data => JSON.stringify(data))
  app.decorate('tables', options.tables)
  app.setErrorHandler(sendError)
  // Every response, errors too, goes out at the end of its event-loop turn, with the turn's others.
  app.addHook('onSend', new EndOfTurn().onSend())
  // CORS first: its headers go on every answer to an allowed origin, a 401 included.
  if (options.corsOrigins.length > 0) await registerCors(app, options.corsOrigins)
  if (options.token !== '') app.addHook('onRequest', bearerAuth(options.token, { cors: options.corsOrigins.length > 0 }))
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`, request)
  })

  app.addHook('onRoute', completeRouteSchema)
  await app.register(swagger, { openapi: OPENAPI_BASE, transform: contractTransform, transformObject: contractTransformObject })
  // Before the routes: its hooks time every route.
  await app.register(metricsPlugin, { tables: options.tables })
  const stopLogs = logNodeEvents(options.tables.node, app.log)
  app.addHook('onClose', async () => { stopLogs() })
  const accessLevel = options.accessLog as AccessLogLevel
  if (accessLevel !== 'off') app.addHook('onResponse', accessLog(accessLevel))
  await app.register(healthRoutes)
  await app.register(docsRoutes)
  await app.register(tableRoutes, { prefix: '/v1' })
  await app.register(objectRoutes, { prefix: '/v1' })
  await app.register(operationRoutes, { prefix: '/v1' })
  await app.register(loadRoutes, { prefix: '/v1', maxValueBytes: options.maxValueBytes, maxKeyBytes: options.maxKeyBytes, maxDepth: options.maxDepth })
  await app.register(processRoutes, { prefix: '/v1' })
  await app.register(changeRoutes, { prefix: '/v1', heartbeat: options.heartbeat, maxStreams: options.maxStreams })
  await app.register(dashboardRoutes)
  if (options.faults) {
    await app.register(faultRoutes, { prefix: '/v1' })
    await app.register(poisonRoutes, { prefix: '/v1' })
  }
}

/** Not encapsulated: the parsers, error handler and hooks apply to the whole server. */
export const heirloomApp = fp(heirloom, { name: 'heirloom', fastify: '5.x' })

export function sendError (thrown: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const error = thrown instanceof EtsError ? HeirloomError.fromEngine(thrown) : thrown
  if (error instanceof HeirloomError) {
    if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter))
    if (error.status >= 500) request.log.warn({ err: error }, error.message)
    const detail = error.setting === undefined ? error.message : `${error.message} (${flagOf(error.setting)})`
    if (error.oldest === undefined) sendProblem(reply, error.code, detail, request)
    else reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send({ ...problem(error.code, detail, request.url), oldest: error.oldest })
  } else if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request'
    // The first few: one bad body can have tens of thousands of issues (10,000 objects, each `{}`).
    const all = error.validation.flatMap(issue =>
      told({ path: issue.instancePath === '/' ? [] : issue.instancePath.slice(1).split('/'), message: issue.message ?? '', code: issue.keyword, ...issue.params }, where))
    const issues = all.slice(0, MAX_ISSUES)
    const more = all.length - issues.length
    if (more > 0) issues.push({ path: where, message: `and ${more} more ${more === 1 ? 'issue' : 'issues'}, not listed` })
    const body = problem('validation_failed', issues.map(i => `${i.path}: ${i.message}`).join('; '), request.url)
    reply.code(400).type(PROBLEM_CONTENT_TYPE).send({ ...body, issues })
  } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    sendProblem(reply, clientErrorCode(error), error.message, request)
  } else {
    request.log.error({ err: error }, 'internal error')
    sendProblem(reply, 'internal', undefined, request)
  }
}

/**
 * Validates a request part with its zod schema, or, for a body its
 * schema's fast path takes as it is (src/tables/schemas.ts), without zod;
 * a body past its schema's bound is refused before zod walks it.
 */
export const validatorCompiler: typeof zodValidatorCompiler = route => {
  const zod = zodValidatorCompiler(route)
  const takes = fastPathOf(route.schema)
  const excess = boundOf(route.schema)
  // No wrapper for the schemas without a bound (most): each validation is a call fewer.
  const bounded: typeof zod = excess === undefined
    ? zod
    : data => {
      const refusal = excess(data)
      return refusal === undefined ? zod(data) : { error: new HeirloomError('limit_exceeded', refusal) }
    }
  return takes === undefined ? bounded : data => takes(data) ? { value: data } : bounded(data)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * JSON bodies must be UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not
 * replaced. Member names __proto__ and constructor are refused too, never
 * merged into objects, and so is nesting deeper than `maxDepth`. Checked
 * here, as the body is parsed, so that only requests with a body pay.
 */
export function jsonParser (maxDepth: number) {
  return (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void => {
    parseJson(request, body, (error, value) => {
      if (error === null && nestsDeeper(value, maxDepth)) {
        done(new HeirloomError('limit_exceeded', `the body nests deeper than ${maxDepth} levels`, { setting: 'maxDepth' }))
      } else {
        done(error, value)
      }
    })
  }
}

export function parseJson (_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void {
  let text: string
  try {
    text = utf8.decode(body)
  } catch (error) {
    done(new HeirloomError('bad_request', 'the body is not valid UTF-8', { cause: error }))
    return
  }
  if (text.trim() === '') {
    done(new HeirloomError('bad_request', 'the JSON body is empty'))
    return
  }
  try {
    done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
  } catch (error) {
    done(new HeirloomError('bad_request', `the body is not JSON: ${(error as Error).message}`, { cause: error }))
  }
}

/** Issues a validation_failed answer lists, the first ones (one more says how many it leaves out). */
export const MAX_ISSUES = 20

/** A zod issue, as the validator reports it (a union's holds each branch's issues, their paths from the union's). */
interface Issue { code: string; path: readonly PropertyKey[]; message: string; errors?: Issue[][] }

/**
 * An issue as the problem lists it. A union that refused the value is
 * told as its closest branch, not as zod's bare "Invalid input": the one
 * of the value's type (an object sent where an object or a list of them
 * is wanted is told what is wrong with the object), or of those the one
 * with the fewest issues; with no branch of its type, as the types wanted.
 * Two branches as close as each other: zod's message.
 */
function told (issue: Issue, where: string): Array<{ path: string; message: string }> {
  const path = `${where}/${issue.path.join('/')}`
  if (issue.code !== 'invalid_union' || issue.errors === undefined || issue.errors.length === 0) return [{ path, message: issue.message }]
  const wrongType = (branch: Issue[]): boolean => branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0
  const ofItsType = issue.errors.filter(branch => !wrongType(branch))
  if (ofItsType.length === 0) {
    const wanted = [...new Set(issue.errors.map(branch => (branch[0] as Issue & { expected?: string }).expected))]
    return [{ path, message: `expected ${wanted.join(' or ')}` }]
  }
  const fewest = Math.min(...ofItsType.map(branch => branch.length))
  const closest = ofItsType.filter(branch => branch.length === fewest)
  if (closest.length > 1) return [{ path, message: issue.message }]
  return closest[0].flatMap(inner => told({ ...inner, path: [...issue.path, ...inner.path] }, where))
}

function clientErrorCode (error: FastifyError): ErrorCode {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'payload_too_large'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported_media_type'
    default: return 'bad_request'
  }
}

export function sendProblem (reply: FastifyReply, code: ErrorCode, detail: string | undefined, request: FastifyRequest): void {
  const body = problem(code, detail, request.url)
  reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body)
}
