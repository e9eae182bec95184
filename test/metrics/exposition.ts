/**
 * A small parser of the Prometheus text exposition format (0.0.4), strict
 * enough to catch a malformed answer: every sample belongs to a family
 * announced by # HELP and # TYPE, names and label names are valid, values
 * are numbers. prom-client writes this format but cannot read it.
 */
export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Family { name: string; type: string; help: string; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''] }

export function parseExposition (text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const familyOf = (sample: string): Family | undefined => {
    for (const family of families.values()) {
      const suffixes = SUFFIXES[family.type] ?? ['']
      if (suffixes.some(suffix => family.name + suffix === sample)) return family
    }
    return undefined
  }
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name, rest] = meta
      if (!NAME.test(name)) throw new Error(`line ${i + 1}: bad metric name ${name}`)
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] }
      if (kind === 'HELP') family.help = rest
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) family.type = rest
      else throw new Error(`line ${i + 1}: bad type ${rest}`)
      families.set(name, family)
      continue
    }
    if (line.startsWith('#')) continue
    const match = SAMPLE.exec(line)
    if (match === null) throw new Error(`line ${i + 1}: not a sample: ${line}`)
    const [, name, labelText, valueText] = match
    const family = familyOf(name)
    if (family === undefined) throw new Error(`line ${i + 1}: ${name} has no # TYPE`)
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText)
    // As Prometheus (Go's ParseFloat): NaN in any case.
    if (Number.isNaN(value) && valueText.toLowerCase() !== 'nan') throw new Error(`line ${i + 1}: bad value ${valueText}`)
    family.samples.push({ name, labels: parseLabels(labelText ?? '', i + 1), value })
  }
  return families
}

function parseLabels (text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex
    const match = LABEL.exec(text)
    if (match === null) throw new Error(`line ${line}: bad labels at ${text.slice(at)}`)
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => c === 'n' ? '\n' : c)
  }
  return labels
}

/** The value of the one sample of `name` whose labels include `labels`; undefined if none. */
export function valueOf (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    const sample = family.samples.find(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    if (sample !== undefined) return sample.value
  }
  return undefined
}
