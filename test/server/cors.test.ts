// CORS with --cors-origins: an allowed preflight gets the allow headers;
// a preflight from an origin not listed, or one missing its headers, is a
// 400 problem like every other refusal, token or not.
import t from 'tap'
import { build } from '../helpers.js'

const ORIGIN = 'https://a.example'

t.test('cors_preflight_refusals_are_problem_details', async t => {
  const app = await build(t, { token: 's3cret', corsOrigins: [ORIGIN] })
  const preflight = (headers: Record<string, string>) => app.inject({ method: 'OPTIONS', url: '/v1/tables', headers })
  const allowed = await preflight({ origin: ORIGIN, 'access-control-request-method': 'POST' })
  t.equal(allowed.statusCode, 204)
  t.equal(allowed.headers['access-control-allow-origin'], ORIGIN)
  const refusals = {
    'an origin not listed': { origin: 'https://b.example', 'access-control-request-method': 'POST' },
    'no Access-Control-Request-Method': { origin: ORIGIN },
    'no Origin': { 'access-control-request-method': 'POST' },
  }
  for (const [what, headers] of Object.entries(refusals)) {
    const res = await preflight(headers)
    t.equal(res.statusCode, 400, `${what}: 400`)
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem details`)
    t.match(res.json(), { code: 'bad_request', status: 400, instance: '/v1/tables' }, what)
    t.not(res.headers['access-control-allow-origin'], 'https://b.example', `${what}: no allow header for it`)
  }
  t.match((await preflight({ origin: 'https://b.example', 'access-control-request-method': 'GET' })).json().detail, /https:\/\/b\.example.*--cors-origins/)
  const simple = await app.inject({ url: '/healthz', headers: { origin: 'https://b.example' } })
  t.equal(simple.statusCode, 200, 'a simple request from another origin is served (the browser decides)')
})

t.test('cors_lets_a_page_store_delete_and_read_what_it_needs_and_its_401s', async t => {
  const app = await build(t, { token: 's3cret', corsOrigins: [ORIGIN] })
  for (const method of ['PUT', 'DELETE', 'POST', 'GET']) {
    const res = await app.inject({ method: 'OPTIONS', url: '/v1/tables/t/objects/k', headers: { origin: ORIGIN, 'access-control-request-method': method } })
    t.equal(res.statusCode, 204, `${method} preflight`)
    t.ok(String(res.headers['access-control-allow-methods']).split(/,\s*/).includes(method), `${method} is allowed`)
  }
  const unauthorized = await app.inject({ url: '/v1/tables', headers: { origin: ORIGIN } })
  t.equal(unauthorized.statusCode, 401)
  t.equal(unauthorized.headers['access-control-allow-origin'], ORIGIN, 'a 401 a page can read')
  const created = await app.inject({ method: 'POST', url: '/v1/tables', headers: { origin: ORIGIN, authorization: 'Bearer s3cret' }, payload: { name: 't' } })
  t.equal(created.statusCode, 201)
  const put = await app.inject({ method: 'PUT', url: '/v1/tables/t/objects/k', headers: { origin: ORIGIN, authorization: 'Bearer s3cret' }, payload: { value: 1 } })
  t.equal(put.statusCode, 204)
  const exposed = String(put.headers['access-control-expose-headers']).split(/,\s*/)
  for (const header of ['heirloom-revision', 'retry-after', 'www-authenticate']) t.ok(exposed.includes(header), `${header} exposed`)
})
