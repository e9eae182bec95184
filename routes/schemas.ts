/** Path parameters of the table routes; the bodies' schemas live with the operations (src/tables). */
import { z } from 'zod'
import { TableName } from '../src/tables/schemas.js'

export { Json, Lookup, TableName } from '../src/tables/schemas.js'

/** The table's revision after a write (DESIGN §6): 0 at create, +1 per write that changed it. */
export const REVISION_HEADER = 'heirloom-revision'

export const TableParams = z.object({ table: TableName })

export const ObjectParams = z.object({
  table: TableName,
  key: z.string().max(1024, 'a path key is at most 1024 UTF-16 code units').describe('The key, a string'),
})
