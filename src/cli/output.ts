/**
 * What the CLI prints: JSON for scripts (--json), aligned columns for
 * people; and the one-line errors on stderr.
 */

/** Rows as aligned columns under a header; numbers right-aligned. */
export function columns (header: string[], rows: Array<Array<string | number>>): string[] {
  const cells = [header, ...rows.map(row => row.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map(row => row[i].length)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every(row => typeof row[i] === 'number'))
  return cells.map(row => row.map((cell, i) => numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join('  ').trimEnd())
}

/** Writes lines to a stream, each ended by a newline. */
export function writeLines (stream: NodeJS.WritableStream, lines: string[]): void {
  if (lines.length > 0) stream.write(lines.join('\n') + '\n')
}
