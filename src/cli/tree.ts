/**
 * `heirloom ps`: the supervision tree of GET /v1/processes drawn with box
 * characters, one process a line, children under their supervisor.
 */

/** The members of a process node (routes/processes.ts) the drawing reads. */
export interface ProcessNode {
  pid?: string
  name?: string
  id?: string
  status: string
  behaviour?: string
  strategy?: string
  intensity?: number
  period?: number
  table?: string
  ownsTable?: boolean
  queued?: number
  restarts?: number
  children?: ProcessNode[]
}

export interface Processes { tree: ProcessNode | null; holdingPen: Record<string, string[]> }

/** The tree's lines, root first; then the holding pen when a table waits in it. */
export function drawProcesses ({ tree, holdingPen }: Processes): string[] {
  const lines = tree === null ? ['(no supervision tree: the server is stopping)'] : drawTree(tree)
  const waiting = Object.entries(holdingPen).filter(([, tables]) => tables.length > 0)
  if (waiting.length > 0) {
    lines.push('', 'holding pen (tables waiting for their heir):')
    for (const [heir, tables] of waiting) lines.push(`  ${heir}: ${tables.join(', ')}`)
  }
  return lines
}

export function drawTree (root: ProcessNode): string[] {
  const lines = [describe(root)]
  const walk = (children: ProcessNode[], indent: string): void => {
    children.forEach((child, i) => {
      const last = i === children.length - 1
      lines.push(`${indent}${last ? '└─ ' : '├─ '}${describe(child)}`)
      walk(child.children ?? [], indent + (last ? '   ' : '│  '))
    })
  }
  walk(root.children ?? [], '')
  return lines
}

/** `<0.4.0> table_handler:users  table users · restarts 1`. */
function describe (node: ProcessNode): string {
  const details: string[] = []
  if (node.behaviour === 'supervisor') details.push(`supervisor ${node.strategy ?? ''}, at most ${node.intensity} restarts in ${node.period} s`.replace(' ,', ','))
  else if (node.behaviour !== undefined) details.push(node.behaviour)
  if (node.table !== undefined) details.push(`table ${node.table}${node.ownsTable === false ? ' (not owned)' : ''}`)
  if (node.status !== 'running') details.push(node.status)
  if (node.queued !== undefined && node.queued > 0) details.push(`${node.queued} queued`)
  if (node.restarts !== undefined) details.push(`restarts ${node.restarts}`)
  return `${node.pid ?? '(no pid)'} ${node.name ?? node.id ?? ''}  ${details.join(' · ')}`.trimEnd()
}
