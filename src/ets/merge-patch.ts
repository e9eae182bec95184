import { copyObject, hasOwn, isTermObject, putMember, type Term } from './term.js'

/**
 * RFC 7396 JSON merge patch: a `null` member removes, an object merges
 * recursively, anything else replaces. Returns a new term and leaves both
 * arguments untouched (stored terms are shared, see Term). Complexity:
 * O(|patch| + members of the objects it reaches).
 */
export function applyMergePatch (target: Term, patch: Term): Term {
  if (!isTermObject(patch)) return patch
  const out = isTermObject(target) ? copyObject(target) : {}
  for (const name of Object.keys(patch)) {
    const change = patch[name]
    if (change === null) delete out[name]
    else putMember(out, name, applyMergePatch(hasOwn(out, name) ? out[name] : null, change))
  }
  return out
}
