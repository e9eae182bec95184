// The match-spec filter: a builder for the common cases, and the raw JSON
// it builds, editable. The same spec lists, counts and deletes: counting
// and deleting take each clause with its result replaced by `true`.
import { html, useState } from './vendor/preact-htm.js'

// A prefix is the key range [prefix, prefix + the last code point].
const LAST_CODE_POINT = '\u{10FFFF}'
const COMPARISONS = [['==', 'equals'], ['/=', 'differs from'], ['<', 'less than'], ['=<', 'at most'], ['>', 'greater than'], ['>=', 'at least']]

/** What the user typed, as JSON if it is JSON, else as a string: `alice` and `"alice"` are the same key. */
export function typed (text) {
  try { return JSON.parse(text) } catch { return text }
}

/** The filter the builder's fields describe: `{ spec, range? }`; range for ordered_set prefixes (a page, not a scan). */
export function build ({ mode, key, prefix, member, comparison, operand }) {
  if (mode === 'key') return { spec: [{ head: { key: typed(key), value: '_' }, result: '$_' }] }
  if (mode === 'prefix') {
    const to = prefix + LAST_CODE_POINT
    const guards = [['is_binary', '$1'], ['>=', '$1', prefix], ['=<', '$1', to]]
    return { spec: [{ head: { key: '$1', value: '_' }, guards, result: '$_' }], range: { from: prefix, to } }
  }
  const value = member === '' ? '$1' : { [member]: '$1' }
  return { spec: [{ head: { key: '_', value }, guards: [[comparison, '$1', typed(operand)]], result: '$_' }] }
}

/** The spec for select_count and select_delete: each clause's result `true`. */
export const counting = spec => spec.map(clause => ({ ...clause, result: true }))

const INITIAL = { mode: 'member', key: '', prefix: '', member: '', comparison: '==', operand: '' }

/**
 * The filter form. `onApply({ spec, range? })` lists the matching objects,
 * `onClear()` goes back to every object, `onDelete(spec)` bulk-deletes.
 */
export function SpecFilter ({ orderedSet, onApply, onClear, onDelete }) {
  const [fields, setFields] = useState(INITIAL)
  const [raw, setRaw] = useState(null) // the editor's text once the user edits it
  const [error, setError] = useState(null)
  const set = name => event => { setFields({ ...fields, [name]: event.currentTarget.value }); setRaw(null) }
  const built = build(fields)
  const text = raw ?? JSON.stringify(built.spec, null, 1)

  const current = () => {
    if (raw === null) return built
    const spec = JSON.parse(raw)
    if (!Array.isArray(spec)) throw new Error('a match spec is a list of clauses: [{"head", "guards", "result"}]')
    return { spec }
  }
  const run = action => event => {
    event.preventDefault()
    try {
      setError(null)
      action(current())
    } catch (thrown) {
      setError(thrown.message)
    }
  }

  return html`
    <form class="spec" onSubmit=${run(onApply)} aria-labelledby="filter-heading">
      <h2 id="filter-heading">Match-spec filter</h2>
      <fieldset>
        <legend>Builder</legend>
        <label>Match <select name="mode" value=${fields.mode} onChange=${set('mode')}>
          <option value="member">value compares</option>
          <option value="key">key equals</option>
          ${orderedSet && html`<option value="prefix">key prefix</option>`}
        </select></label>
        ${fields.mode === 'key' && html`<label>Key (JSON or text) <input name="key" value=${fields.key} onInput=${set('key')} /></label>`}
        ${fields.mode === 'prefix' && html`<label>Key prefix <input name="prefix" value=${fields.prefix} onInput=${set('prefix')} /></label>`}
        ${fields.mode === 'member' && html`
          <label>Value member (empty: the whole value) <input name="member" value=${fields.member} onInput=${set('member')} /></label>
          <label>Comparison <select name="comparison" value=${fields.comparison} onChange=${set('comparison')}>
            ${COMPARISONS.map(([op, words]) => html`<option value=${op}>${words} (${op})</option>`)}
          </select></label>
          <label>Operand (JSON or text) <input name="operand" value=${fields.operand} onInput=${set('operand')} /></label>`}
      </fieldset>
      <label class="raw">Match spec (JSON; editing it overrides the builder)
        <textarea name="spec" rows="5" spellcheck="false" value=${text} onInput=${e => setRaw(e.currentTarget.value)}></textarea>
      </label>
      ${error && html`<p class="error" role="alert">Error: ${error}</p>`}
      <div class="buttons">
        <button type="submit">Apply filter</button>
        <button type="button" onClick=${() => { setError(null); onClear() }}>Show all</button>
        <button type="button" class="danger" onClick=${run(filter => onDelete(filter.spec))}>Delete matching…</button>
      </div>
    </form>`
}
