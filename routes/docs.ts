/**
 * The API reference and the spec, served: /docs (Swagger UI, its assets
 * served from the @fastify/swagger-ui package, so it works offline), and
 * the live document at /openapi.json and /openapi.yaml: the document
 * `npm run openapi` writes to openapi.yaml (apiDocument), with the routes
 * this server has (the faults routes only with --faults). Swagger UI rather
 * than Scalar: it is the Fastify organisation's own plugin, reads the
 * document @fastify/swagger already builds, and ships no CDN fetches.
 * These routes follow the same auth rule as the rest (a token, if set, is
 * required); they are not part of the document themselves.
 */
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import YAML from 'yaml'

/** An OpenAPI document, as JSON. */
type Document = Record<string, unknown>

export const docsRoutes: FastifyPluginAsync = async app => {
  // Made at the first request, once every route is known, and kept: the routes never change.
  let document: Document | undefined
  let yaml: string | undefined
  const served = (): Document => (document ??= apiDocument(app))
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true }, transformSpecification: served })
  app.get('/openapi.json', { schema: { hide: true } }, async () => served())
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('application/yaml')
    return (yaml ??= YAML.stringify(served()))
  })
}

/**
 * The app's API document without the component schemas nothing refers to
 * (the zod provider emits an input and an output variant of every named
 * schema, and most are used as one only): a copy, the app's own is left as
 * it is. O(size of the document).
 */
export function apiDocument (app: FastifyInstance): Document {
  const document = structuredClone(app.swagger()) as Document & { components?: { schemas?: Record<string, unknown> } }
  const schemas = document.components?.schemas
  if (schemas === undefined) return document
  // The schemas reached from the rest of the document, then from those, and so on.
  const used = new Set<string>()
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return
    if (value !== schemas) {
      for (const [key, member] of Object.entries(value)) {
        if (key === '$ref' && typeof member === 'string' && member.startsWith(SCHEMA_REF)) {
          const name = member.slice(SCHEMA_REF.length)
          if (!used.has(name)) {
            used.add(name)
            visit(schemas[name])
          }
        } else {
          visit(member)
        }
      }
    }
  }
  visit(document)
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name]
  return document
}

const SCHEMA_REF = '#/components/schemas/'
