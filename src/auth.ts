/**
 * Optional bearer token for every route but the health probes, decided by
 * the route matched (not the raw URL, which may spell /v1 with escapes).
 * CORS preflights pass when CORS is on: browsers send them without
 * credentials. Compared in constant time (over SHA-256 digests, so the
 * token's length does not leak either).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HeirloomError } from './errors.js'

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/** Routes open to all, token or not: the health probes. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz'])

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the token: files that hold no data (the dashboard's, routes/dashboard.ts). */
    public?: boolean
  }
}

export function bearerAuth (token: string, options: { cors: boolean }): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token)
  return async (request, reply) => {
    if (OPEN_ROUTES.has(request.routeOptions.url ?? '') || request.routeOptions.config.public === true) return
    if (options.cors && request.method === 'OPTIONS') return
    const match = /^Bearer ([^\s]+)\s*$/i.exec(request.headers.authorization ?? '')
    if (match && timingSafeEqual(digest(match[1]), expected)) return
    reply.header('www-authenticate', 'Bearer realm="heirloom"')
    throw new HeirloomError('unauthorized', match ? 'the bearer token is wrong' : 'send Authorization: Bearer <token>')
  }
}
