/**
 * A small fetch client for the tests that talk to a real listening server,
 * and the one bounded poll they may use where no event can be awaited.
 */
export interface Answer { status: number; headers: Headers; body: any }

/** One JSON request; the body is parsed when there is one. */
export async function call (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }
}

/**
 * Asks `probe` again (give it a round trip to the server to ask) until it
 * answers something other than undefined; fails after `attempts` asks.
 * Between asks it lets the event loop turn once: a yield, not a sleep.
 */
export async function until<T> (what: string, probe: () => Promise<T | undefined>, attempts = 2000): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const found = await probe()
    if (found !== undefined) return found
    await new Promise(resolve => setImmediate(resolve))
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`)
}
