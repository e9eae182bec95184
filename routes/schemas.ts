/** Schemas shared by the table and object routes. */
import { z } from 'zod'
import { TABLE_TYPES, type TableType } from '../src/ets/table.js'

/** Table names: used in paths and registered names, so kept plain. */
export const TableName = z.string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a table name is 1 to 128 letters, digits, _ . or -, not starting with . or -')
  .describe('Table name')

export const TableType_ = z.enum(TABLE_TYPES as [TableType, ...TableType[]]).describe('ETS table type')

export const TableParams = z.object({ table: TableName })

/** Any JSON value. Its nesting depth is checked by the table engine. */
export const Json = z.unknown().refine(value => value !== undefined, 'a JSON value is required')
  .describe('Any JSON value')

/** The objects of a key: what lookup, take and GET …/objects/{key} answer. */
export const Lookup = z.object({ key: Json, values: z.array(Json).describe('In insertion order') }).meta({ id: 'Lookup' })
