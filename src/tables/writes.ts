/**
 * The writes a table handler applies. Each one is applied in one handler
 * turn, synchronously: it is either wholly applied or (when it throws
 * before changing anything) not at all, and no crash or exit can land in
 * the middle of it.
 */
import type { EtsObject, Table } from '../ets/table.js'
import type { Term } from '../ets/term.js'

export type WriteOp =
  | { op: 'insert'; objects: EtsObject[] }
  | { op: 'delete'; key: Term }

export function applyWrite (table: Table, write: WriteOp): unknown {
  switch (write.op) {
    case 'insert':
      table.insert(write.objects)
      return true
    case 'delete':
      table.delete(write.key)
      return true
  }
}
