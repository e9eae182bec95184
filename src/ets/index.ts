// The table engine: ETS semantics over JSON terms, no HTTP, no processes.
export { EtsError, type EtsErrorCode } from './errors.js'
export type { CounterOp, CounterOps } from './counter.js'
export { compileMatchSpec, CompiledMatchSpec } from './match-spec.js'
export { applyMergePatch } from './merge-patch.js'
export { compareTerms, compareStrings, termEquals, termKey, termBytes, type Term } from './term.js'
export { createTable, Table } from './table.js'
export * from './table-types.js'
