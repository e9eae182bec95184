/**
 * CORS, when --cors-origins lists origins (@fastify/cors), with its
 * refusals as problem details like every other answer: a preflight
 * (OPTIONS) without Origin or Access-Control-Request-Method, or from an
 * origin not listed, is 400 bad_request. The plugin alone answered the
 * first with text/plain and the second with a bare 204 (no allow headers).
 * Registered before the token check, so that a 401 carries the allow
 * headers too (else a page sees a network error, not the 401).
 */
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { HeirloomError } from './errors.js'

export async function registerCors (app: FastifyInstance, origins: readonly string[]): Promise<void> {
  const allowed = new Set(origins)
  // Before the plugin's own onRequest hook, which would answer first.
  app.addHook('onRequest', async request => {
    if (request.method !== 'OPTIONS') return
    const origin = request.headers.origin
    if (origin === undefined || request.headers['access-control-request-method'] === undefined) {
      throw new HeirloomError('bad_request', 'a CORS preflight needs the headers Origin and Access-Control-Request-Method')
    }
    if (!allowed.has(origin)) throw new HeirloomError('bad_request', `the origin ${origin} is not allowed (--cors-origins)`)
  })
  await app.register(cors, { origin: [...origins], methods: ALLOWED_METHODS, exposedHeaders: EXPOSED_HEADERS })
}

/** Every method a route answers (the plugin's default is GET, HEAD and POST: no store, delete or drop from a browser). */
const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']

/** The answers' own headers a page may read: a write's revision, a retry's delay, a 401's scheme, a create's location, a stored representation. */
const EXPOSED_HEADERS = ['heirloom-revision', 'retry-after', 'www-authenticate', 'location', 'preference-applied']
