/**
 * Runs a README curl command against the test server: with the real `curl`
 * when it is installed, else translated to fetch (-X, -H, -d and the URL,
 * which is all a walkthrough uses). The README's `localhost:4000` becomes
 * the test server's host and port.
 */
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'

export interface HttpResult { status: number; headers: Record<string, string>; body: string }

const DOCUMENTED_HOST = /\b(localhost|127\.0\.0\.1|0\.0\.0\.0):4000\b/g

export const haveCurl = ((): boolean => {
  try { execFileSync('which', ['curl'], { stdio: 'ignore' }); return true } catch { return false }
})()

export function retarget (argv: string[], hostPort: string): string[] {
  return argv.map(arg => arg.replace(DOCUMENTED_HOST, hostPort))
}

export type Runner = 'curl' | 'fetch'

export async function runCurl (argv: string[], hostPort: string, runner: Runner = haveCurl ? 'curl' : 'fetch'): Promise<HttpResult> {
  const args = retarget(argv, hostPort).slice(1)
  return runner === 'curl' ? viaCurl(args) : viaFetch(args)
}

async function viaCurl (args: string[]): Promise<HttpResult> {
  const { stdout } = await promisify(execFile)('curl', ['-sS', '-i', ...args], { encoding: 'utf8' })
  const split = stdout.indexOf('\r\n\r\n')
  const head = (split < 0 ? stdout : stdout.slice(0, split)).split('\r\n')
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0])?.[1])
  const headers: Record<string, string> = {}
  for (const line of head.slice(1)) {
    const at = line.indexOf(':')
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim()
  }
  return { status, headers, body: split < 0 ? '' : stdout.slice(split + 4) }
}

const WITH_VALUE = new Set(['-X', '--request', '-H', '--header', '-d', '--data', '--data-raw', '--data-binary', '-o', '--output', '-w', '--write-out'])

async function viaFetch (args: string[]): Promise<HttpResult> {
  let method: string | undefined
  let body: string | undefined
  let url: string | undefined
  const headers: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const value = WITH_VALUE.has(arg) ? args[++i] : undefined
    if (arg === '-X' || arg === '--request') method = value
    else if (arg === '-H' || arg === '--header') {
      const at = value!.indexOf(':')
      headers[value!.slice(0, at).trim().toLowerCase()] = value!.slice(at + 1).trim()
    } else if (arg.startsWith('-d') || arg.startsWith('--data')) body = body === undefined ? value : `${body}&${value}`
    else if (!arg.startsWith('-')) url = /^https?:\/\//.test(arg) ? arg : `http://${arg}`
  }
  if (url === undefined) throw new Error(`no URL in curl ${args.join(' ')}`)
  // As curl: -d means POST and a form body unless told otherwise.
  if (body !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded'
  const res = await fetch(url, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
}
