// Real ETS behind one long-running `escript driver.escript`: erl starts in
// about a second, so a test starts one driver per table type and sends it
// every sequence on stdin (each gets a fresh table).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import type { TableType } from '../../src/ets/table.js'
import { atom, type ETerm, list, parseTerm, toSource, tuple } from './erlang-term.js'

export const DRIVER = fileURLToPath(new URL('./driver.escript', import.meta.url))

/** The text of one sequence as the driver reads it, from stdin or a file (file:consult). */
export function sequenceSource (type: TableType, ops: ETerm[]): string {
  return `${toSource(tuple(atom(type), list(ops)))}.\n`
}

export class EtsDriver {
  private readonly child: ChildProcessWithoutNullStreams
  private lines: string[] = []
  private waiting: { count: number; resolve: (lines: string[]) => void; reject: (error: Error) => void } | undefined
  private failure: Error | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private stderr = ''

  constructor () {
    this.child = spawn('escript', [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stderr.on('data', chunk => { this.stderr += chunk })
    this.child.on('error', error => this.fail(error))
    this.child.on('exit', code => this.fail(new Error(`the ETS driver exited (${code}): ${this.stderr.slice(0, 2000)}`)))
    createInterface({ input: this.child.stdout }).on('line', line => this.take(line))
  }

  /** ETS's result of every operation, each as the driver printed it, in order. One sequence at a time. */
  run (type: TableType, ops: ETerm[]): Promise<ETerm[]> {
    const answer = this.queue.then(() => this.exchange(sequenceSource(type, ops), ops.length))
    this.queue = answer.catch(() => undefined)
    return answer.then(lines => lines.map(parseTerm))
  }

  async close (): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.stdin.end()
    await exited
  }

  private exchange (text: string, count: number): Promise<string[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiting = { count, resolve, reject }
      this.child.stdin.write(text)
    })
  }

  private take (line: string): void {
    if (line !== 'done') {
      this.lines.push(line)
      return
    }
    const lines = this.lines
    const waiting = this.waiting
    this.lines = []
    this.waiting = undefined
    if (waiting === undefined) return this.fail(new Error('the ETS driver answered a sequence nobody sent'))
    if (lines.length !== waiting.count) waiting.reject(new Error(`the ETS driver printed ${lines.length} results for ${waiting.count} operations: ${lines.join('\n')}`))
    else waiting.resolve(lines)
  }

  private fail (error: Error): void {
    this.failure ??= error
    this.waiting?.reject(this.failure)
    this.waiting = undefined
  }
}
