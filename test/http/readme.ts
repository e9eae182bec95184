/**
 * The README's curl walkthrough, read as a script: every `curl` command in
 * its fenced blocks, in order, with the output the README shows for it.
 *
 * Output is what follows a command in the same block up to the next command
 * (`$ ` prompts or a known command word), a comment like `# → {…}`, or a
 * whole fenced block of its own right after the command's block. A command
 * that starts the server (`npm start`…) is a step too: after the first, it
 * is a restart on the same data directory.
 */
export interface Step {
  /** 1-based line of the command in the README. */
  line: number
  command: string
  /** The command's words, as a shell would split them (up to any pipe). */
  argv: string[]
  /** What follows the first unquoted `|`, if anything. */
  pipe?: string
  output?: string
  /** The command starts the server (no argv, no output). */
  startsServer?: boolean
}

const COMMAND = /^(\$\s|curl\s|npm\s|npx\s|node\s|docker\s|export\s|cd\s|git\s|kill\s|[A-Z_]+=\S*\s)/
const STARTS_SERVER = /(^|&&\s*)(npm (run )?start|node dist\/src\/main\.js|npx tsx src\/main\.ts)(\s|$)/
const COMMENTED_OUTPUT = /^#\s*(?:→|=>|->)?\s*([[{].*|HTTP\/.*)$/

interface Fence { lang: string; start: number; lines: string[]; after: number }

function fences (markdown: string): Fence[] {
  const lines = markdown.split('\n')
  const found: Fence[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(lines[i])
    if (!open) continue
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !lines[j].trim().startsWith(open[1])) body.push(lines[j++])
    found.push({ lang: open[2].toLowerCase(), start: i + 2, lines: body, after: j + 1 })
    i = j
  }
  return found
}

/** Joins backslash-continued lines, keeping the line number of the first. */
function logicalLines (fence: Fence): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = []
  let pending: { line: number; text: string } | undefined
  fence.lines.forEach((raw, i) => {
    const continued = /\\\s*$/.test(raw)
    const piece = continued ? raw.replace(/\\\s*$/, ' ') : raw
    if (pending) pending.text += piece.trimStart()
    else pending = { line: fence.start + i, text: piece }
    if (!continued) { out.push(pending); pending = undefined }
  })
  if (pending) out.push(pending)
  return out
}

export function walkthrough (markdown: string): Step[] {
  const steps: Step[] = []
  const all = fences(markdown)
  all.forEach((fence, index) => {
    let current: Step | undefined
    let output: string[] = []
    const close = (): void => {
      if (current && output.some(l => l.trim() !== '')) current.output = output.join('\n').trim()
      current = undefined
      output = []
    }
    for (const { line, text } of logicalLines(fence)) {
      const bare = text.trim().replace(/^\$\s+/, '')
      if (bare.startsWith('curl ')) {
        close()
        const { argv, pipe } = shellWords(bare)
        current = { line, command: bare, argv, pipe }
        steps.push(current)
      } else if (COMMAND.test(text.trim())) {
        close()
        if (STARTS_SERVER.test(bare)) steps.push({ line, command: bare, argv: [], startsServer: true })
      } else if (text.trim().startsWith('#')) {
        const shown = COMMENTED_OUTPUT.exec(text.trim())
        if (current && shown) output.push(shown[1])
      } else if (current) {
        output.push(text)
      }
    }
    const last = current as Step | undefined
    close()
    // An output block of its own right after the command's block.
    const next = all[index + 1]
    if (last && last.output === undefined && next && isOutputFence(next) &&
        markdown.split('\n').slice(fence.after, next.start - 2).every(l => l.trim() === '')) {
      last.output = next.lines.join('\n').trim()
    }
  })
  return steps
}

function isOutputFence (fence: Fence): boolean {
  return ['json', 'http', 'text', ''].includes(fence.lang) &&
    !fence.lines.some(l => l.trim().replace(/^\$\s+/, '').startsWith('curl '))
}

/** Splits a command into words as sh does for quotes and backslashes; stops at an unquoted `|`. */
export function shellWords (command: string): { argv: string[]; pipe?: string } {
  const argv: string[] = []
  let word: string | undefined
  for (let i = 0; i < command.length; i++) {
    const c = command[i]
    if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) throw new Error(`unclosed ' in ${command}`)
      word = (word ?? '') + command.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      word = word ?? ''
      for (i++; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === '\\' && '"\\$`'.includes(command[i + 1])) i++
        word += command[i]
      }
      if (i >= command.length) throw new Error(`unclosed " in ${command}`)
    } else if (c === '\\') {
      word = (word ?? '') + command[++i]
    } else if (c === '|') {
      if (word !== undefined) argv.push(word)
      return { argv, pipe: command.slice(i + 1).trim() }
    } else if (/\s/.test(c)) {
      if (word !== undefined) argv.push(word)
      word = undefined
    } else {
      word = (word ?? '') + c
    }
  }
  if (word !== undefined) argv.push(word)
  return { argv }
}
