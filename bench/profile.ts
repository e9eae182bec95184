/**
 * Summarises a V8 CPU profile written by `npm run bench -- --profile DIR`
 * (or by `node --cpu-prof`): where the CPU went, by area of the code and by
 * function, in self time (in the function's own code) and inclusive time
 * (anywhere below it), as shares of the busy time and, when the profile
 * says how many requests it covers, as CPU µs per request. Given a second
 * profile with --vs (the ceiling's), it also shows what the first spends
 * per request beyond the second, area by area.
 *
 *   npx tsx bench/profile.ts FILE.cpuprofile [--vs OTHER.cpuprofile] [--top N] [--focus TEXT]
 *
 * Time in V8 builtins and native code (JSON.parse, Map#get, RegExp…) is
 * charged to the area of its nearest JavaScript caller, and shown with that
 * caller in the function lists. Areas: src/<dir>, routes, bench, npm:<pkg>,
 * node:<module>, V8's (garbage collector) and (program) (native code outside
 * JavaScript: libuv, socket reads), and (socket write): the write syscall
 * of each response. On a VM that last one is large and swings with the
 * load generator's state (a write that wakes it costs more), so the
 * comparison also gives the totals without it.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
  bench?: { requests: number }
}

/** One profile, digested: every sample's stack as function keys, leaf first, with its duration. */
interface Digest {
  file: string
  /** µs sampled, idle excluded. */
  busy: number
  idle: number
  requests: number | undefined
  self: Map<string, number>
  inclusive: Map<string, number>
  area: Map<string, number>
  /** Function key → how it is shown. */
  label: Map<string, string>
  stacks: Array<{ keys: string[]; us: number }>
}

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)'])

/** Node's module whose native callees are the socket writes (writeLatin1String, writev…). */
const SOCKET_WRITES = 'node:internal/stream_base_commons'
const SOCKET_WRITE = '(socket write)'

function where (url: string, line: number): string {
  if (url === '') return ''
  const path = url.startsWith('file:') ? fileURLToPath(url) : url
  const modules = path.lastIndexOf('/node_modules/')
  const shown = modules >= 0 ? path.slice(modules + 1) : path.startsWith('/') ? relative(process.cwd(), path) : path
  return `${shown}:${line + 1}`
}

function areaOf (url: string): string {
  if (url.startsWith('node:')) return 'node:' + url.slice(5).replace(/^internal\//, '').split('/')[0].replace(/\.js$/, '')
  const path = url.startsWith('file:') ? fileURLToPath(url) : url
  const modules = path.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + '/node_modules/'.length).split('/')
    return 'npm:' + (scope.startsWith('@') ? `${scope}/${name}` : scope)
  }
  const rel = relative(process.cwd(), path).split('/')
  if (rel[0] === 'src') return rel.length > 2 ? `src/${rel[1]}` : `src/${rel[1].replace(/\.ts$/, '')}`
  if (rel[0] === 'routes' || rel[0] === 'bench') return rel[0]
  return path
}

function digest (file: string): Digest {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map(node => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const label = new Map<string, string>()
  // Per node: its function key, and the area its self time is charged to.
  const keyOf = new Map<number, string>()
  const chargeTo = new Map<number, string>()
  const keyAndArea = (id: number): [string, string] => {
    const cached = keyOf.get(id)
    if (cached !== undefined) return [cached, chargeTo.get(id)!]
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const name = functionName || '(anonymous)'
    let key: string
    let area: string
    if (SPECIAL.has(name) && url === '') {
      key = area = name
    } else if (url === '') {
      // A builtin: named with, and charged to, its nearest JavaScript caller.
      let up = parent.get(id)
      while (up !== undefined && byId.get(up)!.callFrame.url === '' && !SPECIAL.has(byId.get(up)!.callFrame.functionName)) up = parent.get(up)
      const caller = up === undefined ? undefined : byId.get(up)!.callFrame
      const callerName = caller === undefined || caller.url === '' ? '' : ` ← ${caller.functionName || '(anonymous)'} (${where(caller.url, caller.lineNumber)})`
      key = `${name}${callerName}`
      if (caller === undefined || caller.url === '') area = '(native)'
      else area = caller.url === SOCKET_WRITES ? SOCKET_WRITE : areaOf(caller.url)
    } else {
      key = `${name} (${where(url, lineNumber)})`
      area = areaOf(url)
    }
    label.set(key, key)
    keyOf.set(id, key)
    chargeTo.set(id, area)
    return [key, area]
  }

  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const area = new Map<string, number>()
  const stacks: Digest['stacks'] = []
  const add = (map: Map<string, number>, key: string, us: number): void => { map.set(key, (map.get(key) ?? 0) + us) }
  let busy = 0
  let idle = 0
  const { samples, timeDeltas } = profile
  for (let i = 0; i < samples.length; i++) {
    // A sample lasts until the next one (DevTools' reading of timeDeltas).
    const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0
    const [leaf, leafArea] = keyAndArea(samples[i])
    if (leaf === '(idle)') { idle += us; continue }
    busy += us
    add(self, leaf, us)
    add(area, leafArea, us)
    const keys: string[] = []
    const seen = new Set<string>()
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const [key] = keyAndArea(id)
      if (key === '(root)') continue
      keys.push(key)
      if (!seen.has(key)) { seen.add(key); add(inclusive, key, us) }
    }
    stacks.push({ keys, us })
  }
  return { file, busy, idle, requests: profile.bench?.requests, self, inclusive, area, label, stacks }
}

