// Pieces the views share: the lifecycle stream, a status line, formats.
import { html, useEffect, useRef, useState } from './vendor/preact-htm.js'
import { stream } from './api.js'

/**
 * Calls `onEvent(event)` for every lifecycle event of the node (GET
 * /v1/changes) from now on; answers the stream's state for display.
 */
export function useLifecycle (onEvent, path = '/changes') {
  const [state, setState] = useState('connecting')
  const handler = useRef(onEvent)
  handler.current = onEvent
  useEffect(() => {
    const stop = new AbortController()
    stream(path, {
      signal: stop.signal,
      onState: setState,
      onEvent: frame => handler.current(frame.data, frame),
      // A restarted server (its ids start past ours) or more events than it keeps: what the view shows is reloaded, and followed from now.
      onCompacted: () => { handler.current(); return undefined },
    })
    return () => stop.abort()
  }, [path])
  return state
}

/** Least ms between two reloads of a view (useReload). */
const MIN_RELOAD_MS = 250

/**
 * `load`, made safe to ask for on every event: it never runs twice at
 * once, and starts at most every MIN_RELOAD_MS, nor sooner after the last
 * start than 5 times what that load took; asked while it may not run, it
 * runs once when it may. Lifecycle events come in bursts (each table
 * created is one; a crash is exit, transfer, restart, start, transfer):
 * a page that reloaded its list of 10,000 tables on each kept the server
 * busy with nothing else (about 25 ms of its event loop a list).
 */
export function useReload (load) {
  const latest = useRef(load)
  latest.current = load
  const reload = useRef(null)
  if (reload.current === null) {
    const s = { running: false, again: false, started: -Infinity, took: 0, timer: undefined, stopped: false }
    const ask = () => {
      if (s.stopped) return
      if (s.running) {
        s.again = true
        return
      }
      if (s.timer !== undefined) return
      const wait = s.started + Math.max(MIN_RELOAD_MS, 5 * s.took) - performance.now()
      if (wait > 0) {
        s.timer = setTimeout(() => { s.timer = undefined; ask() }, wait)
        return
      }
      s.running = true
      s.again = false
      s.started = performance.now()
      // A load that throws must not leave it running for ever: its errors are its own to show.
      Promise.resolve().then(() => latest.current()).catch(() => undefined).finally(() => {
        s.took = performance.now() - s.started
        s.running = false
        if (s.again) ask()
      })
    }
    ask.stop = () => {
      s.stopped = true
      clearTimeout(s.timer)
    }
    reload.current = ask
  }
  useEffect(() => reload.current.stop, [])
  return reload.current
}

/** The state of a live stream, in words and a symbol (never colour alone). */
export function LiveBadge ({ state }) {
  const text = { live: '● live', connecting: '○ connecting', reconnecting: '○ reconnecting', ended: '■ stopped' }[state] ?? state
  return html`<span class=${`badge badge-${state}`} role="status">${text}</span>`
}

/** A polite live region for what the last action did; errors are alerts. */
export function Message ({ message }) {
  if (!message) return html`<p class="message" role="status"></p>`
  return message.error
    ? html`<p class="message error" role="alert">Error: ${message.text}</p>`
    : html`<p class="message" role="status">${message.text}</p>`
}

/**
 * A background refresh that failed: shown as an error until a later one
 * succeeds. It tells how the server is now, unlike an action's outcome,
 * which stays until the next action.
 */
export const refreshFailed = error => ({ text: error.message, error: true, refresh: true })

/** For `setMessage` after a refresh succeeded: a refresh's error goes, an action's outcome stays. */
export const refreshed = message => message?.refresh ? null : message

/** Runs an async action, reporting its outcome through `setMessage`. */
export async function attempt (setMessage, action, done) {
  try {
    const result = await action()
    if (done) setMessage({ text: typeof done === 'function' ? done(result) : done })
    return result
  } catch (error) {
    setMessage({ text: error.message, error: true })
    return undefined
  }
}

export const json = value => JSON.stringify(value)

export function bytes (n) {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = -1
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++ }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

export const count = n => n.toLocaleString('en')

export const time = iso => new Date(iso).toLocaleTimeString('en-GB', { hour12: false })
