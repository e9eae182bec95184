/** Path parameters of the table routes; the bodies' schemas live with the operations (src/tables). */
import { z } from 'zod'
import { TableName } from '../src/tables/schemas.js'

export { Json, Lookup, TableName } from '../src/tables/schemas.js'

export const TableParams = z.object({ table: TableName })

export const ObjectParams = z.object({
  table: TableName,
  key: z.string().max(1024, 'a path key is at most 1024 UTF-16 code units').describe('The key, a string'),
})
