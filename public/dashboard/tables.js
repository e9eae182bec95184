// The table viewer: every table, sortable by any column, filtered by name;
// create and drop. Refreshed on lifecycle events, and every 2 s for sizes.
import { html, useEffect, useState } from './vendor/preact-htm.js'
import { api, tablePath } from './api.js'
import { attempt, bytes, count, LiveBadge, Message, refreshed, refreshFailed, useLifecycle, useReload } from './common.js'

const COLUMNS = [
  { id: 'name', label: 'Name' },
  { id: 'type', label: 'Type' },
  { id: 'durability', label: 'Durability' },
  { id: 'size', label: 'Objects', numeric: true, show: count },
  { id: 'memory', label: 'Memory', numeric: true, show: bytes },
  { id: 'revision', label: 'Revision', numeric: true, show: count },
  { id: 'owner', label: 'Owner', show: pid => pid ?? 'holding pen' },
  { id: 'heir', label: 'Heir', value: t => t.heirName ?? t.heir ?? '' },
  { id: 'restarts', label: 'Restarts', numeric: true },
]
const TYPES = ['set', 'ordered_set', 'bag', 'duplicate_bag']
const DURABILITIES = ['memory', 'disk', 'relaxed']
const REFRESH_MS = 2000

const valueOf = (column, table) => column.value ? column.value(table) : table[column.id]

function compare (a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a ?? '').localeCompare(String(b ?? ''))
}

function CreateForm ({ onCreated, setMessage }) {
  const [name, setName] = useState('')
  const [type, setType] = useState('set')
  const [durability, setDurability] = useState('')
  const submit = async event => {
    event.preventDefault()
    const body = { name, type, ...(durability === '' ? {} : { durability }) }
    const created = await attempt(setMessage, () => api('POST', '/tables', body), `Created table ${name}`)
    if (created) { setName(''); onCreated() }
  }
  return html`
    <form class="inline" onSubmit=${submit} aria-labelledby="create-heading">
      <h2 id="create-heading">Create a table</h2>
      <label>Name <input name="name" required pattern="[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}" value=${name}
        onInput=${e => setName(e.currentTarget.value)} /></label>
      <label>Type <select name="type" value=${type} onChange=${e => setType(e.currentTarget.value)}>
        ${TYPES.map(t => html`<option value=${t}>${t}</option>`)}
      </select></label>
      <label>Durability <select name="durability" value=${durability} onChange=${e => setDurability(e.currentTarget.value)}>
        <option value="">server default</option>
        ${DURABILITIES.map(d => html`<option value=${d}>${d}</option>`)}
      </select></label>
      <button type="submit">Create</button>
    </form>`
}

export function TablesView () {
  const [tables, setTables] = useState(null)
  const [filter, setFilter] = useState('')
  const [sort, setSort] = useState({ column: 'name', descending: false })
  const [message, setMessage] = useState(null)
  const load = useReload(() => api('GET', '/tables').then(answer => { setTables(answer.tables); setMessage(refreshed) }, error => setMessage(refreshFailed(error))))
  useEffect(() => {
    load()
    const timer = setInterval(load, REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  const live = useLifecycle(load)

  const drop = async name => {
    if (!window.confirm(`Drop table ${name}? Its objects and catalog record are deleted.`)) return
    await attempt(setMessage, () => api('DELETE', tablePath(name)), `Dropped table ${name}`)
    load()
  }

  const column = COLUMNS.find(c => c.id === sort.column)
  const shown = (tables ?? [])
    .filter(t => t.name.toLowerCase().includes(filter.toLowerCase()))
    .sort((a, b) => compare(valueOf(column, a), valueOf(column, b)) * (sort.descending ? -1 : 1))
  const sortBy = id => setSort(s => ({ column: id, descending: s.column === id ? !s.descending : false }))
  const ariaSort = id => sort.column !== id ? 'none' : sort.descending ? 'descending' : 'ascending'
  const arrow = id => sort.column !== id ? '' : sort.descending ? ' ▼' : ' ▲'

  return html`
    <section aria-labelledby="tables-heading">
      <div class="title-row">
        <h1 id="tables-heading">Tables</h1>
        <${LiveBadge} state=${live} />
      </div>
      <${CreateForm} onCreated=${load} setMessage=${setMessage} />
      <${Message} message=${message} />
      <label class="filter">Filter by name <input type="search" name="filter" value=${filter}
        onInput=${e => setFilter(e.currentTarget.value)} /></label>
      ${tables === null
        ? html`<p role="status">Loading tables…</p>`
        : html`
        <table class="grid" id="tables">
          <caption>${shown.length} of ${tables.length} tables</caption>
          <thead><tr>
            ${COLUMNS.map(c => html`<th scope="col" aria-sort=${ariaSort(c.id)} class=${c.numeric ? 'num' : ''}>
              <button class="sort" onClick=${() => sortBy(c.id)}>${c.label}${arrow(c.id)}</button></th>`)}
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr></thead>
          <tbody>
            ${shown.map(t => html`<tr key=${t.name} data-table=${t.name}>
              <th scope="row"><a href=${`#/tables/${encodeURIComponent(t.name)}`}>${t.name}</a></th>
              ${COLUMNS.slice(1).map(c => {
                const value = valueOf(c, t)
                return html`<td class=${c.numeric ? 'num' : ''} data-column=${c.id}>${c.show ? c.show(value) : value}</td>`
              })}
              <td><button class="danger" onClick=${() => drop(t.name)} aria-label=${`Drop table ${t.name}`}>Drop</button></td>
            </tr>`)}
          </tbody>
        </table>`}
    </section>`
}
