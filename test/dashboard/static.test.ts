/** The dashboard's files: served without the token, with their types, ETags and revalidation; nothing else under them. */
import t from 'tap'
import { build } from '../helpers.js'

t.test('the root redirects to the dashboard, token or not', async t => {
  const app = await build(t, { token: 'sesame' })
  for (const url of ['/', '/dashboard']) {
    const answer = await app.inject({ url })
    t.equal(answer.statusCode, 302, url)
    t.equal(answer.headers.location, '/dashboard/', url)
  }
})

t.test('files carry their content type, security headers and an ETag; a matching If-None-Match is 304', async t => {
  const app = await build(t, { token: 'sesame' })
  const expected: Array<[string, RegExp]> = [
    ['/dashboard/', /^text\/html; charset=utf-8/],
    ['/dashboard/app.js', /^text\/javascript; charset=utf-8/],
    ['/dashboard/app.css', /^text\/css; charset=utf-8/],
    ['/dashboard/vendor/preact-htm.js', /^text\/javascript; charset=utf-8/],
  ]
  for (const [url, type] of expected) {
    const answer = await app.inject({ url })
    t.equal(answer.statusCode, 200, url)
    t.match(answer.headers['content-type'], type, url)
    t.match(answer.headers['content-security-policy'], /default-src 'self'/, url)
    t.equal(answer.headers['x-content-type-options'], 'nosniff', url)
    const etag = answer.headers.etag as string
    t.match(etag, /^"[\w-]+"$/, url)
    const again = await app.inject({ url, headers: { 'if-none-match': etag } })
    t.equal(again.statusCode, 304, `${url} revalidated`)
    t.equal(again.body, '', `${url}: no body with 304`)
  }
  t.equal((await app.inject({ url: '/dashboard/app.js' })).headers['cache-control'], 'no-cache', 'the app is revalidated')
  t.match((await app.inject({ url: '/dashboard/vendor/preact-htm.js' })).headers['cache-control'], /max-age=86400/, 'the library is cached')
})

t.test('a path that is not one of the files is 404, traversal included; the API still wants the token', async t => {
  const app = await build(t, { token: 'sesame' })
  for (const url of ['/dashboard/nope.js', '/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/dashboard/vendor/../../src/auth.ts']) {
    const answer = await app.inject({ url })
    t.not(answer.statusCode, 200, url)
    t.notMatch(answer.body, /"name": "heirloom"|bearerAuth/, `${url} leaks nothing`)
  }
  t.equal((await app.inject({ url: '/dashboard/nope.js' })).statusCode, 404)
  t.equal((await app.inject({ url: '/v1/tables' })).statusCode, 401, 'the API is not opened by the dashboard')
})