const pct = (part: number, whole: number): string => `${(100 * part / whole).toFixed(1)}%`.padStart(6)

/** "12.3 µs/req" when the profile counted its requests. */
const perRequest = (d: Digest, us: number): string =>
  d.requests === undefined || d.requests === 0 ? '' : `${(us / d.requests).toFixed(1).padStart(7)} µs/req`

function top (map: Map<string, number>, n: number): Array<[string, number]> {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
}

function describe (d: Digest, n: number, focus: string | undefined): string[] {
  const wall = d.busy + d.idle
  const lines = [
    `${d.file}: ${(wall / 1e6).toFixed(1)} s sampled, busy ${pct(d.busy, wall).trim()}` +
      (d.requests === undefined ? '' : `, ${d.requests} requests, ${(d.busy / d.requests).toFixed(1)} µs CPU per request`),
    '',
    'By area (self time; builtins charged to their caller\'s area):',
    ...top(d.area, 40).map(([area, us]) => `  ${pct(us, d.busy)} ${perRequest(d, us)}  ${area}`),
    '',
    `Top ${n} functions by self time:`,
    ...top(d.self, n).map(([key, us]) => `  ${pct(us, d.busy)} ${perRequest(d, us)}  ${key}`),
    '',
    `Top ${n} functions by inclusive time:`,
    ...top(d.inclusive, n).map(([key, us]) => `  ${pct(us, d.busy)} ${perRequest(d, us)}  ${key}`),
  ]
  if (focus !== undefined) lines.push('', ...focused(d, focus))
  return lines
}

/** For the functions whose label holds `text`: inclusive time, and the call paths (3 callers up) that reach them. */
function focused (d: Digest, text: string): string[] {
  const paths = new Map<string, number>()
  let total = 0
  for (const { keys, us } of d.stacks) {
    const at = keys.findIndex(key => key.includes(text))
    if (at < 0) continue
    total += us
    const path = keys.slice(at, at + 4).reverse().join('\n      → ')
    paths.set(path, (paths.get(path) ?? 0) + us)
  }
  return [
    `Frames matching "${text}": ${pct(total, d.busy).trim()} of busy time ${perRequest(d, total)}; top call paths:`,
    ...top(paths, 8).map(([path, us]) => `  ${pct(us, d.busy)}  ${path}`),
  ]
}

/** What `a` spends per request beyond `b`, area by area (both need request counts). */
function compare (a: Digest, b: Digest, n: number): string[] {
  if (!a.requests || !b.requests) return ['(--vs needs profiles that counted their requests: written by npm run bench -- --profile)']
  const perA = (us: number): number => us / a.requests!
  const perB = (us: number): number => us / b.requests!
  const areas = new Set([...a.area.keys(), ...b.area.keys()])
  const rows = [...areas].map(area => [area, perA(a.area.get(area) ?? 0), perB(b.area.get(area) ?? 0)] as const)
    .sort((x, y) => (y[1] - y[2]) - (x[1] - x[2]))
  const extra = perA(a.busy) - perB(b.busy)
  const fmt = (us: number): string => us.toFixed(1).padStart(7)
  const withoutWrites = (d: Digest): number => (d.busy - (d.area.get(SOCKET_WRITE) ?? 0)) / d.requests!
  const extraWithoutWrites = withoutWrites(a) - withoutWrites(b)
  const functions = [...a.self].map(([key, us]) => [key, perA(us) - perB(b.self.get(key) ?? 0)] as const)
    .sort((x, y) => y[1] - x[1]).slice(0, n)
  return [
    `CPU µs per request: ${fmt(perA(a.busy)).trim()} (${a.file}) vs ${fmt(perB(b.busy)).trim()} (${b.file}): ${fmt(extra).trim()} more`,
    `  without ${SOCKET_WRITE}: ${fmt(withoutWrites(a)).trim()} vs ${fmt(withoutWrites(b)).trim()}: ${fmt(extraWithoutWrites).trim()} more` +
      ` (this one at ${(withoutWrites(b) / withoutWrites(a)).toFixed(2)}× the other's speed, if nothing else differed)`,
    '',
    '     this    other    extra  share of extra without socket writes  area',
    ...rows.filter(([, x, y]) => Math.abs(x - y) >= 0.05).map(([area, x, y]) =>
      `  ${fmt(x)}  ${fmt(y)}  ${fmt(x - y)}  ${area === SOCKET_WRITE ? '' : pct(x - y, extraWithoutWrites).padStart(36)}  ${area}`),
    '',
    `Top ${n} functions by extra self time per request:`,
    ...functions.map(([key, us]) => `  ${fmt(us)} µs  ${pct(us, extraWithoutWrites)} of extra  ${key}`),
  ]
}

function main (): void {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { vs: { type: 'string' }, top: { type: 'string', default: '25' }, focus: { type: 'string' } },
  })
  if (positionals.length !== 1) {
    process.stderr.write('usage: npx tsx bench/profile.ts FILE.cpuprofile [--vs OTHER.cpuprofile] [--top N] [--focus TEXT]\n')
    process.exit(2)
  }
  const n = Number(values.top)
  const profile = digest(positionals[0])
  const lines = describe(profile, n, values.focus)
  if (values.vs !== undefined) lines.push('', ...compare(profile, digest(values.vs), n))
  process.stdout.write(lines.join('\n') + '\n')
}

main()
