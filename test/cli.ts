/** Running the real command line (src/main.ts) in a child process. */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'

const MAIN = new URL('../src/main.ts', import.meta.url).pathname

export function run (args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Resolves with the base URL once the server logs that it listens. */
export function listening (child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', line => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match) resolve(match[1])
    })
    child.once('exit', code => reject(new Error(`exited with ${code} before listening`)))
  })
}

/** The exit code and everything written to stderr. Call before the child can exit. */
export async function exitOf (child: ChildProcess): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = ''
  child.stderr!.on('data', chunk => { stderr += chunk })
  const [code, signal] = await once(child, 'exit') as [number | null, string | null]
  return { code, signal, stderr }
}

/** A port nothing listens on right now, on 127.0.0.1: free to listen on, refused to connect to. */
export async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}
