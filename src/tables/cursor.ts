/**
 * Opaque cursors and continuations: the engine's position terms, as
 * base64url JSON, so clients pass them back without looking inside.
 */
import type { Term } from '../ets/term.js'
import { HeirloomError } from '../errors.js'

export function encodeCursor (position: Term): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

export function decodeCursor (cursor: string): Term {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Term
  } catch (error) {
    throw new HeirloomError('bad_cursor', 'the cursor is not one this server gave', { cause: error })
  }
}
