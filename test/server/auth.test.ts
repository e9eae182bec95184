/** Access: the optional bearer token, health routes open, CORS off unless origins are given. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parseConfig } from '../../src/config.js'
import { build, tempDir } from '../helpers.js'

t.test('with_a_token_every_v1_route_needs_it', async t => {
  const app = await build(t, { token: 's3cret' })
  for (const [method, url] of [['GET', '/v1/tables'], ['POST', '/v1/tables'], ['GET', '/v1/processes'], ['POST', '/v1/faults/crash']] as const) {
    const res = await app.inject({ method, url, payload: method === 'POST' ? {} : undefined })
    t.equal(res.statusCode, 401, `${method} ${url}`)
    t.equal(res.json().code, 'unauthorized')
    t.match(res.headers['www-authenticate'], /^Bearer/)
  }
  const wrong = await app.inject({ url: '/v1/tables', headers: { authorization: 'Bearer nope' } })
  t.equal(wrong.statusCode, 401)
  const right = await app.inject({ url: '/v1/tables', headers: { authorization: 'Bearer s3cret' } })
  t.equal(right.statusCode, 200)
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'health stays open')
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
})

t.test('an_escaped_v1_prefix_does_not_get_past_the_token', async t => {
  const app = await build(t, { token: 's3cret' })
  for (const url of ['/%761/tables', '/v%31/tables', '/%76%31/processes']) {
    const res = await app.inject({ method: 'POST', url, payload: { name: 'pwned' } })
    t.equal(res.statusCode, 401, url)
  }
  t.same(await app.tables.list(), [], 'nothing was created')
  const unknown = await app.inject({ url: '/nope' })
  t.equal(unknown.statusCode, 401, 'unknown routes need the token too: nothing to learn without it')
})

t.test('cors_preflight_passes_without_the_token_when_cors_is_on', async t => {
  const app = await build(t, { token: 's3cret', corsOrigins: ['https://a.example'] })
  const preflight = await app.inject({
    method: 'OPTIONS', url: '/v1/tables', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' },
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://a.example')
  const call = await app.inject({ url: '/v1/tables', headers: { origin: 'https://a.example' } })
  t.equal(call.statusCode, 401, 'the call itself still needs the token')
})

t.test('without_a_token_v1_is_open', async t => {
  const app = await build(t)
  t.equal((await app.inject({ url: '/v1/tables' })).statusCode, 200)
})

t.test('the_token_can_come_from_a_file', async t => {
  const file = join(await tempDir(t), 'token')
  await writeFile(file, 'from-file\n')
  t.equal(parseConfig(['--token-file', file], {}).token, 'from-file')
  t.equal(parseConfig([], { TOKEN_FILE: file, TOKEN: 'env' }).token, 'env', 'an explicit token wins')
  t.equal(parseConfig(['--token-file', file], { TOKEN: 'env' }).token, 'from-file', 'a flag wins over the environment')
  t.equal(parseConfig(['--token', 'flag'], { TOKEN_FILE: file }).token, 'flag', 'either way')
  t.throws(() => parseConfig(['--token-file', join(file, 'missing')], {}), /cannot read the token file/)
})

t.test('a_token_no_client_could_send_is_refused_at_start', async t => {
  for (const token of ['two words', 'tab\there', 'caf\u00e9', 'line\nbreak']) {
    t.throws(() => parseConfig(['--token', token], {}), /printable ASCII without spaces/, JSON.stringify(token))
  }
  const file = join(await tempDir(t), 'token')
  await writeFile(file, 'inner space\n')
  t.throws(() => parseConfig(['--token-file', file], {}), /printable ASCII without spaces/, 'from a file too')
  t.equal(parseConfig(['--token', 'Ab1-._~+/=!@#$%'], {}).token, 'Ab1-._~+/=!@#$%', 'any printable ASCII')
  const app = await build(t, { token: 'Ab1-._~+/=!@#$%' })
  t.equal((await app.inject({ url: '/v1/tables', headers: { authorization: 'Bearer Ab1-._~+/=!@#$%' } })).statusCode, 200, 'and it works')
})

t.test('cors_is_off_unless_origins_are_given', async t => {
  const closed = await build(t)
  const res = await closed.inject({ method: 'OPTIONS', url: '/v1/tables', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })
  t.equal(res.headers['access-control-allow-origin'], undefined)
  const open = await build(t, { corsOrigins: ['https://a.example'] })
  const allowed = await open.inject({ url: '/v1/tables', headers: { origin: 'https://a.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://a.example')
  const other = await open.inject({ url: '/v1/tables', headers: { origin: 'https://b.example' } })
  t.not(other.headers['access-control-allow-origin'], 'https://b.example')
})
