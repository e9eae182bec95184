// One table: its objects a page at a time (the cursor API, or select with a
// continuation under a filter), kept live by the table's change stream;
// edit, add and delete objects; bulk delete by match spec; export, import.
import { html, useEffect, useRef, useState } from './vendor/preact-htm.js'
import { api, Problem, request, serverRun, stream, tablePath } from './api.js'
import { attempt, bytes, count, json, LiveBadge, Message, refreshed, refreshFailed } from './common.js'
import { compareTerms } from './order.js'
import { counting, SpecFilter, typed } from './spec.js'

const PAGE_SIZES = [25, 100, 500]
const IMPORT_BATCH = 1000

/** One page of objects: `{ objects, next }` (next: the cursor or continuation, absent on the last page). */
async function fetchPage (name, filter, limit, position) {
  if (filter === null || filter.range) {
    const answer = await api('POST', `${tablePath(name)}/page`, { limit, ...(position ? { cursor: position } : {}), ...(filter?.range ?? {}) })
    return { objects: answer.objects, next: answer.cursor }
  }
  const answer = await api('POST', `${tablePath(name)}/select`, { spec: filter.spec, limit, ...(position ? { continuation: position } : {}) })
  // A raw spec may give other results than objects: shown as they are.
  const objects = answer.results.map(result => result !== null && typeof result === 'object' && 'key' in result && 'value' in result ? result : { result })
  return { objects, next: answer.continuation }
}

/**
 * Where a key the page does not show goes among its `rows`: a row index,
 * or -1 when it belongs elsewhere or the page cannot tell (it is counted
 * then, with a Reload). An ordered_set's page is a key range: a key
 * between its first and last key (open ends on the first and on the last
 * page, within a prefix's range) goes in its place; a key before the first
 * shown may be the previous page's, so it is counted. The other types page
 * in insertion order, where a new key comes last, but a key not shown on a
 * last page after others may as well be an old one of an earlier page: it
 * is drawn only when the page is the whole table. A match spec's page
 * would need the spec run.
 */
function placeNewKey ({ positions, next, filter }, type) {
  const first = positions.length === 1
  const last = next === undefined
  if (filter !== null && filter.range === undefined) return () => -1
  if (type !== 'ordered_set') return rows => first && last ? rows.length : -1
  return (rows, key) => {
    if (rows.length === 0 && !(first && last)) return -1
    const lower = first ? filter?.range?.from : rows[0].key
    const upper = last ? filter?.range?.to : rows[rows.length - 1].key
    if ((lower !== undefined && compareTerms(key, lower) < 0) || (upper !== undefined && compareTerms(key, upper) > 0)) return -1
    const after = rows.findIndex(row => compareTerms(key, row.key) < 0)
    return after < 0 ? rows.length : after
  }
}

/**
 * The page with a change event applied: the keys it names get their values
 * after the write, in place, and new keys that belong in the page are
 * drawn (`place`, from placeNewKey); the others are counted as outside.
 */
function applyChange (objects, change, place) {
  let outside = 0
  let rows = objects
  for (const { key, values } of change.changes) {
    const id = json(key)
    const shown = rows.findIndex(o => 'key' in o && json(o.key) === id)
    const at = shown >= 0 || values.length === 0 ? shown : place(rows, key)
    if (at < 0) { outside++; continue }
    const kept = rows.filter(o => !('key' in o) || json(o.key) !== id)
    kept.splice(at, 0, ...values.map(value => ({ key, value, changed: true })))
    rows = kept
  }
  return { rows, outside }
}

/** Why the page stopped following its table: its stream's final `renamed` (with the new name) or `dropped`. */
function Ended ({ name, end }) {
  if (end.type === 'renamed') {
    const link = html`<a href=${`#/tables/${encodeURIComponent(end.name)}`}>${end.name}</a>`
    return html`<p id="table-ended" class="notice" role="alert">Table ${name} was renamed to ${link}: this page no longer follows it.</p>`
  }
  return html`<p id="table-ended" class="notice" role="alert">Table ${name} was dropped: its objects are gone. <a href="#/tables">All tables</a></p>`
}

