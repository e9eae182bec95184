/**
 * The dashboard (issue 12): its static files, served from `public/dashboard`
 * and, for the one library it uses, from the `htm` package (Preact and htm
 * in one 13 KB ES module). No build step: the files are read once at start
 * into memory, so a request is a map lookup, and a path that is not one of
 * them is 404 — no file system walk, no traversal.
 *
 * The files hold no data, so they are served without the token
 * (`config.public`); every API call the page makes carries it.
 * `index.html` and the app's modules are revalidated on every load (ETag,
 * 304); the library is cached for a day.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { HeirloomError } from '../src/errors.js'

export const DASHBOARD_PATH = '/dashboard/'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** The page runs only its own scripts and talks only to this server. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

interface Asset { body: Buffer; type: string; etag: string; cacheControl: string }

/**
 * The package's public/dashboard: the nearest one above this file, from
 * routes/ in the sources, dist/routes/ once compiled, or a benchmark's build.
 */
function publicDirectory (): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'public', 'dashboard')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error(`public/dashboard not found above ${here}`)
  }
}

function asset (body: Buffer, path: string, cacheControl: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  return { body, type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', etag, cacheControl }
}

/** Every file the dashboard serves, by its path under /dashboard/. */
async function loadAssets (): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>()
  const root = publicDirectory()
  for (const name of await readdir(root)) {
    if (CONTENT_TYPES[extname(name)] === undefined) continue
    assets.set(name, asset(await readFile(join(root, name)), name, 'no-cache'))
  }
  // The package's exports do not name the bundle's browser ES module: found from its main file (dist/htm.js).
  const library = join(dirname(createRequire(import.meta.url).resolve('htm')), '..', 'preact', 'standalone.module.js')
  assets.set('vendor/preact-htm.js', asset(await readFile(library), library, 'public, max-age=86400'))
  return assets
}

export const dashboardRoutes: FastifyPluginAsync = async app => {
  const assets = await loadAssets()
  /** The file's bytes, or undefined with a 304 (routes/reply.ts: the handler returns what is sent). */
  const file = (path: string, request: FastifyRequest, reply: FastifyReply): Buffer | undefined => {
    const found = assets.get(path === '' ? 'index.html' : path)
    if (found === undefined) throw new HeirloomError('not_found', `no dashboard file ${path}`)
    reply.headers({ ...SECURITY_HEADERS, etag: found.etag, 'cache-control': found.cacheControl })
    if (request.headers['if-none-match'] === found.etag) {
      reply.code(304)
      return undefined
    }
    reply.type(found.type)
    return found.body
  }
  const hidden = (operationId: string, summary: string): { hide: true; operationId: string; summary: string; tags: string[] } =>
    ({ hide: true, operationId, summary, tags: ['dashboard'] })

  // Redirects are sent, and their reply returned (routes/reply.ts).
  app.get('/', { schema: hidden('dashboardRedirect', 'Redirect to the dashboard'), config: { public: true } },
    async (_request, reply) => reply.redirect(DASHBOARD_PATH)) // eslint-disable-line no-restricted-syntax
  app.get('/dashboard', { schema: hidden('dashboardSlash', 'Redirect to the dashboard\'s folder'), config: { public: true } },
    async (_request, reply) => reply.redirect(DASHBOARD_PATH)) // eslint-disable-line no-restricted-syntax
  app.get('/dashboard/*', { schema: hidden('dashboardFile', 'A file of the dashboard'), config: { public: true } },
    async (request, reply) => file((request.params as { '*': string })['*'], request, reply))
}
