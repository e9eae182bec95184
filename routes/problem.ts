/**
 * RFC 9457 problem details: the one shape of every error answer, and the
 * response entries that document them per route in openapi.yaml. Each
 * status has its own named schema (`Problem404`…): `Problem` with `code`
 * narrowed to the catalogue codes of that status, so generated clients can switch on it.
 */
import { z } from 'zod'
import { type ErrorCode, errors } from '../src/errors.js'

const codes = Object.keys(errors) as [ErrorCode, ...ErrorCode[]]

const Issue = z.object({ path: z.string(), message: z.string() })

const problemShape = {
  type: z.string().describe('A URI naming the problem type: urn:heirloom:<code>'),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(codes).describe('Stable machine code; see the error catalogue'),
  detail: z.string().optional(),
  instance: z.string().optional().describe('The request path'),
  issues: z.array(Issue).optional().describe('For validation_failed: where the request is wrong'),
  oldest: z.number().int().optional().describe('For history_compacted: the oldest revision a watch may start from'),
  loaded: z.number().int().min(0).optional()
    .describe('For a failed load: objects stored before the failure (the chunks before the failing one are in, the failing chunk is not)'),
}

export const Problem = z.object(problemShape).meta({ id: 'Problem' })

export type ProblemBody = z.infer<typeof Problem>

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** The codes the catalogue answers with `status`. */
export function codesOf (status: number): ErrorCode[] {
  return codes.filter(code => errors[code].status === status)
}

const byStatus = new Map<number, z.ZodType>()

/** The problem schema of one status: `status` fixed, `code` one of that status's codes. */
function problemOf (status: number): z.ZodType {
  let schema = byStatus.get(status)
  if (schema === undefined) {
    const named = codesOf(status)
    if (named.length === 0) throw new Error(`no error code has status ${status}`)
    schema = z.intersection(Problem, z.object({
      status: z.literal(status),
      code: z.enum(named as [ErrorCode, ...ErrorCode[]]).describe(`The codes of status ${status}`),
    })).describe(`A problem with status ${status}`).meta({ id: `Problem${status}` })
    byStatus.set(status, schema)
  }
  return schema
}

/** One response entry for `status`: the problem+json schema and, in its description, every code it may carry. */
export function problemResponse (status: number): { description: string; content: Record<string, { schema: z.ZodType }> } {
  return {
    description: codesOf(status).map(code => `${code}: ${errors[code].title}`).join('; '),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemOf(status) } },
  }
}

/** Response entries for the given statuses, each listing the codes it may carry. */
export function problemResponses (...statuses: number[]): Record<number, ReturnType<typeof problemResponse>> {
  return Object.fromEntries(statuses.map(status => [status, problemResponse(status)]))
}

/** A problem body; `instance` is the request's path, left out when there is none (a request that never arrived whole). */
export function problem (code: ErrorCode, detail: string | undefined, instance: string | undefined): ProblemBody {
  const { status, title } = errors[code]
  return instance === undefined ? { type: `urn:heirloom:${code}`, title, status, code, detail } : { type: `urn:heirloom:${code}`, title, status, code, detail, instance }
}