function ObjectRow ({ object, type, name, setMessage }) {
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState('')
  if (!('key' in object)) return html`<tr><td colspan="3"><code>${json(object.result)}</code></td></tr>`
  const { key, value } = object
  const label = json(key)
  const save = async event => {
    event.preventDefault()
    let next
    try { next = JSON.parse(text) } catch (error) { setMessage({ text: `the value is not JSON: ${error.message}`, error: true }); return }
    // A set replaces on insert; a bag adds, so the old object goes in the same turn.
    const write = type === 'set' || type === 'ordered_set'
      ? () => api('POST', `${tablePath(name)}/insert`, { key, value: next })
      : () => api('POST', `${tablePath(name)}/batch`, { ops: [{ op: 'delete_object', key, value }, { op: 'insert', objects: [{ key, value: next }] }] })
    if (await attempt(setMessage, write, `Saved ${label}`) !== undefined) setEditing(false)
  }
  const remove = () => {
    if (!window.confirm(`Delete the object with key ${label}?`)) return
    attempt(setMessage, () => api('POST', `${tablePath(name)}/delete_object`, { key, value }), `Deleted ${label}`)
  }
  return html`
    <tr class=${object.changed ? 'changed' : ''}>
      <th scope="row"><code>${label}</code></th>
      <td>${editing
        ? html`<form class="edit" onSubmit=${save}>
            <label class="visually-hidden" for=${`edit-${label}`}>Value of ${label} (JSON)</label>
            <textarea id=${`edit-${label}`} rows="3" spellcheck="false" value=${text} onInput=${e => setText(e.currentTarget.value)}></textarea>
            <button type="submit">Save</button> <button type="button" onClick=${() => setEditing(false)}>Cancel</button>
          </form>`
        : html`<code class="value">${json(value)}</code>`}</td>
      <td class="actions">
        ${!editing && html`<button onClick=${() => { setText(JSON.stringify(value, null, 1)); setEditing(true) }} aria-label=${`Edit ${label}`}>Edit</button>`}
        <button class="danger" onClick=${remove} aria-label=${`Delete ${label}`}>Delete</button>
      </td>
    </tr>`
}

function AddObject ({ name, setMessage }) {
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const submit = async event => {
    event.preventDefault()
    const done = await attempt(setMessage, () => api('POST', `${tablePath(name)}/insert`, { key: typed(key), value: typed(value) }), `Inserted ${key}`)
    if (done !== undefined) { setKey(''); setValue('') }
  }
  return html`
    <form class="inline" onSubmit=${submit} aria-labelledby="add-heading">
      <h2 id="add-heading">Insert an object</h2>
      <label>Key (JSON or text) <input name="new-key" required value=${key} onInput=${e => setKey(e.currentTarget.value)} /></label>
      <label>Value (JSON or text) <input name="new-value" required value=${value} onInput=${e => setValue(e.currentTarget.value)} /></label>
      <button type="submit">Insert</button>
    </form>`
}

/** Export (the dump, as a download) and import (load if the server has it, else batches of insert). */
function Transfer ({ name, setMessage }) {
  const exportDump = () => attempt(setMessage, async () => {
    const blob = await (await request('GET', `${tablePath(name)}/dump`)).blob()
    const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: `${name}.ndjson` })
    link.click()
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
  }, `Exported ${name}.ndjson`)
  const importFile = event => {
    const file = event.currentTarget.files[0]
    event.currentTarget.value = ''
    if (file) attempt(setMessage, () => importObjects(name, file), n => `Imported ${count(n)} objects`)
  }
  return html`
    <div class="inline">
      <button onClick=${exportDump}>Export NDJSON</button>
      <label class="file">Import NDJSON <input type="file" name="import" accept=".ndjson,.jsonl,application/x-ndjson" onChange=${importFile} /></label>
    </div>`
}

