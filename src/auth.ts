/**
 * Optional bearer token for every /v1 route; health routes stay open so that
 * probes need no secret. Compared in constant time (over SHA-256 digests, so
 * the token's length does not leak either).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HeirloomError } from './errors.js'

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

export function bearerAuth (token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token)
  return async (request, reply) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return
    const match = /^Bearer ([^\s]+)\s*$/i.exec(request.headers.authorization ?? '')
    if (match && timingSafeEqual(digest(match[1]), expected)) return
    reply.header('www-authenticate', 'Bearer realm="heirloom"')
    throw new HeirloomError('unauthorized', match ? 'the bearer token is wrong' : 'send Authorization: Bearer <token>')
  }
}
