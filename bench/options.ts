/** What the benchmarks' command lines share: --help, and flags that must be integers. */

/** `--help`: prints the usage and exits 0. */
export function exitOnHelp (help: boolean | undefined, usage: string): void {
  if (help !== true) return
  process.stdout.write(usage + '\n')
  process.exit(0)
}

/**
 * Flags given as integers, by flag name: each must be an integer ≥ 1, or
 * ≥ 0 for those in `zeroAllowed`; else an error naming the flag, with the usage.
 */
export function integers<F extends string> (flags: Record<F, string | undefined>, usage: string, zeroAllowed: ReadonlyArray<NoInfer<F>> = []): Record<F, number> {
  const numbers = {} as Record<F, number>
  for (const flag of Object.keys(flags) as F[]) {
    const value = Number(flags[flag])
    const least = zeroAllowed.includes(flag) ? 0 : 1
    if (!Number.isInteger(value) || value < least) throw new Error(`--${flag} must be an integer ≥ ${least}\n${usage}`)
    numbers[flag] = value
  }
  return numbers
}
