/**
 * RFC 9457 problem details: the one shape of every error answer, and the
 * response entries that document them per route in openapi.yaml.
 */
import { z } from 'zod'
import { type ErrorCode, errors } from '../src/errors.js'

const codes = Object.keys(errors) as [ErrorCode, ...ErrorCode[]]

export const Problem = z.object({
  type: z.string().describe('A URI naming the problem type: urn:heirloom:<code>'),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(codes).describe('Stable machine code; see the error catalogue'),
  detail: z.string().optional(),
  instance: z.string().optional().describe('The request path'),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional()
    .describe('For validation_failed: where the request is wrong'),
}).meta({ id: 'Problem' })

export type ProblemBody = z.infer<typeof Problem>

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Response entries for the given statuses, each listing the codes it may carry. */
export function problemResponses (...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map(status => {
    const named = codes.filter(code => errors[code].status === status)
    return [status, {
      description: named.map(code => `${code}: ${errors[code].title}`).join('; '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } },
    }]
  }))
}

export function problem (code: ErrorCode, detail: string | undefined, instance: string): ProblemBody {
  const { status, title } = errors[code]
  return { type: `urn:heirloom:${code}`, title, status, code, detail, instance }
}
