/**
 * Start-up: opens the catalog, starts the supervision tree, and returns the
 * Fastify app (src/app.ts) over it, ready and not listening (main.ts
 * listens). Closing the app stops the service: the supervision tree, then
 * LevelDB. Settings arrive whole: defaults live in config.ts.
 */
import type { Socket } from 'node:net'
import Fastify, { type FastifyInstance, LogController } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { problem, PROBLEM_CONTENT_TYPE } from '../routes/problem.js'
import { type AppSettings, heirloomApp, sendError } from './app.js'
import type { Config } from './config.js'
import { observeUnrouted } from './metrics.js'
import { type ServiceOptions, TableService } from './tables/service.js'

export interface ServerOptions extends ServiceOptions, AppSettings, Pick<Config, 'bodyLimit' | 'requestTimeout'> {
  /** Pino logger options, or false. Default false. */
  logger?: boolean | object
  /** Check every response against its schema (the tests do). */
  validateResponses?: boolean
}

export type App = FastifyInstance

export async function buildServer (options: ServerOptions): Promise<FastifyInstance> {
  const service = await TableService.start(options)
  const app = Fastify({
    logger: options.logger ?? false,
    // No line per request by default (the hot path): --access-log turns them on (src/logs.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    // A path key may be 1024 characters, each up to 12 bytes percent-encoded;
    // the route schemas give the real limits with a clear 400.
    routerOptions: { maxParamLength: 12 * 1024 + 16 },
    // Undecodable URLs and over-long parameters: problem details too.
    frameworkErrors: (error, request, reply) => {
      observeUnrouted(request, reply)
      sendError(error, request, reply)
    },
    // Malformed HTTP (before any route): a problem, then the connection closes.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, options.requestTimeout),
    // A client that sends its headers or body slowly gets 408 once the
    // request timeout has passed, not later: Node's own headersTimeout
    // (60 s) would otherwise apply to headers, and it checks for expired
    // requests only every connectionsCheckingInterval (30 s), so a request
    // due at 30 s was answered between 30 and 60 s (55 s for headers, 85 s
    // for bodies were measured). Checking every tenth of the timeout (at
    // most every second) answers within 10 % of it.
    requestTimeout: options.requestTimeout,
    http: {
      requestTimeout: options.requestTimeout,
      headersTimeout: options.requestTimeout,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(options.requestTimeout / 10))),
    },
  }).withTypeProvider<ZodTypeProvider>()
  app.addHook('onClose', async () => { await service.stop() })
  try {
    await app.register(heirloomApp, { ...options, tables: service })
    await app.ready()
  } catch (error) {
    await service.stop()
    throw error
  }
  return app
}

function answerClientError (error: Error & { code?: string }, socket: Socket, timeout: number): void {
  if (!socket.writable) return
  const body = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? problem('request_timeout', `no complete request within ${timeout / 1000} s`, undefined)
    : problem('bad_request', `malformed HTTP request (${error.code ?? error.message})`, undefined)
  const text = JSON.stringify(body)
  socket.end(`HTTP/1.1 ${body.status} ${body.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`)
}
