/**
 * buildServer(options): the Fastify app over a started table service, ready
 * and not listening (main.ts listens). Closing the app stops the service:
 * the supervision tree, then LevelDB.
 */
import type { Socket } from 'node:net'
import swagger from '@fastify/swagger'
import secureJson from 'secure-json-parse'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import {
  hasZodFastifySchemaValidationErrors, jsonSchemaTransform, jsonSchemaTransformObject,
  serializerCompiler, validatorCompiler, type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import { EtsError, type EtsErrorCode } from './ets/errors.js'
import { type ErrorCode, HeirloomError } from './errors.js'
import { type ServiceOptions, TableService } from './tables/service.js'
import { faultRoutes, poisonRoutes } from '../routes/faults.js'
import { healthRoutes } from '../routes/health.js'
import { objectRoutes } from '../routes/objects.js'
import { operationRoutes } from '../routes/operations.js'
import { problem, PROBLEM_CONTENT_TYPE } from '../routes/problem.js'
import { processRoutes } from '../routes/processes.js'
import { tableRoutes } from '../routes/tables.js'
import { version } from './version.js'
import { bearerAuth } from './auth.js'
import cors from '@fastify/cors'

export interface ServerOptions extends ServiceOptions {
  /** Expose /v1/faults/*. Default false. */
  faults?: boolean
  /** Pino logger options, or false. Default false. */
  logger?: boolean | object
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number
  /** Deepest JSON nesting accepted in a body. Default 64. */
  maxDepth?: number
  /** When set, every /v1 route needs `Authorization: Bearer <token>`. */
  token?: string
  /** Origins allowed by CORS; none (CORS off) by default. */
  corsOrigins?: string[]
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

export type App = FastifyInstance

/** Milliseconds for a whole request to arrive. */
const REQUEST_TIMEOUT = 30_000

export async function buildServer (options: ServerOptions): Promise<FastifyInstance> {
  const service = await TableService.start(options)
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // A path key may be 1024 characters, each up to 12 bytes percent-encoded;
    // the route schemas give the real limits with a clear 400.
    routerOptions: { maxParamLength: 12 * 1024 + 16 },
    // Undecodable URLs and over-long parameters: problem details too.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    // Malformed HTTP (before any route): a problem, then the connection closes.
    clientErrorHandler: answerClientError,
    // A client that stops sending mid-body gets 408 instead of holding the request forever.
    requestTimeout: REQUEST_TIMEOUT,
  }).withTypeProvider<ZodTypeProvider>()
  // JSON only: a text/plain body is 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson)
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(options.validateResponses ? serializerCompiler : () => data => JSON.stringify(data))
  app.decorate('tables', service)
  app.addHook('onClose', async () => { await service.stop() })
  app.setErrorHandler(sendError)
  if (options.token) app.addHook('onRequest', bearerAuth(options.token, { cors: Boolean(options.corsOrigins?.length) }))
  const maxDepth = options.maxDepth ?? 64
  app.addHook('preValidation', async request => {
    if (request.body !== undefined && depthExceeds(request.body, maxDepth)) {
      throw new HeirloomError('limit_exceeded', `the body nests deeper than ${maxDepth} levels (--max-depth)`)
    }
  })
  if (options.corsOrigins?.length) await app.register(cors, { origin: options.corsOrigins })
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`, request)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Heirloom',
        version,
        description: 'An HTTP/JSON table server that never loses its tables: ETS tables owned by supervised handlers, with a LevelDB catalog.',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(healthRoutes)
  await app.register(tableRoutes, { prefix: '/v1' })
  await app.register(objectRoutes, { prefix: '/v1' })
  await app.register(operationRoutes, { prefix: '/v1' })
  await app.register(processRoutes, { prefix: '/v1' })
  if (options.faults) {
    await app.register(faultRoutes, { prefix: '/v1' })
    await app.register(poisonRoutes, { prefix: '/v1' })
  }
  try {
    await app.ready()
  } catch (error) {
    await service.stop()
    throw error
  }
  return app
}

/** The engine's error codes, as the catalogue names them. */
const ETS_ERRORS: Record<EtsErrorCode, ErrorCode> = {
  badarg: 'badarg',
  bad_match_spec: 'bad_match_spec',
  not_found: 'object_not_found',
  bad_cursor: 'bad_cursor',
}

function sendError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HeirloomError) {
    if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter))
    if (error.status >= 500) request.log.warn({ err: error }, error.message)
    sendProblem(reply, error.code, error.message, request)
  } else if (error instanceof EtsError) {
    sendProblem(reply, ETS_ERRORS[error.code], error.message, request)
  } else if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request'
    const issues = error.validation.map(issue => ({ path: `${where}${issue.instancePath}`, message: issue.message }))
    const body = problem('validation_failed', issues.map(i => `${i.path}: ${i.message}`).join('; '), request.url)
    reply.code(400).type(PROBLEM_CONTENT_TYPE).send({ ...body, issues })
  } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    sendProblem(reply, clientErrorCode(error), error.message, request)
  } else {
    request.log.error({ err: error }, 'internal error')
    sendProblem(reply, 'internal', undefined, request)
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * JSON bodies must be UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not
 * replaced. Member names __proto__ and constructor are refused too, never
 * merged into objects.
 */
function parseJson (_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void {
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

function answerClientError (error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return
  const body = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? problem('request_timeout', `no complete request within ${REQUEST_TIMEOUT / 1000} s`, '')
    : problem('bad_request', `malformed HTTP request (${error.code ?? error.message})`, '')
  const text = JSON.stringify(body)
  socket.end(`HTTP/1.1 ${body.status} ${body.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`)
}

/** Whether `value` nests deeper than `max` arrays and objects. Iterative: no stack to overflow. O(size). */
function depthExceeds (value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (depth >= max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}

function clientErrorCode (error: FastifyError): ErrorCode {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'payload_too_large'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported_media_type'
    default: return 'bad_request'
  }
}

function sendProblem (reply: FastifyReply, code: ErrorCode, detail: string | undefined, request: FastifyRequest): void {
  const body = problem(code, detail, request.url)
  reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body)
}
