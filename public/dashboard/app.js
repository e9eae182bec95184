// The dashboard's shell: the token gate, the navigation, and a view per
// hash route: #/tables, #/tables/<name>, #/processes. Preact + htm, no build.
import { html, render, useEffect, useState } from './vendor/preact-htm.js'
import { api, onUnauthorized, token, Unauthorized } from './api.js'
import { TablesView } from './tables.js'
import { TableView } from './table.js'
import { ProcessesView } from './processes.js'

function parseRoute (hash) {
  const parts = hash.replace(/^#\/?/, '').split('/')
  if (parts[0] === 'tables' && parts[1]) return { view: 'table', table: decodeURIComponent(parts[1]) }
  if (parts[0] === 'processes') return { view: 'processes' }
  return { view: 'tables' }
}

function useRoute () {
  const [route, setRoute] = useState(parseRoute(window.location.hash))
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash))
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  return route
}

/** Asked for once per browser tab (sessionStorage); shown again only when the server refuses it. */
function TokenForm ({ wrong, onDone }) {
  const [value, setValue] = useState('')
  const submit = event => {
    event.preventDefault()
    token.set(value.trim())
    onDone()
  }
  return html`
    <main class="token-gate">
      <h1>Heirloom</h1>
      <form onSubmit=${submit} aria-describedby="token-help">
        <label for="token">Bearer token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus
          value=${value} onInput=${e => setValue(e.currentTarget.value)} />
        <button type="submit">Connect</button>
        <p id="token-help">This server requires a token (its <code>--token</code>). It is kept in this tab only.</p>
        ${wrong && html`<p class="error" role="alert">That token was refused: try again.</p>`}
      </form>
    </main>`
}

function App () {
  const route = useRoute()
  // 'checking' → 'open' | 'token' (asked) | 'wrong' (refused)
  const [gate, setGate] = useState('checking')
  const check = () => {
    setGate('checking')
    api('GET', '/tables').then(() => setGate('open'), error => {
      if (error instanceof Unauthorized) setGate(token.get() === '' ? 'token' : 'wrong')
      else setGate('open')
    })
  }
  useEffect(check, [])
  useEffect(() => onUnauthorized(() => setGate(token.get() === '' ? 'token' : 'wrong')), [])

  if (gate === 'checking') return html`<p class="loading" role="status">Connecting…</p>`
  if (gate !== 'open') return html`<${TokenForm} wrong=${gate === 'wrong'} onDone=${check} />`
  const link = (href, label, active) => html`<a href=${href} aria-current=${active ? 'page' : undefined}>${label}</a>`
  return html`
    <header>
      <a class="brand" href="#/tables">Heirloom</a>
      <nav aria-label="Views">
        ${link('#/tables', 'Tables', route.view !== 'processes')}
        ${link('#/processes', 'Processes', route.view === 'processes')}
      </nav>
      ${token.get() !== '' && html`<button class="link" onClick=${() => { token.clear(); check() }}>Forget token</button>`}
    </header>
    <main id="main">
      ${route.view === 'tables' && html`<${TablesView} />`}
      ${route.view === 'table' && html`<${TableView} key=${route.table} name=${route.table} />`}
      ${route.view === 'processes' && html`<${ProcessesView} />`}
    </main>`
}

render(html`<${App} />`, document.getElementById('app'))
