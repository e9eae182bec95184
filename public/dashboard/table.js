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

const NOWHERE = { at: -1 }

/**
 * Where a key the page does not show goes among its `rows`: `{ at }`, a row
 * index, or -1 when it belongs elsewhere or the page cannot tell (it is
 * counted then, with a Reload); `open` when that place is an open end of
 * the page, which takes keys only while the page has room (applyChange).
 * An ordered_set's page is a key range: a key between its first and last
 * key goes in its place; before the first on the first page, or after the
 * last on the last page (within a prefix's range), it is at an open end;
 * before the first elsewhere it may be the previous page's, so it is
 * counted. The other types page in insertion order, where a new key comes
 * last, but a key not shown on a last page after others may as well be an
 * old one of an earlier page: it is placed only when the page is the whole
 * table (an open end). A match spec's page would need the spec run.
 * O(log rows) comparisons a key.
 */
function placeNewKey ({ positions, next, filter }, type) {
  const first = positions.length === 1
  const last = next === undefined
  if (filter !== null && filter.range === undefined) return () => NOWHERE
  if (type !== 'ordered_set') return rows => first && last ? { at: rows.length, open: true } : NOWHERE
  const { from, to } = filter?.range ?? {}
  return (rows, key) => {
    if ((from !== undefined && compareTerms(key, from) < 0) || (to !== undefined && compareTerms(key, to) > 0)) return NOWHERE
    if (rows.length === 0) return first && last ? { at: 0, open: true } : NOWHERE
    const at = insertionPoint(rows, key)
    if (at > 0 && at < rows.length) return { at }
    return (at === 0 ? first : last) ? { at, open: true } : NOWHERE
  }
}

/** The index of the first row whose key sorts after `key` (rows in term order); a binary search. */
function insertionPoint (rows, key) {
  let low = 0
  let high = rows.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compareTerms(key, rows[middle].key) < 0) high = middle
    else low = middle + 1
  }
  return low
}

/**
 * The page with a change event applied: the keys it shows get their values
 * after the write, in place (one pass over the rows); new keys that belong
 * in the page are drawn (placeNewKey), the others counted in `outside`. An
 * open end takes new keys only while the page has fewer rows than its size:
 * a page that is the whole table would otherwise grow with the table. Once
 * one was refused (`full`), a later key there could come after it, unseen,
 * so none are drawn there until the page is read again. O(rows) an event,
 * then O(log rows) a new key, plus a splice when it is drawn.
 */
function applyChange (page, change, type) {
  const updates = new Map(change.changes.map(({ key, values }) => [json(key), { key, values, shown: false }]))
  const rows = []
  for (const row of page.objects) {
    const update = 'key' in row ? updates.get(json(row.key)) : undefined
    if (update === undefined) rows.push(row)
    // A bag's key has a row per value: all are replaced where the first was.
    else if (!update.shown) { update.shown = true; rows.push(...rowsOf(update)) }
  }
  const place = placeNewKey(page, type)
  let { outside, full } = page
  for (const update of updates.values()) {
    if (update.shown) continue
    const { at, open } = update.values.length === 0 ? NOWHERE : place(rows, update.key)
    if (open && rows.length >= page.limit) full = true
    if (at < 0 || (open && full)) outside++
    else rows.splice(at, 0, ...rowsOf(update))
  }
  return { ...page, objects: rows, outside, full }
}

const rowsOf = ({ key, values }) => values.map(value => ({ key, value, changed: true }))

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
  // outside: changes counted since the page was read; full: an open end of it refused a key (applyChange).
  const [page, setPage] = useState({ objects: null, next: undefined, positions: [undefined], filter: null, outside: 0 })
  // The page as it is now, ahead of the render: the events of one chunk all come before Preact draws the first.
  const pageNow = useRef(page)
  const putPage = next => { pageNow.current = next; setPage(next) }
  const [live, setLive] = useState('connecting')
  const [end, setEnd] = useState(null)
  const [message, setMessage] = useState(null)
  // `current()` false: the answer came too late to be told (the stream ended since, and the name is no longer this table's).
  const loadInfo = (current = () => true) => api('GET', tablePath(name)).then(
    answer => { if (current()) { setInfo(answer); setMessage(refreshed) } },
    error => { if (current()) setMessage(refreshFailed(error)) })

  // positions: the cursor of every page up to this one (undefined: the first), for Previous.
  const load = async (positions, activeFilter = filter, size = limit) => {
    const result = await fetchPage(name, activeFilter, size, positions[positions.length - 1])
    putPage({ ...result, positions, filter: activeFilter, limit: size, outside: 0, full: false })
  }
  const show = (...args) => attempt(setMessage, () => load(...args))
  const refresh = () => show(page.positions)

  // The stream's callbacks outlive this render: they call show() and load() and read the type as they are now.
  const latest = useRef()
  latest.current = { show, load, type: info?.type }
  useEffect(() => {
    const stop = new AbortController()
    const run = serverRun(name)
    let infoTimer
    let ended = false
    // The run is marked before anything is read, so that a restart at any point after is seen, and
    // the mark kept only once all is read, so that a snapshot that failed is taken again (serverRun).
    const snapshot = async (positions, why) => {
      const keepMark = await run.mark()
      const now = await api('GET', tablePath(name))
      await latest.current.load(positions)
      setInfo(now)
      keepMark()
      setMessage(why === 'replaced' ? { text: `Table ${name} was dropped or renamed, and another table took its name, while this page was away: this is the new one` } : refreshed)
      return now.revision
    }
    snapshot([undefined]).then(revision => stream(`${tablePath(name)}/changes`, {
      since: revision,
      signal: stop.signal,
      onState: setLive,
      // The history no longer reaches back (a compaction), is another run's (a restarted server) or
      // another table's (the name's table replaced): reload, and follow from the table as it is now.
      // A failure is said, and the stream tries again or ends (stream()).
      onCompacted: (problem, why) => snapshot(why === 'replaced' ? [undefined] : pageNow.current.positions, why)
        .catch(error => { setMessage(refreshFailed(error)); throw error }),
      restarted: run.restarted,
      onEvent: ({ event, data }) => {
        // The last event: an info refresh due (or under way) would read a name that is no longer this table's.
        if (event === 'renamed' || event === 'dropped') { ended = true; clearTimeout(infoTimer); setEnd(data); return }
        if (event !== 'change') return
        clearTimeout(infoTimer)
        infoTimer = setTimeout(() => loadInfo(() => !ended), 200)
        if (data.reset) { latest.current.show([undefined]); return }
        const page = pageNow.current
        if (page.objects === null) return
        putPage(applyChange(page, data, latest.current.type))
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
      ${page.outside > 0 && html`<p role="status" class="notice">${page.outside} change(s) to keys outside this page. <button onClick=${refresh}>Reload page</button></p>`}
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
