// The supervision tree, live: redrawn on every lifecycle event, with a
// crash button per crashable process when the server runs with --faults,
// and the timeline of crashes, restarts and transfers beside it.
import { html, useEffect, useState } from './vendor/preact-htm.js'
import { api, Problem, stream } from './api.js'
import { attempt, count, LiveBadge, Message, refreshed, refreshFailed, time, useReload } from './common.js'

const TIMELINE_LENGTH = 200

/** Whether the server has fault injection: its crash route answers an empty body with 400, not the 404 of a missing route. */
async function faultsEnabled () {
  try {
    await api('POST', '/faults/crash', {})
    return true
  } catch (error) {
    return error instanceof Problem && error.status !== 404
  }
}

const crashTarget = node => node.behaviour === 'table_manager'
  ? { process: 'table_manager' }
  : node.behaviour === 'table_handler' ? { process: 'table_handler', table: node.table } : null

function ProcessNode ({ node, sizes, faults, onCrash }) {
  const title = node.name ?? node.id ?? 'process'
  const target = faults ? crashTarget(node) : null
  return html`
    <li data-process=${title}>
      <div class=${`process status-${node.status}`}>
        <strong class="process-name">${title}</strong>
        <span class="pid" data-field="pid">${node.pid ?? '—'}</span>
        <span class="state">${node.status}</span>
        ${node.behaviour && html`<span>${node.behaviour}${node.strategy ? ` (${node.strategy}, ${node.intensity} in ${node.period} s)` : ''}</span>`}
        ${node.restarts !== undefined && html`<span data-field="restarts">restarts: ${node.restarts}</span>`}
        ${node.queued !== undefined && html`<span>queued: ${node.queued}</span>`}
        ${node.catalogued !== undefined && html`<span>catalogued: ${node.catalogued}</span>`}
        ${node.tables?.length > 0 && html`<span data-field="tables">owns ${node.tables.map(t => `${t} (${sizes[t] === undefined ? '?' : count(sizes[t])} objects)`).join(', ')}</span>`}
        ${node.behaviour === 'table_handler' && !node.ownsTable && html`<span>waiting for its table</span>`}
        ${target && html`<button class="danger" onClick=${() => onCrash(target, title)} aria-label=${`Crash ${title}`}>Crash</button>`}
      </div>
      ${node.children?.length > 0 && html`<ul>${node.children.map(child =>
        html`<${ProcessNode} key=${child.id ?? child.name} node=${child} sizes=${sizes} faults=${faults} onCrash=${onCrash} />`)}</ul>`}
    </li>`
}

const DESCRIBE = {
  process_crashed: e => `${e.name ?? e.pid} crashed (${e.pid}): ${e.reason}`,
  process_exited: e => `${e.name ?? e.pid} exited (${e.pid}): ${e.reason}`,
  process_started: e => `${e.name ?? 'a process'} started as ${e.pid}`,
  child_restarted: e => `${e.id} restarted as ${e.pid} (restart ${e.restarts})`,
  table_transferred: e => `table ${e.table} ${e.inherited ? 'inherited by its heir' : 'handed'} ${e.from} → ${e.to}`,
  table_held: e => `table ${e.table} waits in the holding pen for ${e.heir}`,
  table_lost: e => `table ${e.table} lost (owner ${e.owner})`,
  supervisor_gave_up: e => `supervisor ${e.name ?? e.supervisor} gave up after ${e.restarts} restarts`,
  table_created: e => `table ${e.table} created (${e.tableType})`,
  table_dropped: e => `table ${e.table} dropped`,
  table_renamed: e => `table ${e.table} renamed ${e.name}`,
}
const describe = event => (DESCRIBE[event.type] ?? (() => event.type))(event)

function Timeline ({ events }) {
  return html`
    <section aria-labelledby="timeline-heading" class="timeline">
      <h2 id="timeline-heading">Timeline</h2>
      <ol reversed id="timeline">
        ${events.length === 0 && html`<li>No events yet.</li>`}
        ${events.map(e => html`<li key=${e.id} class=${`event-${e.type}`} data-type=${e.type}>
          <time datetime=${e.at}>${time(e.at)}</time> <span class="event-type">${e.type.replace(/_/g, ' ')}</span> ${describe(e)}</li>`)}
      </ol>
    </section>`
}

export function ProcessesView () {
  const [tree, setTree] = useState(null)
  const [sizes, setSizes] = useState({})
  const [faults, setFaults] = useState(false)
  const [events, setEvents] = useState([])
  const [live, setLive] = useState('connecting')
  const [message, setMessage] = useState(null)
  const load = useReload(async () => {
    try {
      const [processes, tables] = await Promise.all([api('GET', '/processes'), api('GET', '/tables')])
      setTree(processes)
      setSizes(Object.fromEntries(tables.tables.map(t => [t.name, t.size])))
      setMessage(refreshed)
    } catch (error) {
      setMessage(refreshFailed(error))
    }
  })

  useEffect(() => {
    const stop = new AbortController()
    faultsEnabled().then(setFaults)
    load()
    // From the oldest event kept: the timeline starts with the node's history.
    stream('/changes', {
      since: 0,
      signal: stop.signal,
      onState: setLive,
      // Fewer events kept than asked for (or a restarted server): redraw, and go on from the oldest kept.
      onCompacted: problem => { load(); return problem.oldest },
      onEvent: ({ event, data }) => {
        // Only lifecycle events go on the timeline: an idle stream's `progress` has no type.
        if (event === 'overflow' || event === 'progress' || typeof data?.type !== 'string') return
        setEvents(list => [data, ...list].slice(0, TIMELINE_LENGTH))
        load()
      },
    })
    return () => stop.abort()
  }, [])

  const crash = (target, title) => attempt(setMessage, () => api('POST', '/faults/crash', target), r => `Crashed ${title} (${r.crashed.join(', ')})`)

  const pen = Object.entries(tree?.holdingPen ?? {})
  return html`
    <section aria-labelledby="processes-heading">
      <div class="title-row">
        <h1 id="processes-heading">Processes</h1>
        <${LiveBadge} state=${live} />
      </div>
      <p>${faults ? 'Fault injection is on: Crash buttons kill a process as a fault would.' : 'Fault injection is off (start the server with --faults for crash buttons).'}</p>
      <${Message} message=${message} />
      <div class="processes-layout">
        <section aria-labelledby="tree-heading">
          <h2 id="tree-heading">Supervision tree</h2>
          ${tree === null
            ? html`<p role="status">Loading…</p>`
            : tree.tree === null
              ? html`<p>The root supervisor is not running.</p>`
              : html`<ul class="tree" id="tree"><${ProcessNode} node=${tree.tree} sizes=${sizes} faults=${faults} onCrash=${crash} /></ul>`}
          <h2 id="pen-heading">Holding pen</h2>
          ${pen.length === 0
            ? html`<p id="holding-pen">Empty: every table has a living owner.</p>`
            : html`<ul id="holding-pen">${pen.map(([heir, tables]) => html`<li>waiting for ${heir}: ${tables.join(', ')}</li>`)}</ul>`}
        </section>
        <${Timeline} events=${events} />
      </div>
    </section>`
}
