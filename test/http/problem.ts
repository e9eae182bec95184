/**
 * The one check of an error answer: RFC 9457 problem details with the
 * stable machine code of src/errors.ts. Takes an `inject()` response or a
 * fetch answer of client.ts, and returns the body for further checks.
 */
import type { Test } from 'tap'
import { errors, type ErrorCode } from '../../src/errors.js'
import type { Answer } from './client.js'

interface InjectResponse { statusCode: number; headers: Record<string, unknown>; json: () => any }

export async function expectProblem (t: Test, res: InjectResponse | Answer, status: number, code: ErrorCode): Promise<any> {
  const [actualStatus, contentType, body] = 'statusCode' in res
    ? [res.statusCode, res.headers['content-type'], res.json()]
    : [res.status, res.headers.get('content-type'), res.body]
  t.equal(actualStatus, status, `status ${status}`)
  t.match(contentType, /^application\/problem\+json\b/, 'problem content type')
  t.has(body, { type: `urn:heirloom:${code}`, title: errors[code].title, status, code }, `problem ${code}`)
  t.equal(errors[code].status, status, `${code} is catalogued with status ${status}`)
  return body
}
