/**
 * The CLI's HTTP client: HEIRLOOM_URL and HEIRLOOM_TOKEN, one request at a
 * time, and the two ways a request fails that the exit code tells apart:
 * the server answered a problem (ApiError), or it could not be reached
 * (ConnectError).
 */
import type { Readable } from 'node:stream'

/** Where the CLI looks for a server when HEIRLOOM_URL is unset: the server's default --host and --port. */
export const DEFAULT_URL = 'http://127.0.0.1:4000'

/** An RFC 9457 problem as the server answers it, with a failed load's progress. */
export interface Problem { code?: string; title?: string; detail?: string; loaded?: number }

/** The server answered with an error status. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`)
  }
}

/** Nothing answered at the URL (refused, unknown host, unreachable, timed out). */
export class ConnectError extends Error {}

/** A request body: JSON to send, or a byte stream sent as it is read. */
export type Body = { json: unknown } | { stream: Readable; type: string }

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'])

/** Codes of a socket the server closed while a request was on it (a restart, a kill). */
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])

/** The system or undici code of a failed fetch, if it has one. */
const causeCode = (error: unknown): string | undefined => (error as { cause?: { code?: string } } | undefined)?.cause?.code

/** The code of a fetch that failed because the server closed the connection under it, else undefined. */
export function connectionLost (error: unknown): string | undefined {
  const code = causeCode(error)
  return code !== undefined && LOST_CODES.has(code) ? code : undefined
}

export class Client {
  private constructor (readonly url: string, private readonly token: string) {}

  /** The client the environment describes; an error message when HEIRLOOM_URL is no http(s) URL. */
  static fromEnv (env: NodeJS.ProcessEnv): Client | string {
    const url = env.HEIRLOOM_URL || DEFAULT_URL
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return `HEIRLOOM_URL is not a URL: ${JSON.stringify(url)}`
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `HEIRLOOM_URL must be http or https, not ${parsed.protocol}`
    return new Client(url.replace(/\/+$/, ''), env.HEIRLOOM_TOKEN ?? '')
  }

  /** The answer to `method path`, or ApiError (status ≥ 400) or ConnectError. */
  async request (method: string, path: string, body?: Body): Promise<Response> {
    const headers: Record<string, string> = {}
    if (this.token !== '') headers.authorization = `Bearer ${this.token}`
    let payload: RequestInit['body']
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(body.json)
    } else if (body !== undefined) {
      headers['content-type'] = body.type
      // Node's fetch sends an async iterable as it is read (chunked, back-pressure kept).
      payload = body.stream as unknown as RequestInit['body']
    }
    let response: Response
    try {
      response = await fetch(this.url + path, { method, headers, body: payload, ...(body !== undefined && 'stream' in body ? { duplex: 'half' } : {}) })
    } catch (error) {
      throw this.unreachable(error)
    }
    if (response.status >= 400) throw new ApiError(response.status, await problemOf(response))
    return response
  }

  /** The JSON answer to `method path`. */
  async json<T> (method: string, path: string, body?: Body): Promise<{ answer: T; response: Response }> {
    const response = await this.request(method, path, body)
    const text = await response.text()
    return { answer: (text === '' ? undefined : JSON.parse(text)) as T, response }
  }

  private unreachable (error: unknown): unknown {
    const code = causeCode(error) ?? ''
    return CONNECT_CODES.has(code) ? new ConnectError(`cannot connect to ${this.url} (${code})`, { cause: error }) : error
  }
}

async function problemOf (response: Response): Promise<Problem> {
  const text = await response.text()
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null) return parsed as Problem
  } catch {}
  return { detail: `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}` }
}

/** A path segment, escaped. */
export const segment = (text: string): string => encodeURIComponent(text)
