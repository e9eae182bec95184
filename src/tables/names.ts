/** The registered names of the table processes (DESIGN §1). */
export const MANAGER = 'table_manager'
export const TABLE_SUP = 'table_sup'
export const ROOT = 'root'

export function handlerName (table: string): string {
  return `table_handler:${table}`
}
