// The table engine: ETS semantics over JSON terms, no HTTP, no processes.
export { EtsError, type EtsErrorCode } from './errors.js'
export { compareTerms, compareStrings, termEquals, termKey, termBytes, type Term } from './term.js'
export { createTable, Table, TABLE_TYPES, type TableType, type EtsObject } from './table.js'
