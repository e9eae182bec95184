// The dashboard's only door to the server: every call goes through here and
// carries the token. EventSource cannot send an Authorization header, so the
// change streams are read with fetch() and a streaming body reader.

const TOKEN_KEY = 'heirloom.token'

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: value => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
}

/** A 401: the page asks for the token (app.js listens). */
export class Unauthorized extends Error {}

/** An RFC 9457 problem answer, with its stable `code`. */
export class Problem extends Error {
  constructor (problem, status) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`)
    this.code = problem.code
    this.status = status
    this.problem = problem
  }
}

const listeners = new Set()
/** Told of every 401, wherever it happens. */
export const onUnauthorized = listener => { listeners.add(listener); return () => listeners.delete(listener) }

function headers (extra = {}) {
  const value = token.get()
  return value === '' ? extra : { ...extra, authorization: `Bearer ${value}` }
}

/** `fetch` of /v1 + path with the token; throws Unauthorized or Problem on an error answer. */
export async function request (method, path, { body, type = 'application/json', signal, accept } = {}) {
  // Never from the browser's cache: a 410 cached from before a restart would end a stream that could resume.
  const init = { method, signal, cache: 'no-store', headers: headers(accept ? { accept } : {}) }
  if (body !== undefined) {
    init.headers['content-type'] = type
    init.body = type === 'application/json' ? JSON.stringify(body) : body
  }
  const response = await fetch(`/v1${path}`, init)
  if (response.status === 401) {
    for (const listener of listeners) listener()
    throw new Unauthorized('the server wants a token')
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}))
    throw new Problem(problem, response.status)
  }
  return response
}

/** A JSON call: the parsed answer, or null for 204. */
export async function api (method, path, body) {
  const response = await request(method, path, { body })
  return response.status === 204 ? null : await response.json()
}

export const tablePath = name => `/tables/${encodeURIComponent(name)}`

/**
 * Which run of the server, and which table of a name, a view's snapshot
 * was read from. A restarted server's memory tables come back empty with
 * their revisions from 0, and a table dropped and created again under its
 * name starts from 0 too, so a table's `since` can name a revision the new
 * one has reached: its stream alone cannot tell (the server reads the
 * `since` as the new table's). The node stream can. Its ids start past the
 * server's start time in µs, so every later run refuses an id of an earlier
 * one (410 history_compacted); and within a run, its events since the mark
 * tell whether another table took the view's name.
 *
 * `mark()` reads the node's last id and answers a function that makes it
 * the mark: call it once the snapshot is read, so that a snapshot that
 * failed leaves the old mark, and the next `restarted()` still tells.
 * `restarted()` answers what the server that answers now says of the mark:
 * 'restarted' (it refuses it: another run, or more than the 1,000 node
 * events kept came since, which costs a reload, never a page drawn on rows
 * that are gone), 'replaced' (`table` was created, or another table renamed
 * to its name, since: the old one left while the view was away), or false.
 * A rename of the view's own table away is not a reason: the table's
 * stream tells it, with its final `renamed`.
 */
export function serverRun (table) {
  let mark
  const takesName = event => (event.type === 'table_created' && event.table === table) || (event.type === 'table_renamed' && event.name === table)
  return {
    mark: async () => {
      const next = (await api('GET', '/changes')).rev
      return () => { mark = next }
    },
    restarted: async () => {
      try {
        // Answered at once, with every event since the mark: no more than the 1,000 kept, the default limit.
        const { rev, events } = await api('GET', `/changes?since=${mark}`)
        if (events.some(takesName)) return 'replaced'
        // The same run and table: its last id now is as good a mark, and keeps the mark within the 1,000 events kept.
        mark = rev
        return false
      } catch (error) {
        if (error instanceof Problem && error.code === 'history_compacted') return 'restarted'
        throw error
      }
    },
  }
}

/** The server is another run, or the name another table's, than the view was read from (see serverRun): `why` is restarted()'s answer. */
class ServerRestarted extends Error {
  constructor (why) {
    super(why)
    this.why = why
  }
}

/**
 * Throws ServerRestarted when `restarted()` says so, closing the stream's
 * `response` whenever it throws. Asked after connecting, not before: the
 * run that answers is the stream's or a later one, so no restart goes unseen.
 */
async function sameRun (response, restarted) {
  try {
    const why = await restarted()
    if (why) throw new ServerRestarted(why)
  } catch (error) {
    response.body.cancel().catch(() => {})
    throw error
  }
}

/**
 * Reads Server-Sent Events from `path` until `signal` aborts, calling
 * `onEvent({ id, event, data })` for each (data parsed as JSON). Reconnects
 * after a dropped connection from the last id seen (or `since`), as EventSource would,
 * and tells `onState('live' | 'reconnecting' | 'ended')`. When the history
 * no longer reaches back to that id (410 `history_compacted`: a compaction,
 * or, for the node stream, a restarted server), `onCompacted(problem)`
 * reloads the view and answers the id to read after (undefined: from now);
 * without it the stream ends. `restarted()`, given with `onCompacted`, is
 * asked on every connect before any event is read: a reason (see
 * serverRun) reloads the view as a 410 does, with no problem; it is asked
 * after a 410 too, and its reason is `onCompacted`'s second argument. A reload that fails for the network (the server down
 * again) is tried again as a reconnect is: the stream connects from where it
 * was, so the same refusal comes again; one that the server refuses (an
 * error answer) ends the stream. Resolves when the stream ends for good.
 */
export async function stream (path, { since, signal, onEvent, onState = () => {}, onCompacted, restarted }) {
  let lastId = since
  let resynced = false
  while (!signal.aborted) {
    try {
      const url = lastId === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}since=${lastId}`
      const response = await request('GET', url, { signal, accept: 'text/event-stream' })
      if (restarted !== undefined) await sameRun(response, restarted)
      onState('live')
      resynced = false
      const ended = await readFrames(response.body, signal, frame => {
        if (frame.id !== undefined) lastId = frame.id
        if (frame.event === 'overflow') lastId = frame.data.rev
        onEvent(frame)
      })
      if (ended) { onState('ended'); return }
    } catch (error) {
      let failure = error
      const resync = onCompacted !== undefined && (error instanceof ServerRestarted || (error instanceof Problem && error.code === 'history_compacted'))
      if (resync && !signal.aborted) {
        try {
          // A 410 may as well come of another table under the name (its revisions from 0, behind the since): restarted() tells.
          const why = error instanceof ServerRestarted ? error.why : await restarted?.()
          lastId = await onCompacted(error.problem, why)
          // At once the first time; a second refusal in a row waits as a reconnect does.
          if (!resynced) { resynced = true; continue }
          failure = undefined
        } catch (reloadFailure) {
          // Judged as a connect's failure: the network is tried again (from the same id: the same refusal, the same reload), an error answer ends.
          failure = reloadFailure
        }
      }
      if (signal.aborted || failure instanceof Unauthorized || failure instanceof Problem) { onState('ended'); return }
    }
    onState('reconnecting')
    await new Promise(resolve => { setTimeout(resolve, 1000); signal.addEventListener('abort', resolve, { once: true }) })
  }
}

const FINAL_EVENTS = new Set(['renamed', 'dropped'])

/** Parses the event-stream format (blank-line separated frames); true when a final event came. */
async function readFrames (body, signal, onFrame) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  signal.addEventListener('abort', () => { reader.cancel().catch(() => {}) }, { once: true })
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return false
    buffer += value
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = parseFrame(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      if (frame === undefined) continue
      onFrame(frame)
      if (FINAL_EVENTS.has(frame.event)) return true
    }
  }
}

function parseFrame (text) {
  const frame = { event: 'message' }
  const data = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    else if (field === 'id') frame.id = Number(value)
    else if (field === 'event') frame.event = value
  }
  if (data.length === 0) return undefined
  frame.data = JSON.parse(data.join('\n'))
  return frame
}