async function importObjects (name, file) {
  const text = await file.text()
  try {
    const answer = await request('POST', `${tablePath(name)}/load`, { body: text, type: 'application/x-ndjson' })
    const body = await answer.json().catch(() => ({}))
    return body.loaded ?? body.inserted ?? text.split('\n').filter(line => line.trim() !== '').length
  } catch (error) {
    // No load route on this server (its 404 is not_found, a missing table's is table_not_found): insert in batches.
    if (!(error instanceof Problem && error.code === 'not_found')) throw error
  }
  const objects = text.split('\n').filter(line => line.trim() !== '').map((line, i) => {
    try { return JSON.parse(line) } catch { throw new Error(`line ${i + 1} is not JSON`) }
  })
  for (let i = 0; i < objects.length; i += IMPORT_BATCH) {
    await api('POST', `${tablePath(name)}/insert`, { objects: objects.slice(i, i + IMPORT_BATCH).map(({ key, value }) => ({ key, value })) })
  }
  return objects.length
}

export function TableView ({ name }) {
  const [info, setInfo] = useState(null)
  const [filter, setFilter] = useState(null)
  const [limit, setLimit] = useState(100)
  const [page, setPage] = useState({ objects: null, next: undefined, positions: [undefined], filter: null })
  // The page as it is now, ahead of the render: the events of one chunk all come before Preact draws the first.
  const pageNow = useRef(page)
  const putPage = next => { pageNow.current = next; setPage(next) }
  const [outside, setOutside] = useState(0)
  const [live, setLive] = useState('connecting')
  const [end, setEnd] = useState(null)
  const [message, setMessage] = useState(null)
  const loadInfo = () => api('GET', tablePath(name)).then(answer => { setInfo(answer); setMessage(refreshed) }, error => setMessage(refreshFailed(error)))

  // positions: the cursor of every page up to this one (undefined: the first), for Previous.
  const show = async (positions, activeFilter = filter, size = limit) => {
    const result = await attempt(setMessage, () => fetchPage(name, activeFilter, size, positions[positions.length - 1]))
    if (result) { putPage({ ...result, positions, filter: activeFilter }); setOutside(0) }
  }
  const refresh = () => show(page.positions)

  // The stream's callbacks outlive this render: they call show() and read the type as they are now.
  const latest = useRef()
  latest.current = { show, type: info?.type }
  useEffect(() => {
    const stop = new AbortController()
    const run = serverRun()
    let infoTimer
    // The run is marked before anything is read, so that a restart at any point after is seen (serverRun).
    const snapshot = async positions => {
      await run.mark()
      const now = await api('GET', tablePath(name))
      setInfo(now)
      await latest.current.show(positions)
      return now.revision
    }
    snapshot([undefined]).then(revision => stream(`${tablePath(name)}/changes`, {
      since: revision,
      signal: stop.signal,
      onState: setLive,
      // The history no longer reaches back (a compaction), or is another run's (a restarted server): reload, and follow from the table as it is now.
      onCompacted: () => snapshot(pageNow.current.positions),
      restarted: run.restarted,
      onEvent: ({ event, data }) => {
        if (event === 'renamed' || event === 'dropped') { setEnd(data); return }
        if (event !== 'change') return
        clearTimeout(infoTimer)
        infoTimer = setTimeout(loadInfo, 200)
        if (data.reset) { latest.current.show([undefined]); return }
        const page = pageNow.current
        if (page.objects === null) return
        const { rows, outside } = applyChange(page.objects, data, placeNewKey(page, latest.current.type))
        putPage({ ...page, objects: rows })
        if (outside > 0) setOutside(n => n + outside)
      },
    }), error => setMessage({ text: error.message, error: true }))
    return () => { stop.abort(); clearTimeout(infoTimer) }
  }, [name])

  const applyFilter = next => { setFilter(next); show([undefined], next) }
  const clearFilter = () => applyFilter(null)
  const bulkDelete = async spec => {
    const path = tablePath(name)
    const counted = await attempt(setMessage, () => api('POST', `${path}/select_count`, { spec: counting(spec) }))
    if (counted === undefined) return
    if (counted.count === 0) { setMessage({ text: 'No object matches: nothing to delete' }); return }
    if (!window.confirm(`Delete ${count(counted.count)} matching objects from ${name}?`)) return
    await attempt(setMessage, () => api('POST', `${path}/select_delete`, { spec: counting(spec) }), r => `Deleted ${count(r.deleted)} objects`)
    loadInfo()
    show([undefined])
  }

  const pageNumber = page.positions.length
  return html`
    <section aria-labelledby="table-heading">
      <p><a href="#/tables">← All tables</a></p>
      <div class="title-row">
        <h1 id="table-heading">Table ${name}</h1>
        <${LiveBadge} state=${live} />
      </div>
      ${info && html`
        <dl class="facts" id="table-info">
          <div><dt>Type</dt><dd>${info.type}</dd></div>
          ${info.durability && html`<div><dt>Durability</dt><dd>${info.durability}</dd></div>`}
          <div><dt>Objects</dt><dd data-fact="size">${count(info.size)}</dd></div>
          <div><dt>Memory</dt><dd>${bytes(info.memory)}</dd></div>
          <div><dt>Revision</dt><dd data-fact="revision">${count(info.revision)}</dd></div>
          <div><dt>Owner</dt><dd data-fact="owner">${info.owner ?? 'holding pen'}</dd></div>
          <div><dt>Heir</dt><dd>${info.heirName ?? info.heir ?? 'none'}</dd></div>
          <div><dt>Restarts</dt><dd>${info.restarts}</dd></div>
        </dl>`}
      ${end && html`<${Ended} name=${name} end=${end} />`}
      <${Message} message=${message} />
      ${info && html`<${SpecFilter} orderedSet=${info.type === 'ordered_set'} onApply=${applyFilter} onClear=${clearFilter} onDelete=${bulkDelete} />`}
      <${AddObject} name=${name} setMessage=${setMessage} />
      <${Transfer} name=${name} setMessage=${setMessage} />
      <h2 id="objects-heading">${filter ? 'Matching objects' : 'Objects'}</h2>
      <nav class="pager" aria-label="Pages">
        <button onClick=${() => show([undefined])} disabled=${pageNumber === 1}>First page</button>
        <button onClick=${() => show(page.positions.slice(0, -1))} disabled=${pageNumber === 1}>Previous page</button>
        <span id="page-number" aria-live="polite">Page ${pageNumber}</span>
        <button onClick=${() => show([...page.positions, page.next])} disabled=${page.next === undefined}>Next page</button>
        <label>Per page <select name="limit" value=${limit} onChange=${e => { const size = Number(e.currentTarget.value); setLimit(size); show([undefined], filter, size) }}>
          ${PAGE_SIZES.map(n => html`<option value=${n}>${n}</option>`)}
        </select></label>
        <button onClick=${refresh}>Reload</button>
      </nav>
      ${outside > 0 && html`<p role="status" class="notice">${outside} change(s) to keys outside this page. <button onClick=${refresh}>Reload page</button></p>`}
      ${page.objects === null
        ? html`<p role="status">Loading objects…</p>`
        : html`
        <table class="grid objects" id="objects" aria-labelledby="objects-heading">
          <thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${page.objects.length === 0 && html`<tr><td colspan="3">No objects.</td></tr>`}
            ${page.objects.map((object, i) => html`<${ObjectRow} key=${'key' in object ? `${json(object.key)}#${i}` : i} object=${object} type=${info?.type} name=${name} setMessage=${setMessage} />`)}
          </tbody>
        </table>`}
    </section>`
}
