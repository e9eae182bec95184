/**
 * How an async route handler answers: it sets the status and headers on
 * the reply and returns the payload, which Fastify then sends once. It does
 * not send and return the reply (`return reply.send(x)`): the reply is a
 * thenable, and while src/end-of-turn.ts holds its response until the end
 * of the turn it is not yet sent, so Fastify's `then` would wait for the
 * response to finish, hanging end-of-stream listeners on it: 1.6 KB more
 * allocated per PUT, and 2-8 % more CPU (bench/pair.ts), when measured.
 * Streams and redirects are the exception: they are sent, and their reply
 * returned (returning nothing after a send would make Fastify send again).
 * The lint (eslint.config.js) refuses a sent reply returned anywhere else.
 */
import type { FastifyReply } from 'fastify'

/** A 204: Fastify sends the empty answer when the handler returns. */
export function noContent (reply: FastifyReply): undefined {
  reply.code(204)
  return undefined
}
