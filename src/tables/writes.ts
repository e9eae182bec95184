/**
 * The writes a table handler applies. Each is applied in one handler turn,
 * synchronously, so no crash or exit can land in the middle of it, and each
 * is atomic: the engine checks its arguments before changing anything, and
 * a batch that fails part way is rolled back before its error is answered.
 */
import type { CounterOps } from '../ets/counter.js'
import { EtsError } from '../ets/errors.js'
import type { CompiledMatchSpec } from '../ets/match-spec.js'
import type { EtsObject, Table } from '../ets/table.js'
import type { Term } from '../ets/term.js'

export type WriteOp =
  | { op: 'insert'; objects: EtsObject[] }
  | { op: 'insert_new'; objects: EtsObject[] }
  | { op: 'delete'; key: Term }
  | { op: 'delete_object'; key: Term; value: Term }
  | { op: 'delete_all_objects' }
  | { op: 'take'; key: Term }
  | { op: 'update_counter'; key: Term; ops: CounterOps; default?: EtsObject }
  | { op: 'merge_patch'; key: Term; patch: Term }
  | { op: 'select_delete'; spec: CompiledMatchSpec }
  | { op: 'select_replace'; spec: CompiledMatchSpec }

export type Write = WriteOp | { op: 'batch'; ops: WriteOp[] }

export type WriteResult =
  | true
  | { inserted: boolean; present: Term[] }
  | { key: Term; values: Term[] }
  | { values: number[] }
  | { key: Term; value: Term }
  | { deleted: number }
  | { replaced: number }
  | { results: WriteResult[] }

export function applyWrite (table: Table, write: Write): WriteResult {
  return write.op === 'batch' ? applyBatch(table, write.ops) : applyOne(table, write)
}

function applyOne (table: Table, write: WriteOp): WriteResult {
  switch (write.op) {
    case 'insert': table.insert(write.objects); return true
    case 'insert_new': return table.insertNew(write.objects)
    case 'delete': table.delete(write.key); return true
    case 'delete_object': table.deleteObject({ key: write.key, value: write.value }); return true
    case 'delete_all_objects': table.deleteAllObjects(); return true
    case 'take': return { key: write.key, values: table.take(write.key) }
    case 'update_counter': return { values: table.updateCounter(write.key, write.ops, write.default) }
    case 'merge_patch': return { key: write.key, value: table.mergePatch(write.key, write.patch) }
    case 'select_delete': return { deleted: table.selectDelete(write.spec) }
    case 'select_replace': return { replaced: table.selectReplace(write.spec) }
  }
}

/**
 * All or nothing: before each operation, the objects it may change are
 * saved (its keys, or the whole table for the operations that reach any
 * key); if one fails, the saved objects are put back in reverse order and
 * the error is rethrown. Restoring may move a key in the iteration order of
 * a hash table, which ETS leaves unspecified.
 * O(sum of the operations + objects saved).
 */
function applyBatch (table: Table, ops: WriteOp[]): WriteResult {
  const undo: Array<() => void> = []
  const results: WriteResult[] = []
  try {
    for (const write of ops) {
      undo.push(saved(table, write))
      results.push(applyOne(table, write))
    }
  } catch (error) {
    for (const restore of undo.reverse()) restore()
    if (!(error instanceof EtsError)) throw error
    const at = `ops[${results.length}]`
    throw new EtsError(error.code, `${at} (${ops[results.length].op}): ${error.message}`, { path: error.path && `${at}.${error.path}`, cause: error })
  }
  return { results }
}

function saved (table: Table, write: WriteOp): () => void {
  const keys = touchedKeys(write)
  if (keys === 'all') {
    const objects = [...table.objects()]
    return () => { table.deleteAllObjects(); table.insert(objects) }
  }
  const before = keys.map(key => ({ key, values: table.lookup(key) }))
  return () => {
    for (const { key, values } of before) {
      table.delete(key)
      table.insert(values.map(value => ({ key, value })))
    }
  }
}

function touchedKeys (write: WriteOp): Term[] | 'all' {
  switch (write.op) {
    case 'insert':
    case 'insert_new': return write.objects.map(o => o.key)
    case 'delete_all_objects':
    case 'select_delete':
    case 'select_replace': return 'all'
    default: return [write.key]
  }
}
