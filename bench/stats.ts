/** The figures the benchmarks summarise their rounds with, in one place. */

/** The median of the values (the mean of the middle two for an even count); NaN for none. O(n log n). */
export function median (values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
