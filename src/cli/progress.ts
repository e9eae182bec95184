/**
 * A progress line for long transfers, on a terminal only: redrawn in place
 * (carriage return) at most every PROGRESS_INTERVAL ms, and erased at the
 * end, so that what is left on the screen is the command's own output.
 */
import type { WriteStream } from 'node:tty'

const PROGRESS_INTERVAL = 200

export class Progress {
  /** The first draw waits one interval too: a quick transfer shows nothing. */
  private last = performance.now()
  private shown = false

  private constructor (private readonly terminal: WriteStream, private readonly describe: () => string) {}

  /** A progress line on `stream` if it is a terminal, else undefined (pipes and files get nothing). */
  static on (stream: NodeJS.WritableStream, describe: () => string): Progress | undefined {
    const terminal = stream as WriteStream
    return terminal.isTTY === true ? new Progress(terminal, describe) : undefined
  }

  /** Redraws the line if PROGRESS_INTERVAL has passed since the last time. */
  update (): void {
    const now = performance.now()
    if (now - this.last < PROGRESS_INTERVAL) return
    this.last = now
    this.shown = true
    this.terminal.write(`\r${this.describe().slice(0, Math.max(10, (this.terminal.columns ?? 80) - 1))}\x1b[K`)
  }

  /** Erases the line. */
  end (): void {
    if (this.shown) this.terminal.write('\r\x1b[K')
  }
}

/** 12345678 → "11.8 MiB". */
export function bytesText (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++ }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}
