/**
 * The API reference and the spec, served: /docs (Swagger UI, its assets
 * served from the @fastify/swagger-ui package, so it works offline), and
 * the live document at /openapi.json and /openapi.yaml. Swagger UI rather
 * than Scalar: it is the Fastify organisation's own plugin, reads the
 * document @fastify/swagger already builds, and ships no CDN fetches.
 * These routes follow the same auth rule as the rest (a token, if set, is
 * required); they are not part of the document themselves.
 */
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'

export const docsRoutes: FastifyPluginAsync = async app => {
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('application/yaml')
    return app.swagger({ yaml: true })
  })
}
